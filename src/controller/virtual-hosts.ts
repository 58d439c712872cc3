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
 * `rules` lists each attachment's rules in attachment order (a rule object belongs to one
 * route, and a route is attached to a listener at most once, so no rule appears twice);
 * `offsets[i]` is where attachment i's rules start. virtual-hosts-cache.ts updates this state
 * in place of a rebuild when few attachments changed. Arrays are built at their exact size and
 * the offsets are an Int32Array: a listener with thousands of routes is rebuilt or updated on
 * every pass, and the garbage of each pass is what the next scavenge copies or frees.
 */
import type * as ir from '../ir/types.js';
import type { ListenerNode, RouteAttachment } from './model.js';
import { servesHostname } from './hostnames.js';
import { compareEntries, compareVirtualHostNames, computeHostnamePrecedence, type PrecedenceEntry } from './precedence.js';

/** Everything built for one listener; the last two fields are what the IR listener takes. */
export interface ListenerHosts {
  readonly attachments: readonly RouteAttachment[];
  /** Where each attachment's rules start in `rules`. */
  readonly offsets: Int32Array;
  /**
   * Attachment positions (ascending) by lower-cased effective hostname (`''`: any host). Owned
   * by the virtual-host cache, whose update() changes it in place (virtual-hosts-cache.ts).
   */
  readonly byHostname: Map<string, number[]>;
  readonly rules: ir.Rule[];
  /** One per host key (`''` is `*`), in the order a request tries them (compareVirtualHostNames). */
  readonly virtualHosts: ir.VirtualHost[];
}

/** Builds the IR rules and virtual hosts of one listener from its route attachments. */
export function buildVirtualHosts(listener: ListenerNode): { rules: ir.Rule[]; virtualHosts: ir.VirtualHost[] } {
  const { rules, virtualHosts } = buildListenerHosts(listener.attachments);
  return { rules, virtualHosts };
}

/** The whole per-listener build (see the module comment). */
export function buildListenerHosts(attachments: readonly RouteAttachment[]): ListenerHosts {
  const offsets = new Int32Array(attachments.length);
  let count = 0;
  for (let i = 0; i < attachments.length; i++) {
    offsets[i] = count;
    count += attachments[i]!.rules.length;
  }
  const rules = new Array<ir.Rule>(count);
  for (let i = 0, at = 0; i < attachments.length; i++) {
    const own = attachments[i]!.rules;
    for (let k = 0; k < own.length; k++) rules[at++] = own[k]!.rule;
  }
  const byHostname = new Map<string, number[]>();
  for (let i = 0; i < attachments.length; i++) {
    for (const key of hostKeys(attachments[i]!)) {
      const list = byHostname.get(key);
      if (list === undefined) byHostname.set(key, [i]);
      else list.push(i);
    }
  }
  const names = Array.from(byHostname.keys(), vhostName).sort(compareVirtualHostNames);
  const virtualHosts = names.map((hostname) => buildVirtualHost(attachments, offsets, byHostname, hostname));
  return { attachments, offsets, byHostname, rules, virtualHosts };
}

/** One virtual host: the (rule, match) pairs of every attachment serving it, by precedence. */
export function buildVirtualHost(
  attachments: readonly RouteAttachment[],
  offsets: Int32Array,
  byHostname: ReadonlyMap<string, readonly number[]>,
  hostname: string,
): ir.VirtualHost {
  const entries: (PrecedenceEntry & { rule: number })[] = [];
  for (const i of candidates(byHostname, hostname)) {
    const att = attachments[i]!;
    if (!servesHostname(att.hostnames, hostname)) continue;
    const host = computeHostnamePrecedence(att.hostnames, hostname);
    att.rules.forEach((r, k) => {
      const rule = offsets[i]! + k;
      r.matches.forEach((match, matchIndex) => {
        const grpc = r.grpcRanks?.[matchIndex];
        const entry = { route: att.route, host, match, ruleIndex: r.index, matchIndex, rule };
        entries.push(grpc === undefined ? entry : { ...entry, grpc });
      });
    });
  }
  entries.sort(compareEntries);
  return { hostname, entries: entries.map((e) => ({ rule: e.rule, match: e.match })) };
}

/** The virtual host name of a host key: `''` (any host) is `*`. */
export function vhostName(key: string): string {
  return key === '' ? '*' : key;
}

/** Lower-cased effective hostnames of an attachment (`['']`: any host), once per attachment object. */
const hostKeysOf = new WeakMap<RouteAttachment, readonly string[]>();

export function hostKeys(att: RouteAttachment): readonly string[] {
  let keys = hostKeysOf.get(att);
  if (keys === undefined) {
    keys = att.hostnames.length === 0 ? [''] : [...new Set(att.hostnames.map((h) => h.toLowerCase()))];
    hostKeysOf.set(att, keys);
  }
  return keys;
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
  // Each list is ascending and holds an attachment at most once; merge them.
  return [...new Set(lists.flat())].sort((a, b) => a - b);
}
