/**
 * `node --import tsx bench/pool.ts RESULT.json...`: the probe latencies of `propagation` and
 * `propagation-k8s` pooled over several result files, per scenario and condition. A p99 of one
 * run's 300 probes is its third-worst probe, so comparing builds or flags by single runs moves
 * with luck; pooling alternating runs of each variant does not (docs/performance.md §13).
 */
import { readFileSync } from 'node:fs';
import type { RunResults } from './lib/results.js';
import { percentile, round } from './lib/stats.js';

interface ProbeSet {
  readonly condition: string;
  readonly ms: readonly number[];
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node --import tsx bench/pool.ts bench/results/<run>.json...');
  process.exit(2);
}
const pooled = new Map<string, { ms: number[]; perRun: string[] }>();
for (const file of files) {
  const run = JSON.parse(readFileSync(file, 'utf8')) as RunResults;
  for (const s of run.scenarios) {
    for (const set of (s.data as { sets?: ProbeSet[] } | null)?.sets ?? []) {
      if (!Array.isArray(set.ms) || set.ms.length === 0) continue;
      const key = `${s.name} / ${set.condition}`;
      const entry = pooled.get(key) ?? { ms: [], perRun: [] };
      entry.ms.push(...set.ms);
      entry.perRun.push(String(round(percentile(set.ms, 99), 1)));
      pooled.set(key, entry);
    }
  }
}
for (const [key, { ms, perRun }] of pooled) {
  const at = (p: number): string => String(round(percentile(ms, p), 1));
  console.log(`${key}: ${ms.length} probes, p50 ${at(50)}, p90 ${at(90)}, p95 ${at(95)}, p99 ${at(99)}, max ${at(100)} ms; p99 per run ${perRun.join(' / ')}`);
}
