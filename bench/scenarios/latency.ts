/**
 * `latency`: latency added by each proxy at a fixed offered load, against a direct connection
 * to the backend. wrk2 is not in Debian, so the harness's own Node generator
 * (bench/lib/loadgen.ts, raw sockets, one request in flight per connection) sends on a fixed
 * schedule: 5 connections × 1,000 rps by default (the anchor of the performance notes, B.7).
 * Latency is taken from the actual send (`latencyMs`) and from the scheduled send
 * (`correctedLatencyMs`, includes queueing when the target falls behind). Added latency is the
 * median over rounds of (target − direct) for each percentile.
 */
import type { BenchContext, Target } from '../lib/context.js';
import { runLoadChild } from '../lib/loadgen-child.js';
import type { LoadResult } from '../lib/loadgen.js';
import { measured, rotate, stealByCore } from '../lib/measure.js';
import type { ScenarioResult, Table } from '../lib/results.js';
import { median } from '../lib/stats.js';
import { message, resolveTargets, result } from './common.js';

const TARGETS = ['direct', 'nginx', 'haproxy', 'waygate'];
const PCTS = ['p50', 'p90', 'p99', 'p999'] as const;

interface LatencyRun {
  readonly round: number;
  readonly target: string;
  readonly load: LoadResult;
  readonly steal: Record<string, number>;
  readonly rejected: boolean;
}

export async function runLatency(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  if (!ctx.has('nginx')) return result('latency', 'skipped', t0, ['needs nginx (not installed)'], [], null);
  const rate = ctx.opts.smoke ? 500 : 5000;
  const connections = ctx.opts.smoke ? 2 : 5;
  const { targets, notes } = await resolveTargets(ctx, TARGETS);
  const runs: LatencyRun[] = [];
  const errors: string[] = [];
  const load = (t: Target, durationMs: number): Promise<LoadResult> => runLoadChild(ctx.repoRoot, ctx.cpus.load, {
    address: t.address, port: t.port, targets: [{ host: t.host, path: '/' }],
    connections, durationMs, rate, timeoutMs: 2000,
  });
  if (!ctx.opts.smoke) for (const t of targets) await load(t, 2000).catch(() => undefined);
  for (let r = 0; r < ctx.opts.rounds; r++) {
    for (const t of rotate(targets, r)) {
      try {
        const { result: lr, window } = await measured(t.pids, () => load(t, ctx.opts.durationS * 1000));
        const steal = stealByCore(window.shares);
        runs.push({ round: r, target: t.name, load: lr, steal, rejected: Math.max(0, ...Object.values(steal)) > ctx.opts.maxSteal });
      } catch (e) {
        errors.push(`${t.name} round ${r}: ${message(e)}`);
      }
    }
  }
  const table = latencyTable(runs, targets.map((t) => t.name));
  notes.push(
    `fixed rate ${rate} rps over ${connections} keep-alive connections (Node generator on the load core), ${ctx.opts.durationS} s × ${ctx.opts.rounds} round(s); latency from the actual send`,
    'added = median over rounds of (target − direct) per percentile; p99 and above mostly measure CPU steal on this VM',
    ...errors,
  );
  const status = errors.length > 0 || !targets.some((t) => t.name === 'waygate') ? 'partial' : 'ok';
  return result('latency', status, t0, notes, [table], { rate, connections, runs });
}

/** Per target: median percentiles, added latency vs direct, achieved rate, errors. */
export function latencyTable(runs: readonly LatencyRun[], order: readonly string[]): Table {
  const accepted = runs.filter((r) => !r.rejected);
  const use = accepted.length > 0 ? accepted : runs;
  const byRound = new Map<number, Map<string, LatencyRun>>();
  for (const r of use) {
    if (!byRound.has(r.round)) byRound.set(r.round, new Map());
    byRound.get(r.round)!.set(r.target, r);
  }
  const rows: (string | number | null)[][] = [];
  for (const t of order) {
    const rs = use.filter((r) => r.target === t);
    if (rs.length === 0) continue;
    const med = (p: (typeof PCTS)[number]): number | null => median(rs.map((r) => r.load.latencyMs[p]));
    const added = (p: (typeof PCTS)[number]): number | null => {
      if (t === 'direct') return null;
      const d: number[] = [];
      for (const m of byRound.values()) {
        const a = m.get(t)?.load.latencyMs[p];
        const b = m.get('direct')?.load.latencyMs[p];
        if (a != null && b != null) d.push(a - b);
      }
      return median(d);
    };
    rows.push([
      t, rs.length,
      ...PCTS.map(med),
      ...PCTS.map(added),
      median(rs.map((r) => r.load.correctedLatencyMs.p99)),
      median(rs.map((r) => r.load.rps)),
      rs.reduce((s, r) => s + r.load.non2xx + Object.values(r.load.errors).reduce((a, b) => a + b, 0), 0),
    ]);
  }
  return {
    title: 'Latency at a fixed offered load (ms)',
    headers: ['target', 'runs', 'p50', 'p90', 'p99', 'p99.9', 'added p50', 'added p90', 'added p99', 'added p99.9', 'p99 from schedule', 'achieved rps', 'errors + non-2xx'],
    rows,
  };
}
