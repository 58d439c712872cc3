/** A measurement window around some load: CPU of the proxy's processes, per-core shares, RSS. */
import { cpuSecondsDelta, cpuShares, readProcStat, treeCpuTicks, treeRssMiB, type CpuShare } from './proc-stat.js';

export interface Window {
  readonly proxyCpuS: number;
  readonly shares: ReadonlyMap<string, CpuShare>;
  readonly wallS: number;
  readonly rssMiB: number;
}

/** Runs `load` while sampling CPU counters before and after. */
export async function measured<T>(pids: readonly number[], load: () => Promise<T>): Promise<{ result: T; window: Window }> {
  const s0 = readProcStat();
  const c0 = treeCpuTicks(pids);
  const t0 = performance.now();
  const result = await load();
  const wallS = (performance.now() - t0) / 1000;
  const c1 = treeCpuTicks(pids);
  const s1 = readProcStat();
  return { result, window: { proxyCpuS: cpuSecondsDelta(c0, c1), shares: cpuShares(s0, s1), wallS, rssMiB: treeRssMiB(pids) } };
}

/** Steal per core as `{ cpu0: 0.01, … }`, rounded to 3 decimals. */
export function stealByCore(shares: ReadonlyMap<string, CpuShare>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cpu, s] of shares) out[cpu] = Math.round(s.steal * 1000) / 1000;
  return out;
}

/** Rotates a list by `n` (interleaving order changes every round so no target always goes first). */
export function rotate<T>(xs: readonly T[], n: number): T[] {
  if (xs.length === 0) return [];
  const k = ((n % xs.length) + xs.length) % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}
