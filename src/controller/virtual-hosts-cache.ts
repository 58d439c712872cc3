/**
 * VirtualHostCache: the per-listener build of virtual-hosts.ts, updated rather than rebuilt
 * when few of a listener's attachments changed since the previous pass — a route edited (its
 * attachment replaced), added (newest routes come last, so usually appended) or deleted.
 *
 * Attachment objects are reused across passes for unchanged routes (translate-cache.ts), and
 * unchanged routes keep their relative order, so lining up the new attachment list with the
 * previous one by identity (ir/identity-diff.ts) finds what was removed and inserted. Only the
 * virtual hosts those attachments can reach (reachedNames) are rebuilt; every other virtual host
 * keeps its IR object, or — when attachments before its own came or went, so its rules moved
 * in the listener's `rules` — gets a copy with the same entries at the rules' new positions
 * (entry order depends on the routes, not on positions: precedence.ts). Many changes take the
 * full build. The result is the same either way (virtual-hosts-cache.test.ts compares them on
 * random edit sequences).
 *
 * IR objects are never mutated: arrays that change are copied.
 */
import type * as ir from '../ir/types.js';
import type { ListenerNode, RouteAttachment } from './model.js';
import { compareVirtualHostNames } from './precedence.js';
import { alignByIdentity, changeBudget, recordDiff } from '../ir/identity-diff.js';
import { buildListenerHosts, buildVirtualHost, hostKeys, vhostName, type ListenerHosts } from './virtual-hosts.js';
import { partitionPoint } from '../partition-point.js';

/** Per-listener builds of the previous pass, by listener slot. */
export class VirtualHostCache {
  #previous = new Map<string, ListenerHosts>();
  #current = new Map<string, ListenerHosts>();
  #updates = 0;
  #rebuilds = 0;

  /** Starts a pass: what the last pass built becomes what this one may update. */
  begin(): void {
    if (this.#current.size > 0) this.#previous = this.#current;
    this.#current = new Map();
  }

  /** The listener's IR rules and virtual hosts, updated from the previous pass where possible. */
  build(listener: ListenerNode): { rules: ir.Rule[]; virtualHosts: ir.VirtualHost[] } {
    const prev = this.#previous.get(listener.slot);
    this.#previous.delete(listener.slot); // update() consumes it
    let built = prev === undefined ? null : update(prev, listener.attachments);
    if (built === null) {
      built = buildListenerHosts(listener.attachments);
      this.#rebuilds++;
    } else {
      this.#updates++;
    }
    this.#current.set(listener.slot, built);
    return { rules: built.rules, virtualHosts: built.virtualHosts };
  }

  /** How many listener builds were updates and how many full builds (for tests). */
  get stats(): { readonly updates: number; readonly rebuilds: number } {
    return { updates: this.#updates, rebuilds: this.#rebuilds };
  }
}

/**
 * The previous build brought up to `attachments`, or null when a full build is needed. `prev`
 * is consumed: its host index (the map and its lists) is updated in place (the cache never
 * reads `prev` again), while what the IR holds (`rules`, `virtualHosts`, each virtual host) is
 * new or left untouched. What it allocates is the two IR arrays at their exact size, the
 * offsets (off the JS heap) and what the touched virtual hosts need: a pass that adds one route
 * to a listener with 5k copies no other per-route or per-name list.
 */
function update(prev: ListenerHosts, attachments: readonly RouteAttachment[]): ListenerHosts | null {
  const old = prev.attachments;
  if (attachments === old) return prev;
  const diff = alignByIdentity(old, attachments, changeBudget(attachments.length));
  if (diff === null) return null;
  const { oldToNew, newToOld, removed, inserted } = diff;
  if (removed.length === 0 && inserted.length === 0) return prev;

  // Rules in attachment order. A kept attachment's rules are copied from the previous array by
  // range (its rule count is the gap to the next offset): only inserted attachments are read,
  // so an update does not visit thousands of unchanged attachment objects. Attachments before
  // the first change keep their positions (alignByIdentity matches from the start).
  const oldRules = prev.rules;
  const oldOffsets = prev.offsets;
  const rangeEnd = (i: number): number => (i + 1 < old.length ? oldOffsets[i + 1]! : oldRules.length);
  let ruleCount = oldRules.length;
  for (const i of removed) ruleCount -= rangeEnd(i) - oldOffsets[i]!;
  for (const j of inserted) ruleCount += attachments[j]!.rules.length;
  let firstMoved = old.length; // the first kept attachment whose position changed
  for (let i = Math.min(removed[0] ?? old.length, inserted[0] ?? old.length); i < old.length; i++) {
    const to = oldToNew[i]!;
    if (to !== -1 && to !== i) {
      firstMoved = i;
      break;
    }
  }
  const rules = new Array<ir.Rule>(ruleCount);
  const offsets = new Int32Array(attachments.length);
  let rulesMoved = false;
  const rulesIn: number[] = [];
  for (let j = 0, at = 0; j < attachments.length; j++) {
    offsets[j] = at;
    const i = newToOld[j]!;
    if (i === -1) {
      const own = attachments[j]!.rules;
      for (let k = 0; k < own.length; k++) {
        rulesIn.push(at);
        rules[at++] = own[k]!.rule;
      }
      continue;
    }
    const from = oldOffsets[i]!;
    if (from !== at) rulesMoved = true;
    for (let r = from, end = rangeEnd(i); r < end; r++) rules[at++] = oldRules[r]!;
  }
  // The edits of both IR lists are recorded for the config stream's encoder (ir/delta.ts).
  const rulesOut: number[] = [];
  for (const i of removed) for (let r = oldOffsets[i]!, end = rangeEnd(i); r < end; r++) rulesOut.push(r);
  recordDiff(oldRules, rules, rulesOut, rulesIn);

  // Host index, its lists changed in place: removed attachments' positions dropped, positions
  // at or after the first move renumbered, inserted ones added; the keys of removed and inserted
  // attachments are "touched" (their virtual hosts are rebuilt).
  const byHostname = prev.byHostname;
  const touched = new Set<string>();
  for (const i of removed) {
    for (const key of hostKeys(old[i]!)) {
      touched.add(key);
      const list = byHostname.get(key)!;
      const at = list.indexOf(i);
      if (at !== -1) list.splice(at, 1);
    }
  }
  if (firstMoved < old.length) {
    for (const list of byHostname.values()) {
      if (list.length === 0 || list[list.length - 1]! < firstMoved) continue;
      for (let k = 0; k < list.length; k++) list[k] = oldToNew[list[k]!]!;
    }
  }
  for (const j of inserted) {
    for (const key of hostKeys(attachments[j]!)) {
      touched.add(key);
      const list = byHostname.get(key);
      if (list === undefined) byHostname.set(key, [j]);
      else insertSorted(list, j);
    }
  }
  // Virtual hosts that come (a touched key's first attachment) or go (its last one).
  const previous = prev.virtualHosts;
  const added: string[] = [];
  const dropped = new Set<string>();
  for (const key of touched) {
    const empty = byHostname.get(key)!.length === 0;
    if (empty) byHostname.delete(key);
    const name = vhostName(key);
    const present = previous[sortedIndex(previous, name)]?.hostname === name;
    if (empty && present) dropped.add(name);
    else if (!empty && !present) added.push(name);
  }

  // Virtual hosts a touched key reaches are rebuilt; the others keep their object, or get a new
  // one with the same entries at their rules' new positions.
  const reached = reachedNames(touched, previous);
  const build = (name: string): ir.VirtualHost => buildVirtualHost(attachments, offsets, byHostname, name);
  if (added.length === 0 && dropped.size === 0 && !rulesMoved && reached !== 'all') {
    // The same names and every rule in its place: only the reached virtual hosts change, found
    // by name, instead of walking all of them (a pass that edits a few of 5k routes).
    const virtualHosts = previous.slice();
    const rebuilt: number[] = [];
    for (const name of reached) {
      const at = sortedIndex(previous, name);
      if (previous[at]?.hostname !== name) continue;
      virtualHosts[at] = build(name);
      rebuilt.push(at);
    }
    rebuilt.sort((a, b) => a - b);
    recordDiff(previous, virtualHosts, rebuilt, rebuilt);
    return { attachments, offsets, byHostname, rules, virtualHosts };
  }
  // Else one walk: the previous virtual hosts with the added names merged in, gone ones skipped.
  added.sort(compareVirtualHostNames);
  const ruleTo = rulesMoved ? ruleMoves(old, oldToNew, oldOffsets, offsets, oldRules.length) : null;
  const virtualHosts = new Array<ir.VirtualHost>(previous.length + added.length - dropped.size);
  const hostsOut: number[] = [];
  const hostsIn: number[] = [];
  let n = 0;
  let a = 0;
  const put = (vh: ir.VirtualHost): void => {
    hostsIn.push(n);
    virtualHosts[n++] = vh;
  };
  for (let p = 0; p < previous.length; p++) {
    const vh = previous[p]!;
    while (a < added.length && compareVirtualHostNames(added[a]!, vh.hostname) < 0) put(build(added[a++]!));
    if (reached === 'all' || reached.has(vh.hostname)) {
      hostsOut.push(p);
      if (!dropped.has(vh.hostname)) put(build(vh.hostname));
    } else if (ruleTo === null || vh.entries.every((e) => ruleTo[e.rule] === e.rule)) {
      virtualHosts[n++] = vh;
    } else {
      hostsOut.push(p);
      put({ hostname: vh.hostname, entries: vh.entries.map((e) => ({ rule: ruleTo[e.rule]!, match: e.match })) });
    }
  }
  while (a < added.length) put(build(added[a++]!));
  if (n !== virtualHosts.length) throw new Error(`internal: ${n} virtual hosts, ${virtualHosts.length} expected`);
  recordDiff(previous, virtualHosts, hostsOut, hostsIn);
  return { attachments, offsets, byHostname, rules, virtualHosts };
}

/** Where each old rule went (-1: its attachment is gone), for virtual hosts kept across a move. */
function ruleMoves(old: readonly unknown[], oldToNew: Int32Array, oldOffsets: Int32Array, offsets: Int32Array, oldRuleCount: number): Int32Array {
  const ruleTo = new Int32Array(oldRuleCount).fill(-1);
  for (let i = 0; i < old.length; i++) {
    const to = oldToNew[i]!;
    if (to === -1) continue;
    const shift = offsets[to]! - oldOffsets[i]!;
    for (let r = oldOffsets[i]!, end = i + 1 < old.length ? oldOffsets[i + 1]! : oldRuleCount; r < end; r++) ruleTo[r] = r + shift;
  }
  return ruleTo;
}

/**
 * The virtual host names attachments with these host keys can be candidates of, or 'all' (for
 * `''`, any host): each key's own name and, for a wildcard `*.b.c`, every existing name ending
 * in `.b.c` (the suffix cut once per key, not per name). An over-approximation is harmless:
 * that virtual host is just rebuilt.
 */
function reachedNames(keys: ReadonlySet<string>, virtualHosts: readonly ir.VirtualHost[]): ReadonlySet<string> | 'all' {
  if (keys.has('')) return 'all';
  const out = new Set<string>();
  for (const key of keys) {
    out.add(key);
    if (!key.startsWith('*.')) continue;
    const suffix = key.slice(1);
    for (let k = 0; k < virtualHosts.length; k++) {
      const name = virtualHosts[k]!.hostname;
      if (name !== '*' && name.endsWith(suffix)) out.add(name);
    }
  }
  return out;
}

/** Where virtual host `name` is or would go in `virtualHosts` (binary search). */
function sortedIndex(virtualHosts: readonly ir.VirtualHost[], name: string): number {
  return partitionPoint(virtualHosts.length, (i) => compareVirtualHostNames(virtualHosts[i]!.hostname, name) < 0);
}

/** Inserts position `i` into the ascending `list`, in place. */
function insertSorted(list: number[], i: number): void {
  let at = list.length;
  while (at > 0 && list[at - 1]! > i) at--;
  list.splice(at, 0, i);
}
