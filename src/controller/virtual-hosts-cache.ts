/**
 * VirtualHostCache: the per-listener build of virtual-hosts.ts, updated rather than rebuilt
 * when few of a listener's attachments changed since the previous pass — a route edited (its
 * attachment replaced), added (newest routes come last, so usually appended) or deleted.
 *
 * Attachment objects are reused across passes for unchanged routes (translate-cache.ts), and
 * unchanged routes keep their relative order, so lining up the new attachment list with the
 * previous one by identity (ir/identity-diff.ts) finds what was removed and inserted. Only the
 * virtual hosts those attachments can reach (keyReaches) are rebuilt; every other virtual host
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
import { alignByIdentity, changeBudget } from '../ir/identity-diff.js';
import { buildListenerHosts, buildVirtualHost, hostKeys, keyReaches, vhostName, type ListenerHosts } from './virtual-hosts.js';
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
 * is consumed: its host index is updated in place (the cache never reads `prev` again), while
 * what the IR holds (`rules`, `virtualHosts`, each virtual host) is new or left untouched.
 */
function update(prev: ListenerHosts, attachments: readonly RouteAttachment[]): ListenerHosts | null {
  const old = prev.attachments;
  if (attachments === old) return prev;
  const diff = alignByIdentity(old, attachments, changeBudget(attachments.length));
  if (diff === null) return null;
  const { oldToNew, newToOld, removed, inserted } = diff;
  if (removed.length === 0 && inserted.length === 0) return prev;

  // Rules in attachment order, and where each old rule went (-1: its attachment is gone). A
  // kept attachment's rules are copied from the previous array by range (its rule count is the
  // gap to the next offset): only inserted attachments are read, so an update does not visit
  // thousands of unchanged attachment objects. Arrays are sized up front.
  const oldRules = prev.rules;
  const oldOffsets = prev.offsets;
  const rangeEnd = (i: number): number => (i + 1 < old.length ? oldOffsets[i + 1]! : oldRules.length);
  let firstMoved = old.length; // the first kept attachment whose position changed
  let ruleCount = oldRules.length;
  for (let i = 0; i < old.length; i++) {
    const to = oldToNew[i]!;
    if (to === -1) ruleCount -= rangeEnd(i) - oldOffsets[i]!;
    else if (to !== i && firstMoved === old.length) firstMoved = i;
  }
  for (const j of inserted) ruleCount += attachments[j]!.rules.length;
  const rules = new Array<ir.Rule>(ruleCount);
  const offsets = new Array<number>(attachments.length);
  const ruleTo = new Int32Array(oldRules.length).fill(-1);
  let rulesMoved = false;
  for (let j = 0, at = 0; j < attachments.length; j++) {
    offsets[j] = at;
    const i = newToOld[j]!;
    if (i === -1) {
      const own = attachments[j]!.rules;
      for (let k = 0; k < own.length; k++) rules[at++] = own[k]!.rule;
      continue;
    }
    const from = oldOffsets[i]!;
    if (from !== at) rulesMoved = true;
    for (let r = from, end = rangeEnd(i); r < end; r++) {
      ruleTo[r] = at;
      rules[at++] = oldRules[r]!;
    }
  }

  // Host index: removed attachments' positions are dropped, positions at or after the first
  // move renumbered, inserted ones added; the keys of removed and inserted attachments are
  // "touched" (their virtual hosts are rebuilt).
  const byHostname = prev.byHostname as Map<string, readonly number[]>;
  const touched = new Set<string>();
  for (const i of removed) {
    for (const key of hostKeys(old[i]!)) {
      touched.add(key);
      byHostname.set(key, byHostname.get(key)!.filter((x) => x !== i));
    }
  }
  if (firstMoved < old.length) {
    for (const [key, list] of byHostname) {
      if (list.length > 0 && list[list.length - 1]! >= firstMoved) byHostname.set(key, list.map((i) => oldToNew[i]!));
    }
  }
  for (const i of inserted) {
    for (const key of hostKeys(attachments[i]!)) {
      touched.add(key);
      byHostname.set(key, insertSorted([...(byHostname.get(key) ?? [])], i));
    }
  }
  let names = prev.names as string[];
  for (const key of touched) {
    const empty = byHostname.get(key)!.length === 0;
    if (empty) byHostname.delete(key);
    const name = vhostName(key);
    const at = sortedIndex(names, name);
    if (empty === (names[at] !== name)) continue; // already as it should be
    if (names === prev.names) names = [...names];
    if (empty) names.splice(at, 1);
    else names.splice(at, 0, name);
  }

  // Virtual hosts a touched key reaches are rebuilt; the others keep their object, or get a new
  // one with the same entries at their rules' new positions.
  const reached = reachedNames(touched, names);
  const previous = prev.virtualHosts;
  if (names === prev.names && !rulesMoved && reached !== 'all') {
    // The same names (virtualHosts lines up with them) and every rule in its place: only the
    // reached virtual hosts change, found by name, instead of walking all of them (a pass that
    // edits a few of 5k routes).
    const virtualHosts = previous.slice();
    for (const name of reached) {
      const at = sortedIndex(names, name);
      if (names[at] === name) virtualHosts[at] = buildVirtualHost(attachments, offsets, byHostname, name);
    }
    return { attachments, offsets, byHostname, names, rules, virtualHosts };
  }
  let p = 0;
  const virtualHosts = names.map((name) => {
    while (p < previous.length && compareVirtualHostNames(previous[p]!.hostname, name) < 0) p++;
    const vh = previous[p]?.hostname === name ? previous[p]! : undefined;
    if (vh === undefined || reached === 'all' || reached.has(name)) return buildVirtualHost(attachments, offsets, byHostname, name);
    if (!rulesMoved || vh.entries.every((e) => ruleTo[e.rule] === e.rule)) return vh;
    return { hostname: vh.hostname, entries: vh.entries.map((e) => ({ rule: ruleTo[e.rule]!, match: e.match })) };
  });
  return { attachments, offsets, byHostname, names, rules, virtualHosts };
}

/** The virtual host names attachments with these host keys can serve (keyReaches), or 'all'. */
function reachedNames(keys: ReadonlySet<string>, names: readonly string[]): ReadonlySet<string> | 'all' {
  if (keys.has('')) return 'all';
  const out = new Set<string>();
  for (const key of keys) {
    out.add(key);
    if (key.startsWith('*.')) for (const name of names) if (keyReaches(key, name)) out.add(name);
  }
  return out;
}

/** Where `name` is or would go in the sorted `names` (binary search). */
function sortedIndex(names: readonly string[], name: string): number {
  return partitionPoint(names.length, (i) => compareVirtualHostNames(names[i]!, name) < 0);
}

function insertSorted(list: number[], i: number): number[] {
  let at = list.length;
  while (at > 0 && list[at - 1]! > i) at--;
  list.splice(at, 0, i);
  return list;
}
