/**
 * Per-listener virtual hosts: the IR `rules` list and `virtualHosts` that point into it.
 *
 * Every effective hostname any attached route serves becomes a virtual host (`*` for routes that
 * serve any host). A virtual host collects every (rule, match) of every route whose hostnames
 * cover its name — an exact `a.example.com` also collects routes serving `*.example.com` and
 * `*`; a wildcard collects broader wildcards and `*` — ordered by precedence.ts. A request uses
 * the first virtual host matching its Host, so merging the broader routes in keeps them
 * reachable from the narrower names.
 *
 * With a VirtualHostCache (translate-cache.ts), a virtual host whose candidate attachments are
 * the very same objects as in the previous pass keeps its ordered entries (no precedence sort)
 * and, when its rule indexes did not move either, its IR object.
 */
import type * as ir from '../ir/types.js';
import type { ListenerNode, RouteAttachment } from './model.js';
import { servesHostname } from './hostnames.js';
import { compareEntries, compareVirtualHostNames, computeHostnamePrecedence, type PrecedenceEntry } from './precedence.js';

/** Builds the IR rules and virtual hosts of one listener from its route attachments. */
export function buildVirtualHosts(listener: ListenerNode, cache?: VirtualHostCache): { rules: ir.Rule[]; virtualHosts: ir.VirtualHost[] } {
  const attachments = listener.attachments;
  const rules: ir.Rule[] = [];
  // Rule objects are unique per route rule (a route is attached to a listener at most once).
  const ruleIndex = new Map<ir.Rule, number>();
  for (const att of attachments) {
    for (const r of att.rules) {
      if (ruleIndex.has(r.rule)) continue;
      ruleIndex.set(r.rule, rules.length);
      rules.push(r.rule);
    }
  }
  const indexOf = (rule: ir.Rule): number => ruleIndex.get(rule) ?? -1;

  const byHostname = indexByHostname(attachments);
  const names = [...byHostname.keys()].map((h) => (h === '' ? '*' : h)).sort(compareVirtualHostNames);
  const virtualHosts: ir.VirtualHost[] = [];
  for (const hostname of names) {
    const serving: RouteAttachment[] = [];
    for (const i of candidates(byHostname, hostname)) {
      const att = attachments[i]!;
      if (servesHostname(att.hostnames, hostname)) serving.push(att);
    }
    if (cache === undefined) {
      const entries = orderedPairs(serving, hostname).map((p) => ({ rule: indexOf(p.rule), match: p.match }));
      virtualHosts.push({ hostname, entries });
      continue;
    }
    const key = `${listener.key}\n${hostname}`;
    const pairs = cache.pairs(key, serving) ?? orderedPairs(serving, hostname);
    virtualHosts.push(cache.remember(key, serving, pairs, hostname, indexOf));
  }
  return { rules, virtualHosts };
}

/** A rule and one of its matches, in the order a virtual host tries them. */
export interface OrderedPair {
  readonly rule: ir.Rule;
  readonly match: ir.Match;
}

/** Every (rule, match) of the serving attachments, ordered by precedence.ts. */
function orderedPairs(serving: readonly RouteAttachment[], hostname: string): OrderedPair[] {
  const entries: (PrecedenceEntry & { irRule: ir.Rule })[] = [];
  for (const att of serving) {
    const host = computeHostnamePrecedence(att.hostnames, hostname);
    for (const r of att.rules) {
      r.matches.forEach((match, matchIndex) => {
        const grpc = r.grpcRanks?.[matchIndex];
        const entry = { route: att.route, host, match, ruleIndex: r.index, matchIndex, irRule: r.rule };
        entries.push(grpc === undefined ? entry : { ...entry, grpc });
      });
    }
  }
  entries.sort(compareEntries);
  return entries.map((e) => ({ rule: e.irRule, match: e.match }));
}

interface CachedVirtualHost {
  readonly serving: readonly RouteAttachment[];
  readonly pairs: readonly OrderedPair[];
  readonly vhost: ir.VirtualHost;
}

/**
 * Virtual hosts of the previous pass by listener and hostname. Reuse is decided by identity of
 * the serving attachments (an attachment object is only reused while its route, the resource
 * index and the listeners are unchanged — translate-cache.ts), so a stale entry is never used.
 */
export class VirtualHostCache {
  #previous = new Map<string, CachedVirtualHost>();
  #current = new Map<string, CachedVirtualHost>();

  /** Starts a pass: what the last pass remembered becomes what this one may reuse. */
  begin(): void {
    if (this.#current.size > 0) this.#previous = this.#current;
    this.#current = new Map();
  }

  /** The ordered pairs remembered for `key` when it was served by the very same attachments. */
  pairs(key: string, serving: readonly RouteAttachment[]): readonly OrderedPair[] | undefined {
    const hit = this.#previous.get(key);
    return hit !== undefined && sameItems(hit.serving, serving) ? hit.pairs : undefined;
  }

  /**
   * Remembers this pass's virtual host; returns the previous IR object when it is equal (same
   * matches pointing at the same rule indexes), else a new one.
   */
  remember(key: string, serving: readonly RouteAttachment[], pairs: readonly OrderedPair[], hostname: string, indexOf: (rule: ir.Rule) => number): ir.VirtualHost {
    const prev = this.#previous.get(key)?.vhost;
    const vhost =
      prev !== undefined && prev.hostname === hostname && sameEntries(prev.entries, pairs, indexOf)
        ? prev
        : { hostname, entries: pairs.map((p) => ({ rule: indexOf(p.rule), match: p.match })) };
    this.#current.set(key, { serving, pairs, vhost });
    return vhost;
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameEntries(entries: readonly ir.RouteEntry[], pairs: readonly OrderedPair[], indexOf: (rule: ir.Rule) => number): boolean {
  if (entries.length !== pairs.length) return false;
  for (let i = 0; i < pairs.length; i++) {
    const e = entries[i]!;
    const p = pairs[i]!;
    if (e.match !== p.match || e.rule !== indexOf(p.rule)) return false;
  }
  return true;
}


/** Lower-cased effective hostnames of an attachment (`['']`: any host), once per attachment object. */
const hostKeysOf = new WeakMap<RouteAttachment, readonly string[]>();

function hostKeys(att: RouteAttachment): readonly string[] {
  let keys = hostKeysOf.get(att);
  if (keys === undefined) {
    keys = att.hostnames.length === 0 ? [''] : [...new Set(att.hostnames.map((h) => h.toLowerCase()))];
    hostKeysOf.set(att, keys);
  }
  return keys;
}

/** Attachment indexes (ascending) by lower-cased effective hostname (`''`: any host). */
function indexByHostname(attachments: readonly RouteAttachment[]): Map<string, number[]> {
  const index = new Map<string, number[]>();
  for (let i = 0; i < attachments.length; i++) {
    for (const key of hostKeys(attachments[i]!)) {
      const list = index.get(key);
      if (list === undefined) index.set(key, [i]);
      else list.push(i);
    }
  }
  return index;
}

/**
 * The attachments that may serve `vhost`, in attachment order: those serving any host, those
 * naming `vhost` itself and those naming a wildcard that covers it (`*.b.c` and `*.c` for
 * `a.b.c` or `*.b.c`). Looking these up instead of testing every attachment keeps a listener
 * with many hostnames linear (servesHostname still has the last word).
 */
function candidates(index: ReadonlyMap<string, readonly number[]>, vhost: string): readonly number[] {
  const lists: (readonly number[])[] = [];
  const any = index.get('');
  if (any !== undefined) lists.push(any);
  if (vhost !== '*') {
    const own = index.get(vhost);
    if (own !== undefined) lists.push(own);
    for (let dot = vhost.indexOf('.', 1); dot !== -1; dot = vhost.indexOf('.', dot + 1)) {
      const pattern = `*${vhost.slice(dot)}`;
      const list = pattern === vhost ? undefined : index.get(pattern);
      if (list !== undefined) lists.push(list);
    }
  }
  if (lists.length === 1) return lists[0]!;
  // Each list is ascending and an attachment is in a list at most once; merge them.
  return [...new Set(lists.flat())].sort((a, b) => a - b);
}
