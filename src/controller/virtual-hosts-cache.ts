/**
 * VirtualHostCache: the per-listener build of virtual-hosts.ts, updated rather than rebuilt
 * when few of a listener's attachments changed since the previous pass — the common case of a
 * route edit (an attachment replaced in place) or a new route (newest routes come last, so its
 * attachment is appended).
 *
 * Attachment objects are reused across passes for unchanged routes (translate-cache.ts), so
 * comparing the new attachment list with the previous one by identity finds what changed. Only
 * the virtual hosts those attachments can reach (keyReaches) are rebuilt; every other virtual
 * host keeps its IR object, which stays right because its serving attachments and their rule
 * positions did not move. Anything else — removals, insertions, a changed rule count, many
 * changes — takes the full build. The result is the same either way
 * (virtual-hosts-cache.test.ts compares them on random edit sequences).
 *
 * IR objects are never mutated: arrays that change are copied.
 */
import type * as ir from '../ir/types.js';
import type { ListenerNode, RouteAttachment } from './model.js';
import { compareVirtualHostNames } from './precedence.js';
import { buildListenerHosts, buildVirtualHost, hostKeys, keyReaches, vhostName, type ListenerHosts } from './virtual-hosts.js';

/** Above this share of changed attachments the full build is cheaper. */
const MAX_CHANGED_SHARE = 0.125;

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

/** The previous build brought up to `attachments`, or null when a full build is needed. */
function update(prev: ListenerHosts, attachments: readonly RouteAttachment[]): ListenerHosts | null {
  const old = prev.attachments;
  if (attachments === old) return prev;
  if (attachments.length < old.length) return null;
  const changed: number[] = [];
  for (let i = 0; i < old.length; i++) if (attachments[i] !== old[i]) changed.push(i);
  const appended = attachments.length - old.length;
  if (changed.length === 0 && appended === 0) return prev;
  if (changed.length + appended > Math.max(8, attachments.length * MAX_CHANGED_SHARE)) return null;
  // A replaced attachment must bring as many rules as it replaces, so no rule index moves.
  for (const i of changed) if (attachments[i]!.rules.length !== old[i]!.rules.length) return null;

  const rules = prev.rules.slice();
  const offsets = prev.offsets.slice();
  for (const i of changed) attachments[i]!.rules.forEach((r, k) => (rules[offsets[i]! + k] = r.rule));
  for (let i = old.length; i < attachments.length; i++) {
    offsets.push(rules.length);
    for (const r of attachments[i]!.rules) rules.push(r.rule);
  }

  // Host keys: copy the index and a position list before changing them (the previous build
  // keeps its own); an edit that keeps every attachment's keys copies nothing.
  let byHostname: Map<string, readonly number[]> | null = null;
  const touched = new Set<string>();
  const edit = (key: string, change: (list: number[]) => number[]): void => {
    touched.add(key);
    byHostname ??= new Map(prev.byHostname);
    const next = change([...(byHostname.get(key) ?? [])]);
    if (next.length === 0) byHostname.delete(key);
    else byHostname.set(key, next);
  };
  for (const i of changed) {
    const before = hostKeys(old[i]!);
    const after = hostKeys(attachments[i]!);
    for (const key of before) touched.add(key);
    if (sameKeys(before, after)) continue;
    for (const key of before) if (!after.includes(key)) edit(key, (list) => list.filter((x) => x !== i));
    for (const key of after) if (!before.includes(key)) edit(key, (list) => insertSorted(list, i));
  }
  for (let i = old.length; i < attachments.length; i++) {
    for (const key of hostKeys(attachments[i]!)) edit(key, (list) => [...list, i]);
  }

  const hosts = byHostname ?? prev.byHostname;
  const names = byHostname === null ? prev.names : updateNames(prev.names, hosts);
  const byName = new Map<string, ir.VirtualHost>();
  for (const vh of prev.virtualHosts) byName.set(vh.hostname, vh);
  const keys = [...touched];
  const virtualHosts = names.map((name) => {
    const kept = byName.get(name);
    if (kept !== undefined && !keys.some((key) => keyReaches(key, name))) return kept;
    return buildVirtualHost(attachments, offsets, hosts, name);
  });
  return { attachments, offsets, byHostname: hosts, names, rules, virtualHosts };
}

/** The sorted virtual host names for `byHostname`, reusing the previous list when unchanged. */
function updateNames(prev: readonly string[], byHostname: ReadonlyMap<string, readonly number[]>): readonly string[] {
  const have = new Set(prev);
  let names: string[] | null = null;
  for (const key of byHostname.keys()) {
    const name = vhostName(key);
    if (have.has(name)) continue;
    names ??= [...prev];
    // Binary search for the insertion point (names are kept sorted).
    let lo = 0;
    let hi = names.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareVirtualHostNames(names[mid]!, name) < 0) lo = mid + 1;
      else hi = mid;
    }
    names.splice(lo, 0, name);
  }
  if (byHostname.size !== (names ?? prev).length) {
    names = (names ?? [...prev]).filter((name) => byHostname.has(name === '*' ? '' : name));
  }
  return names ?? prev;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

function insertSorted(list: number[], i: number): number[] {
  let at = list.length;
  while (at > 0 && list[at - 1]! > i) at--;
  list.splice(at, 0, i);
  return list;
}
