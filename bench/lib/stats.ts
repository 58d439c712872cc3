/**
 * Small statistics helpers for the benchmark harness: medians, percentiles and ratios.
 * Pure functions; no I/O.
 */

/** Median of the finite numbers in `xs`, or null when there are none. */
export function median(xs: readonly (number | null | undefined)[]): number | null {
  const v = finite(xs).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/**
 * Percentile `p` (0..100) of already-sorted ascending values, nearest-rank method
 * (the value at rank ceil(p/100 · n)), or null for an empty list.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  // the epsilon keeps float noise (99.9 / 100 · 1000 = 999.0000000000001) from skipping a rank
  const rank = Math.min(n, Math.max(1, Math.ceil((p * n) / 100 - 1e-9)));
  return sorted[rank - 1]!;
}

/** Percentile `p` of unsorted values (copies and sorts). */
export function percentile(xs: readonly number[], p: number): number | null {
  return percentileSorted(finite(xs).sort((a, b) => a - b), p);
}

/** a / b, or null when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/**
 * The median over rounds of the per-round ratio `value(target) / value(reference)`. Comparing
 * within a round keeps host noise (CPU steal) from biasing the ratio: both were measured
 * minutes apart at most. Rounds where either value is missing are skipped.
 */
export function medianRoundRatio<R>(
  rounds: readonly ReadonlyMap<string, R>[],
  target: string,
  reference: string,
  value: (r: R) => number | null | undefined,
): number | null {
  const ratios: number[] = [];
  for (const round of rounds) {
    const t = round.get(target);
    const r = round.get(reference);
    if (t === undefined || r === undefined) continue;
    const q = ratio(value(t), value(r));
    if (q !== null) ratios.push(q);
  }
  return median(ratios);
}

/** Rounds a number to `digits` decimals (null stays null). */
export function round(x: number | null | undefined, digits = 2): number | null {
  if (x == null || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function finite(xs: readonly (number | null | undefined)[]): number[] {
  const out: number[] = [];
  for (const x of xs) if (x != null && Number.isFinite(x)) out.push(x);
  return out;
}
