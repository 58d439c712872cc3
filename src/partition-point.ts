/**
 * Binary search over a sorted sequence: the first index in [0, length) for which `before` is
 * false, where `before` holds for a prefix of the indices and not after it (e.g. "the element
 * at i sorts before x": the position x is at or would be inserted at).
 */
export function partitionPoint(length: number, before: (i: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
