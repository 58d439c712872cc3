/**
 * Lining up two versions of a list by object identity, for the caches on both sides of the IR
 * that update a pass's result from the previous one (decision 7 in docs/decisions.md: an
 * unchanged object is the same object): the controller's route placements and virtual hosts,
 * the data plane's compiled listeners. Unchanged elements keep their relative order — routes
 * are sorted by age then key, virtual hosts by name — so a two-pointer walk with a short
 * lookahead finds what was removed and inserted while reading only the two arrays' pointers,
 * never the elements themselves. A longer run of replaced elements is crossed by probing the
 * diagonal; a longer run of removed or inserted ones with a position map of the new list, built
 * only then.
 *
 * Cheaper still is not to walk at all. A stage that builds a list from the previous one by edits
 * it knows (the snapshot's splice, the placements' merge, the virtual-host update) records them
 * with `recordDiff`, and `alignByIdentity` on that same pair of lists hands them back; it also
 * records each walk it does, so a second stage lining up the same pair (the stable view and the
 * status writer both line up the informers' lists) reads the first one's result. The walk is
 * dearer than it looks: `===` between two objects loads each one's map in V8 (to rule out a
 * number), so walking 5k kept elements touches 5k objects spread over the heap — 80–190 µs per
 * alignment in the controller at 5k routes, against ~35 µs for the same walk over small
 * integers (docs/performance.md §15). Like every list these stages hand on (decision 7), a list
 * given to either function is never changed afterwards; a record is trusted only for the very
 * two arrays, at the lengths, it was made for.
 */

/** How far `alignByIdentity` looks ahead for the next element both lists share. */
const LOOKAHEAD = 8;

/**
 * The change budget the caches use: past 1/8 of the list changed (and at least 8), placing or
 * building everything again costs about as much as updating (removed + inserted counted).
 */
export function changeBudget(length: number): number {
  return 2 * Math.max(8, length * 0.125);
}

/** The outcome of alignByIdentity. */
export interface IdentityDiff {
  /** Where each old element went in the new list; -1: removed. */
  readonly oldToNew: Int32Array;
  /** Which new element each position holds from the old list; -1: inserted. */
  readonly newToOld: Int32Array;
  /** Old positions removed, ascending. */
  readonly removed: readonly number[];
  /** New positions inserted, ascending (a replaced element is removed and inserted). */
  readonly inserted: readonly number[];
}

/**
 * A diff recorded for the list it produced. `from` is known by a number, not held: a reference,
 * even a WeakRef (which V8's scavenger treats as strong), would keep every earlier list of a
 * stage alive, one recorded diff holding the next, and have them promoted.
 */
interface Recorded {
  readonly fromId: number;
  readonly oldLength: number;
  readonly newLength: number;
  readonly removed: readonly number[];
  readonly inserted: readonly number[];
}

const recorded = new WeakMap<readonly unknown[], Recorded>();
const listIds = new WeakMap<readonly unknown[], number>();
let nextListId = 1;

/** A number for `list`, the same on every call while it lives. */
function idOf(list: readonly unknown[]): number {
  let id = listIds.get(list);
  if (id === undefined) listIds.set(list, (id = nextListId++));
  return id;
}

/**
 * Records that `to` is `from` without the elements at old positions `removed` and with new
 * ones at new positions `inserted` (both ascending), every other element kept in order. The
 * caller vouches for it; `alignByIdentity(from, to, …)` returns it without comparing elements.
 */
export function recordDiff<T>(from: readonly T[], to: readonly T[], removed: readonly number[], inserted: readonly number[]): void {
  if (from.length - removed.length !== to.length - inserted.length) {
    throw new Error(`internal: a recorded diff of ${from.length} → ${to.length} elements with ${removed.length} removed and ${inserted.length} inserted`);
  }
  recorded.set(to, { fromId: idOf(from), oldLength: from.length, newLength: to.length, removed, inserted });
}

/** The diff recorded for `old` → `next`, or undefined. */
function recordedDiff(old: readonly unknown[], next: readonly unknown[]): IdentityDiff | undefined {
  const r = recorded.get(next);
  if (r === undefined || r.fromId !== listIds.get(old) || r.oldLength !== old.length || r.newLength !== next.length) return undefined;
  return lazyDiff(r);
}

/**
 * The recorded edits as a diff whose position maps are made when read (encodeList reads none),
 * for this reader only: kept with the record, two maps of the list's length per stage would
 * live as long as the stage's list and be promoted with it.
 */
function lazyDiff(r: Recorded): IdentityDiff {
  let maps: { readonly oldToNew: Int32Array; readonly newToOld: Int32Array } | null = null;
  return {
    get oldToNew() {
      return (maps ??= positionsOfEdits(r)).oldToNew;
    },
    get newToOld() {
      return (maps ??= positionsOfEdits(r)).newToOld;
    },
    removed: r.removed,
    inserted: r.inserted,
  };
}

/** oldToNew and newToOld of recorded edits: one walk over positions, no element read. */
function positionsOfEdits(r: Recorded): { readonly oldToNew: Int32Array; readonly newToOld: Int32Array } {
  const oldToNew = new Int32Array(r.oldLength);
  const newToOld = new Int32Array(r.newLength);
  let i = 0;
  let j = 0;
  let a = 0;
  let b = 0;
  while (i < r.oldLength || j < r.newLength) {
    if (a < r.removed.length && r.removed[a] === i) {
      oldToNew[i++] = -1;
      a++;
    } else if (b < r.inserted.length && r.inserted[b] === j) {
      newToOld[j++] = -1;
      b++;
    } else if (i < r.oldLength && j < r.newLength) {
      oldToNew[i] = j;
      newToOld[j++] = i++;
    } else {
      throw new Error('internal: recorded edits that are not ascending positions');
    }
  }
  return { oldToNew, newToOld };
}

/** Lines up `old` and `next` by identity (see the module comment); null past `budget` changes. */
export function alignByIdentity<T>(old: readonly T[], next: readonly T[], budget: number): IdentityDiff | null {
  const known = recordedDiff(old, next);
  if (known !== undefined) return known.removed.length + known.inserted.length > budget ? null : known;
  const diff = walk(old, next, budget);
  if (diff !== null) recordDiff(old, next, diff.removed, diff.inserted);
  return diff;
}

/** The two-pointer walk of alignByIdentity. */
function walk<T>(old: readonly T[], next: readonly T[], budget: number): IdentityDiff | null {
  const oldToNew = new Int32Array(old.length).fill(-1);
  const newToOld = new Int32Array(next.length).fill(-1);
  const removed: number[] = [];
  const inserted: number[] = [];
  let positions: Map<T, number> | null = null; // built on the first long run only
  let i = 0;
  let j = 0;
  while (i < old.length && j < next.length) {
    if (old[i] === next[j]) {
      oldToNew[i] = j;
      newToOld[j++] = i++;
      continue;
    }
    let d = 1;
    for (; d <= LOOKAHEAD; d++) {
      if (i + d < old.length && old[i + d] === next[j]) {
        for (const end = i + d; i < end; i++) removed.push(i);
        break;
      }
      if (j + d < next.length && next[j + d] === old[i]) {
        for (const end = j + d; j < end; j++) inserted.push(j);
        break;
      }
      if (i + d < old.length && j + d < next.length && old[i + d] === next[j + d]) {
        for (const end = i + d; i < end; i++) removed.push(i); // d replaced in place
        for (const end = j + d; j < end; j++) inserted.push(j);
        break;
      }
    }
    if (d > LOOKAHEAD) {
      // A longer run of changes. Replaced in place (a file of routes edited): the lists agree
      // again on the diagonal, found with a few probes. Else a run came or went (a file of
      // routes added or deleted): find old[i] further on in a position map of `next`.
      const run = replacedRun(old, next, i, j, budget);
      if (run > 0) {
        for (const end = i + run; i < end; i++) removed.push(i);
        for (const end = j + run; j < end; j++) inserted.push(j);
      } else {
        positions ??= positionsOf(next);
        const at = positions.get(old[i]!);
        if (at !== undefined && at > j) while (j < at) inserted.push(j++);
        else removed.push(i++);
      }
    }
    if (removed.length + inserted.length > budget) return null;
  }
  while (i < old.length) removed.push(i++);
  while (j < next.length) inserted.push(j++);
  return removed.length + inserted.length > budget ? null : { oldToNew, newToOld, removed, inserted };
}

/**
 * The length of a run of elements replaced in place at old[i] / next[j] (so that old[i + n]
 * and next[j + n] are the same element again), found by doubling then bisecting the distance;
 * 0 when none is found within `limit`. Only called past the lookahead, so the run is longer.
 */
function replacedRun<T>(old: readonly T[], next: readonly T[], i: number, j: number, limit: number): number {
  const agree = (n: number): boolean => i + n < old.length && j + n < next.length && old[i + n] === next[j + n];
  let lo = LOOKAHEAD; // the lookahead found no agreement this close
  let hi = 2 * LOOKAHEAD;
  while (!agree(hi)) {
    if (hi > limit || i + hi >= old.length || j + hi >= next.length) return 0;
    lo = hi;
    hi *= 2;
  }
  // agree(hi); find the first agreeing distance after lo (agreement holds from the run's end on)
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (agree(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Each element's last position in `list`. */
function positionsOf<T>(list: readonly T[]): Map<T, number> {
  const out = new Map<T, number>();
  for (let k = 0; k < list.length; k++) out.set(list[k]!, k);
  return out;
}
