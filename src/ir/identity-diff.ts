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

/** Lines up `old` and `next` by identity (see the module comment); null past `budget` changes. */
export function alignByIdentity<T>(old: readonly T[], next: readonly T[], budget: number): IdentityDiff | null {
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
