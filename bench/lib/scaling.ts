/** Multi-core scaling math: how a target's rps and CPU per request change from one setup to another. Pure. */
import type { ProxyRun, Table } from './results.js';
import { median, medianRoundRatio } from './stats.js';

export interface ScalingRow {
  readonly target: string;
  readonly rpsFrom: number | null;
  readonly rpsTo: number | null;
  /** Median over rounds of rps(to) ÷ rps(from) measured in the same round. */
  readonly rpsScaling: number | null;
  readonly usPerReqFrom: number | null;
  readonly usPerReqTo: number | null;
  /** Median over rounds of µs/req(to) ÷ µs/req(from): above 1 = more CPU per request with more workers. */
  readonly cpuPerReqRatio: number | null;
}

/**
 * For each target: its runs in variant `from` and `to` (accepted runs only; all runs when a
 * variant has no accepted run), medians, and per-round ratios to ÷ from.
 */
export function scalingRows(runs: readonly ProxyRun[], targets: readonly string[], from: string, to: string): ScalingRow[] {
  return targets.map((target) => {
    const pick = (variant: string): ProxyRun[] => {
      const all = runs.filter((r) => r.target === target && r.variant === variant);
      const ok = all.filter((r) => !r.rejected);
      return ok.length > 0 ? ok : all;
    };
    const a = pick(from);
    const b = pick(to);
    const rounds: Map<string, ProxyRun>[] = [];
    for (const ra of a) {
      const rb = b.find((x) => x.round === ra.round);
      if (rb !== undefined) rounds.push(new Map([['from', ra], ['to', rb]]));
    }
    return {
      target,
      rpsFrom: median(a.map((r) => r.rps)),
      rpsTo: median(b.map((r) => r.rps)),
      rpsScaling: medianRoundRatio(rounds, 'to', 'from', (r) => r.rps),
      usPerReqFrom: median(a.map((r) => r.usPerReq)),
      usPerReqTo: median(b.map((r) => r.usPerReq)),
      cpuPerReqRatio: medianRoundRatio(rounds, 'to', 'from', (r) => r.usPerReq),
    };
  });
}

/** The scaling rows as a summary table. */
export function scalingTable(title: string, rows: readonly ScalingRow[], from: string, to: string): Table {
  return {
    title,
    headers: ['target', `rps ${from}`, `rps ${to}`, 'rps scaling', `µs/req ${from}`, `µs/req ${to}`, 'µs/req ratio'],
    rows: rows.map((r) => [r.target, r.rpsFrom, r.rpsTo, r.rpsScaling, r.usPerReqFrom, r.usPerReqTo, r.cpuPerReqRatio]),
  };
}
