/**
 * Compiles one `ir.Server` into the lookup tables its requests walk. Runs at apply time only;
 * throws `DataPlaneError(GW_ERR_INVALID_CONFIG)` when something cannot be compiled (an invalid
 * regular expression), so a bad config is never swapped in.
 *
 * With a `CompileCache`, rules and matches are compiled once per IR object: the controller hands
 * out the very same rule and match objects for routes that did not change, so a config change
 * costs compiling what changed (see docs/performance.md §8). IR objects are immutable, so a
 * compiled result stays valid as long as its IR object lives.
 *
 * A listener is compiled from the one the same cache compiled last under the same server and
 * listener name: the new `rules` and `virtualHosts` arrays are compared by identity with the
 * previous ones (array-changes.ts) and the virtual host table is edited, not rebuilt, so one
 * changed route costs O(changed) allocation, plus a pointer walk over the arrays and, when rules
 * were replaced or moved, over the virtual hosts' entries. The result answers every lookup as a
 * compile from scratch does, and a bad config gets the same error (compile-incremental.test.ts).
 */
import type * as ir from '../../ir/types.js';
import { DataPlaneError, GW_ERR } from '../errors.js';
import { compileCors } from '../filters/cors.js';
import { compileServerTLS } from '../tls/server-tls.js';
import { arrayChanges } from './array-changes.js';
import { HostTableBuilder, HostTableEdit, buildHostTable } from './host-table.js';
import { compileMatch } from './match.js';
import { ruleEndpoints } from './rule-endpoints.js';
import type {
  CompiledAction,
  CompiledBackend,
  CompiledEntry,
  CompiledListener,
  CompiledMatch,
  CompiledRule,
  CompiledServer,
  CompiledVirtualHost,
} from './types.js';
import { cumulativeWeights } from './weighted.js';
import { compileHeaderModifier } from '../filters/header-modifier.js';

/** Compiles a backend; a fresh round-robin cursor each time. */
export function compileBackend(b: ir.Backend): CompiledBackend {
  if (b.kind === 'invalid') return { kind: 'invalid', name: b.name, status: b.status, reason: b.reason };
  return {
    kind: 'service',
    name: b.name,
    protocol: b.protocol,
    tls: b.tls,
    endpoints: b.endpoints,
    requestFilters: compileRequestFilters(b.requestFilters),
    redirect: b.redirect,
    responseHeaders: b.responseHeaders === null ? null : compileHeaderModifier(b.responseHeaders),
    cursor: 0,
  };
}

function compileAction(a: ir.Action): CompiledAction {
  if (a.kind === 'redirect') return { kind: 'redirect', redirect: a.redirect };
  if (a.kind === 'direct') return { kind: 'direct', status: a.status };
  const { cumulative, total } = cumulativeWeights(a.backends.map((b) => b.weight));
  return { kind: 'forward', backends: a.backends.map(compileBackend), cumulative, totalWeight: total };
}

/**
 * Request filters as the request path applies them: header names lower-cased once. The IR's
 * own list (and filters) when nothing needed lower-casing, the usual case: a compiled rule keeps
 * no copy of them.
 */
function compileRequestFilters(filters: readonly ir.RequestFilter[]): readonly ir.RequestFilter[] {
  let out: ir.RequestFilter[] | null = null;
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i]!;
    const c = f.type === 'RequestHeaderModifier' ? compileRequestHeaderModifier(f) : f;
    if (c !== f && out === null) out = filters.slice(0, i);
    if (out !== null) out.push(c);
  }
  return out ?? filters;
}

function compileRequestHeaderModifier(f: Extract<ir.RequestFilter, { type: 'RequestHeaderModifier' }>): ir.RequestFilter {
  const headers = compileHeaderModifier(f.headers);
  return headers === f.headers ? f : { type: f.type, headers };
}

/** A listener as last compiled: its IR arrays and what they compiled to. */
interface ListenerState {
  readonly rules: readonly ir.Rule[];
  readonly virtualHosts: readonly ir.VirtualHost[];
  readonly compiled: CompiledListener;
  /**
   * No two virtual hosts have the same name, so the table holds every one of them and can be
   * edited (with a repeated name the first one wins, which only a rebuild reproduces).
   */
  readonly distinct: boolean;
}

/**
 * Compiled rules and matches by IR object, and the listeners last compiled (see the module
 * comment). Round-robin cursors live in compiled backends, so a reused rule also keeps its
 * place in the rotation.
 */
export class CompileCache {
  readonly #rules = new WeakMap<ir.Rule, CompiledRule>();
  readonly #matches = new WeakMap<ir.Match, CompiledMatch>();
  /** A compiled virtual host and the IR rule each of its entries pointed at when compiled. */
  readonly #vhosts = new WeakMap<ir.VirtualHost, { readonly rules: readonly ir.Rule[]; readonly value: CompiledVirtualHost }>();
  #edits = 0;
  /** By server name, then listener name: the listeners of the last compile of that server. */
  readonly #listeners = new Map<string, ReadonlyMap<string, ListenerState>>();

  rule(r: ir.Rule): CompiledRule {
    let c = this.#rules.get(r);
    if (c === undefined) {
      c = compileRule(r);
      this.#rules.set(r, c);
    }
    return c;
  }

  match(m: ir.Match): CompiledMatch {
    let c = this.#matches.get(m);
    if (c === undefined) {
      c = compileMatch(m);
      this.#matches.set(m, c);
    }
    return c;
  }

  /**
   * A virtual host of listener `l`. Its entries name rules by index into `l.rules`, so a
   * compiled virtual host is reused only when every entry still points at the same IR rule.
   */
  virtualHost(l: ir.Listener, vh: ir.VirtualHost): CompiledVirtualHost {
    const hit = this.#vhosts.get(vh);
    if (hit !== undefined && sameRules(l, vh, hit.rules)) return hit.value;
    const value = compileVirtualHost(l, vh, this);
    this.#vhosts.set(vh, { rules: vh.entries.map((e) => l.rules[e.rule]!), value });
    return value;
  }

  /** The listeners compiled last for server `server`, by name. */
  listenersOf(server: string): ReadonlyMap<string, ListenerState> | undefined {
    return this.#listeners.get(server);
  }

  /** Records the listeners of a server that compiled. */
  setListenersOf(server: string, states: ReadonlyMap<string, ListenerState>): void {
    this.#listeners.set(server, states);
  }

  /** Listener compiles that were edits of the previous one (for tests). */
  get edits(): number {
    return this.#edits;
  }

  countEdit(): void {
    this.#edits++;
  }

  /** Forgets the listeners of servers not named (servers gone from the config). */
  retainServers(names: ReadonlySet<string>): void {
    for (const name of this.#listeners.keys()) if (!names.has(name)) this.#listeners.delete(name);
  }
}

function sameRules(l: ir.Listener, vh: ir.VirtualHost, rules: readonly ir.Rule[]): boolean {
  const entries = vh.entries;
  for (let j = 0; j < entries.length; j++) if (l.rules[(entries[j] as ir.RouteEntry).rule] !== rules[j]) return false;
  return true;
}

/** Compiles one rule (filters stay IR-shaped plain data, normalised once here). */
export function compileRule(r: ir.Rule): CompiledRule {
  return {
    name: r.name,
    kind: r.kind,
    route: r.route,
    requestFilters: compileRequestFilters(r.requestFilters),
    responseHeaders: r.responseHeaders === null ? null : compileHeaderModifier(r.responseHeaders),
    cors: r.cors === null ? null : compileCors(r.cors),
    mirrors: r.mirrors.map((m) => ({ backend: compileBackend(m.backend), fraction: m.fraction })),
    action: compileAction(r.action),
    timeouts: r.timeouts,
    retry: r.retry,
  };
}

/** Past this many changed rules or virtual hosts a listener is rebuilt rather than edited. */
function editLimit(n: number): number {
  return Math.max(16, n >> 3);
}

function compiledListener(l: ir.Listener, vhosts: CompiledListener['vhosts'], endpoints: CompiledListener['endpoints']): CompiledListener {
  return { name: l.name, hostname: l.hostname, port: l.port, scheme: l.scheme, vhosts, endpoints };
}

/** Whether no entry of `vh` points at a rule index in [from, to). */
function pointsOutside(vh: ir.VirtualHost, from: number, to: number): boolean {
  const entries = vh.entries;
  for (let j = 0; j < entries.length; j++) {
    const i = (entries[j] as ir.RouteEntry).rule;
    if (i >= from && i < to) return false;
  }
  return true;
}

/** Compiles listener `l` from scratch. */
function compileListener(l: ir.Listener, cache: CompileCache): ListenerState {
  const endpoints = new Map<string, number>();
  for (const r of l.rules) {
    cache.rule(r); // every rule compiles, referenced or not
    for (const k of ruleEndpoints(r)) endpoints.set(k, (endpoints.get(k) ?? 0) + 1);
  }
  const table = new HostTableBuilder<CompiledVirtualHost>();
  let distinct = true;
  for (const vh of l.virtualHosts) if (!table.add(vh.hostname, cache.virtualHost(l, vh))) distinct = false;
  return { rules: l.rules, virtualHosts: l.virtualHosts, compiled: compiledListener(l, table.finish(), endpoints), distinct };
}

/**
 * Compiles listener `l` as an edit of `prev` (the same listener's last compile), or from
 * scratch when too much changed or `prev` cannot be edited. Equal to `compileListener(l)` in
 * every answer.
 */
function updateListener(l: ir.Listener, prev: ListenerState | undefined, cache: CompileCache): ListenerState {
  if (prev !== undefined && prev.rules === l.rules && prev.virtualHosts === l.virtualHosts) {
    const c = prev.compiled;
    if (c.name === l.name && c.hostname === l.hostname && c.port === l.port && c.scheme === l.scheme) return prev;
    return { ...prev, compiled: compiledListener(l, c.vhosts, c.endpoints) };
  }
  if (prev === undefined || !prev.distinct) return compileListener(l, cache);
  let edited: ListenerState | null;
  try {
    edited = editListener(l, prev, cache);
  } catch {
    edited = null; // a bad config: the full compile reports it exactly as without a cache
  }
  if (edited === null) return compileListener(l, cache);
  cache.countEdit();
  return edited;
}

/** `prev` edited into `l` (see updateListener), or null when that does not pay or cannot be done. */
function editListener(l: ir.Listener, prev: ListenerState, cache: CompileCache): ListenerState | null {
  const rules = arrayChanges(prev.rules, l.rules, editLimit(l.rules.length));
  const vhosts = arrayChanges(prev.virtualHosts, l.virtualHosts, editLimit(l.virtualHosts.length));
  if (rules === null || vhosts === null) return null;

  // Rules: compile the new ones; count endpoint keys (pool retention) by difference.
  for (const r of rules.added) cache.rule(r);
  let endpoints = prev.compiled.endpoints;
  if (rules.removed.length > 0 || rules.added.length > 0) {
    const counts = new Map(endpoints);
    for (const r of rules.removed) for (const k of ruleEndpoints(r)) counts.set(k, (counts.get(k) ?? 0) - 1);
    for (const r of rules.added) for (const k of ruleEndpoints(r)) counts.set(k, (counts.get(k) ?? 0) + 1);
    for (const [k, n] of counts) if (n <= 0) counts.delete(k);
    endpoints = counts;
  }

  // Virtual hosts: out with the removed, in with the added; a name taken twice → rebuild.
  const table = new HostTableEdit(prev.compiled.vhosts);
  for (const vh of vhosts.removed) table.delete(vh.hostname);
  for (const vh of vhosts.added) {
    const value = cache.virtualHost(l, vh);
    if (table.get(vh.hostname) !== undefined) return null;
    table.set(vh.hostname, value);
  }
  // A rule replaced or moved changes what the indices of unchanged virtual hosts point at
  // (only indices in [rules.same, rules.sameFrom) can).
  if (!rules.appendOnly) {
    for (const vh of l.virtualHosts) {
      if (pointsOutside(vh, rules.same, rules.sameFrom)) continue;
      const value = cache.virtualHost(l, vh);
      if (table.get(vh.hostname) !== value) table.set(vh.hostname, value);
    }
  }
  return { rules: l.rules, virtualHosts: l.virtualHosts, compiled: compiledListener(l, table.finish(), endpoints), distinct: true };
}

function compileVirtualHost(l: ir.Listener, vh: ir.VirtualHost, cache: CompileCache): CompiledVirtualHost {
  const entries: CompiledEntry[] = [];
  const grpcEntries: CompiledEntry[] = [];
  for (const e of vh.entries) {
    const r = l.rules[e.rule];
    if (r === undefined) {
      throw new DataPlaneError(GW_ERR.INVALID_CONFIG, `listener ${l.name}: virtual host ${vh.hostname} points at missing rule ${e.rule}`);
    }
    const rule = cache.rule(r);
    (rule.kind === 'GRPCRoute' ? grpcEntries : entries).push({ rule, match: cache.match(e.match) });
  }
  return { hostname: vh.hostname, entries, grpcEntries };
}

/**
 * Compiles a whole server: listener table by hostname, virtual hosts, entries, backends. Pass
 * the same `cache` to consecutive calls to reuse what is unchanged (default: a fresh one).
 */
export function compileServer(s: ir.Server, cache: CompileCache = new CompileCache()): CompiledServer {
  try {
    const prev = cache.listenersOf(s.name);
    const states = new Map<string, ListenerState>();
    const listeners = s.listeners.map((l) => {
      const state = updateListener(l, prev?.get(l.name), cache);
      states.set(l.name, state);
      return { hostname: l.hostname, value: state.compiled };
    });
    cache.setListenersOf(s.name, states);
    return {
      name: s.name,
      gateway: s.gateway,
      address: s.address,
      port: s.port,
      protocol: s.protocol,
      listeners: buildHostTable(listeners),
      tls: s.protocol === 'HTTPS' ? compileServerTLS(s) : null,
    };
  } catch (err) {
    if (err instanceof DataPlaneError) throw err;
    throw new DataPlaneError(GW_ERR.INVALID_CONFIG, `server ${s.name}: ${(err as Error).message}`, { cause: err });
  }
}
