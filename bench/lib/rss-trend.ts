/**
 * Memory over a soak run: RSS samples → start, max, end, least-squares slope, and the growth
 * after warm-up that decides pass/fail. Pure functions.
 */

export interface RssSample {
  /** Seconds since the run started. */
  readonly t: number;
  readonly mib: number;
}

export interface RssTrend {
  readonly samples: number;
  readonly startMiB: number | null;
  readonly maxMiB: number | null;
  readonly endMiB: number | null;
  /** Least-squares slope over the samples after warm-up, MiB per minute (null: < 2 samples). */
  readonly slopeMiBPerMin: number | null;
  /** RSS at the end of warm-up (the first sample at or after it). */
  readonly warmMiB: number | null;
  /** max(after warm-up) − warmMiB. */
  readonly growthMiB: number | null;
}

/** Slope of y over x by least squares, or null with fewer than 2 distinct x. */
export function slope(points: readonly { x: number; y: number }[]): number | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? null : num / den;
}

/** Summarises samples (in time order); samples before `warmupS` count for start/max/end only. */
export function rssTrend(samples: readonly RssSample[], warmupS: number): RssTrend {
  if (samples.length === 0) {
    return { samples: 0, startMiB: null, maxMiB: null, endMiB: null, slopeMiBPerMin: null, warmMiB: null, growthMiB: null };
  }
  const after = samples.filter((s) => s.t >= warmupS);
  const s = slope(after.map((p) => ({ x: p.t, y: p.mib })));
  const warm = after[0]?.mib ?? null;
  const maxAfter = after.length === 0 ? null : Math.max(...after.map((p) => p.mib));
  return {
    samples: samples.length,
    startMiB: samples[0]!.mib,
    maxMiB: Math.max(...samples.map((p) => p.mib)),
    endMiB: samples.at(-1)!.mib,
    slopeMiBPerMin: s === null ? null : s * 60,
    warmMiB: warm,
    growthMiB: warm === null || maxAfter === null ? null : maxAfter - warm,
  };
}

/** Why the trend breaks the bound (growth after warm-up above `maxGrowthMiB`), or null when it holds. */
export function rssVerdict(t: RssTrend, maxGrowthMiB: number): string | null {
  if (t.growthMiB === null) return 'no RSS samples after warm-up';
  if (t.growthMiB > maxGrowthMiB) {
    return `RSS grew ${t.growthMiB.toFixed(1)} MiB after warm-up (${t.warmMiB?.toFixed(1)} → max ${t.maxMiB?.toFixed(1)} MiB), bound ${maxGrowthMiB} MiB`;
  }
  return null;
}
