/**
 * Weighted backend choice, precomputed at compile time.
 *
 * Spec (HTTPBackendRef.Weight): "Weight specifies the proportion of requests forwarded to the
 * referenced backend. This is computed as weight/(sum of all weights in this BackendRefs list).
 * ... If only one backend is specified and it has a weight greater than 0, 100% of the traffic
 * is forwarded to that backend." Invalid backends keep their share (answered with 500).
 */

/** Cumulative sums of positive weights; zero or negative weights get no share. */
export function cumulativeWeights(weights: readonly number[]): { cumulative: number[]; total: number } {
  // map, not push: the array is kept with the compiled rule, and one grown by push keeps room
  // for 17 numbers (V8) where most rules have one backend.
  let total = 0;
  const cumulative = weights.map((w) => (total += w > 0 ? w : 0));
  return { cumulative, total };
}

/**
 * The index whose share covers `r` (0 ≤ r < 1), or -1 when the total weight is 0. Binary search
 * on the cumulative array.
 */
export function pickWeighted(cumulative: readonly number[], total: number, r: number): number {
  if (total <= 0 || cumulative.length === 0) return -1;
  if (cumulative.length === 1) return 0;
  const x = r * total;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x < (cumulative[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
