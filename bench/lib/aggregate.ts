/**
 * Turns the http1 scenario's runs into summary rows: medians over accepted rounds and
 * per-round ratios against the reference proxies measured in the same round.
 */
import { median, medianRoundRatio } from './stats.js';
import type { ProxyRun, Table } from './results.js';

export interface ProxySummaryRow {
  readonly variant: string;
  readonly target: string;
  readonly runs: number;
  readonly rejected: number;
  readonly rps: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly usPerReq: number | null;
  readonly usPerReqWithSoftirq: number | null;
  readonly rpsPerBusyCore: number | null;
  /** Median per-round rps ratio target/reference. */
  readonly rpsRatio: Readonly<Record<string, number | null>>;
  /** Median per-round CPU-efficiency ratio reference µs/req ÷ target µs/req (1.0 = as efficient). */
  readonly cpuRatio: Readonly<Record<string, number | null>>;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly stealMedian: number | null;
  readonly rssMiB: number | null;
  /** Median share of the proxy core used by other programs. */
  readonly otherMedian: number | null;
  /** True when every round was rejected and the medians use them anyway. */
  readonly usedRejected: boolean;
}

/**
 * Summarises runs per (variant, target) in first-seen order. Rejected runs are excluded; when a
 * target has only rejected runs they are used and the row is flagged.
 */
export function summarizeProxyRuns(runs: readonly ProxyRun[], references: readonly string[]): ProxySummaryRow[] {
  const keys: string[] = [];
  for (const r of runs) {
    const k = `${r.variant}\u0000${r.target}`;
    if (!keys.includes(k)) keys.push(k);
  }
  const rows: ProxySummaryRow[] = [];
  for (const k of keys) {
    const [variant, target] = k.split('\u0000') as [string, string];
    const all = runs.filter((r) => r.variant === variant && r.target === target);
    const accepted = all.filter((r) => !r.rejected);
    const usedRejected = accepted.length === 0;
    const use = usedRejected ? all : accepted;
    const rounds = roundsOf(runs.filter((r) => r.variant === variant && (usedRejected || !r.rejected)));
    const rpsRatio: Record<string, number | null> = {};
    const cpuRatio: Record<string, number | null> = {};
    for (const ref of references) {
      rpsRatio[ref] = medianRoundRatio(rounds, target, ref, (r) => r.rps);
      // efficiency: reference µs per request over ours, so 0.30 means we spend 3.3× the CPU
      cpuRatio[ref] = medianRoundRatio(rounds, ref, target, (r) => r.usPerReq);
    }
    rows.push({
      variant,
      target,
      runs: all.length,
      rejected: all.length - accepted.length,
      rps: median(use.map((r) => r.rps)),
      p50Ms: median(use.map((r) => r.p50Ms)),
      p99Ms: median(use.map((r) => r.p99Ms)),
      usPerReq: median(use.map((r) => r.usPerReq)),
      usPerReqWithSoftirq: median(use.map((r) => r.usPerReqWithSoftirq)),
      rpsPerBusyCore: median(use.map((r) => r.rpsPerBusyCore)),
      rpsRatio,
      cpuRatio,
      non2xx: use.reduce((s, r) => s + r.non2xx, 0),
      socketErrors: use.reduce((s, r) => s + r.socketErrors, 0),
      stealMedian: median(use.map((r) => Math.max(0, ...Object.values(r.steal)))),
      otherMedian: median(use.map((r) => r.otherOnProxyCore)),
      rssMiB: use.reduce<number | null>((m, r) => (r.rssMiB === null ? m : Math.max(m ?? 0, r.rssMiB)), null),
      usedRejected,
    });
  }
  return rows;
}

/** Runs grouped by round: one map target → run per round. */
function roundsOf(runs: readonly ProxyRun[]): Map<string, ProxyRun>[] {
  const byRound = new Map<number, Map<string, ProxyRun>>();
  for (const r of runs) {
    let m = byRound.get(r.round);
    if (m === undefined) byRound.set(r.round, (m = new Map()));
    m.set(r.target, r);
  }
  return [...byRound.keys()].sort((a, b) => a - b).map((k) => byRound.get(k)!);
}

/** The summary table for the http1 scenario. */
export function proxyTable(title: string, rows: readonly ProxySummaryRow[], references: readonly string[]): Table {
  const headers = [
    'variant', 'target', 'runs (rejected)', 'rps', 'p50 ms', 'p99 ms', 'proxy CPU µs/req', 'µs/req incl. softirq', 'rps per busy proxy core',
    ...references.map((r) => `rps ratio vs ${r}`),
    ...references.map((r) => `CPU-efficiency vs ${r}`),
    'non-2xx', 'socket errors', 'steal', 'other load on proxy core', 'RSS MiB',
  ];
  return {
    title,
    headers,
    rows: rows.map((r) => [
      r.variant,
      r.usedRejected ? `${r.target} (all rounds over steal limit)` : r.target,
      `${r.runs} (${r.rejected})`,
      r.rps, r.p50Ms, r.p99Ms, r.usPerReq, r.usPerReqWithSoftirq, r.rpsPerBusyCore,
      ...references.map((x) => r.rpsRatio[x] ?? null),
      ...references.map((x) => r.cpuRatio[x] ?? null),
      r.non2xx, r.socketErrors,
      pct(r.stealMedian),
      pct(r.otherMedian),
      r.rssMiB,
    ]),
  };
}

function pct(x: number | null): string | null {
  return x === null ? null : `${Math.round(x * 100)}%`;
}
