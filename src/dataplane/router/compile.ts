/**
 * Compiles one `ir.Server` into the lookup tables its requests walk. Runs at apply time only;
 * throws `DataPlaneError(GW_ERR_INVALID_CONFIG)` when something cannot be compiled (an invalid
 * regular expression), so a bad config is never swapped in.
 *
 * With a `CompileCache`, rules and matches are compiled once per IR object: the controller hands
 * out the very same rule and match objects for routes that did not change, so a config change
 * costs compiling what changed plus re-linking the virtual hosts (see docs/performance.md §8).
 * IR objects are immutable, so a compiled result stays valid as long as its IR object lives.
 */
import type * as ir from '../../ir/types.js';
import { DataPlaneError, GW_ERR } from '../errors.js';
import { compileCors } from '../filters/cors.js';
import { compileServerTLS } from '../tls/server-tls.js';
import { buildHostTable } from './host-table.js';
import { compileMatch } from './match.js';
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

/** Request filters as the request path applies them: header names lower-cased once. */
function compileRequestFilters(filters: readonly ir.RequestFilter[]): ir.RequestFilter[] {
  return filters.map((f) => (f.type === 'RequestHeaderModifier' ? { type: f.type, headers: compileHeaderModifier(f.headers) } : f));
}

/**
 * Compiled rules and matches by IR object (see the module comment). Round-robin cursors live in
 * compiled backends, so a reused rule also keeps its place in the rotation.
 */
export class CompileCache {
  readonly #rules = new WeakMap<ir.Rule, CompiledRule>();
  readonly #matches = new WeakMap<ir.Match, CompiledMatch>();
  /** A compiled virtual host and the IR rule each of its entries pointed at when compiled. */
  readonly #vhosts = new WeakMap<ir.VirtualHost, { readonly rules: readonly ir.Rule[]; readonly value: CompiledVirtualHost }>();

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
  virtualHost(l: ir.Listener, vh: ir.VirtualHost, rules: readonly CompiledRule[]): CompiledVirtualHost {
    const hit = this.#vhosts.get(vh);
    if (hit !== undefined && vh.entries.every((e, j) => l.rules[e.rule] === hit.rules[j])) return hit.value;
    const value = compileVirtualHost(l, vh, rules, this);
    this.#vhosts.set(vh, { rules: vh.entries.map((e) => l.rules[e.rule]!), value });
    return value;
  }
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

function compileListener(l: ir.Listener, cache: CompileCache): CompiledListener {
  const rules = l.rules.map((r) => cache.rule(r));
  const vhosts = l.virtualHosts.map((vh) => ({ hostname: vh.hostname, value: cache.virtualHost(l, vh, rules) }));
  return {
    name: l.name,
    hostname: l.hostname,
    port: l.port,
    scheme: l.scheme,
    rules,
    vhosts: buildHostTable(vhosts),
  };
}

function compileVirtualHost(l: ir.Listener, vh: ir.VirtualHost, rules: readonly CompiledRule[], cache: CompileCache): CompiledVirtualHost {
  const entries: CompiledEntry[] = [];
  const grpcEntries: CompiledEntry[] = [];
  for (const e of vh.entries) {
    const rule = rules[e.rule];
    if (rule === undefined) {
      throw new DataPlaneError(GW_ERR.INVALID_CONFIG, `listener ${l.name}: virtual host ${vh.hostname} points at missing rule ${e.rule}`);
    }
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
    const listeners = s.listeners.map((l) => ({ hostname: l.hostname, value: compileListener(l, cache) }));
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
