/**
 * Load for the `tls` scenario: h2load (HTTP/2 over TLS, closed loop) with its report parsed.
 * The measured run around it is lib/proxy-run.ts (shared with http1 and multicore).
 */
import { runLoadTool } from '../lib/processes.js';
import type { RunCounts } from '../lib/proxy-run.js';
import { round } from '../lib/stats.js';

/** What a load generator reports (shared with every throughput scenario: lib/proxy-run.ts). */
export type LoadResult = RunCounts;

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

/**
 * Parses h2load's report: `finished in …, N req/s`, the `requests:` and `status codes:` lines,
 * and the mean of `time for request` (h2load prints no percentiles; it goes into p50Ms as the
 * closest figure). Throws when the report has no request counts (h2load failed).
 */
export function parseH2loadOutput(out: string): LoadResult {
  const rps = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out);
  const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  if (rps === null || req === null) throw new Error(`unrecognised h2load output: ${out.slice(0, 300)}`);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  const mean = /time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\b/.exec(out);
  const done = Number(req[3]);
  return {
    requests: done,
    rps: Number(rps[1]),
    p50Ms: mean === null ? null : round(Number(mean[1]) * (UNIT_MS[mean[2]!] ?? 1), 3),
    p99Ms: null,
    non2xx: codes === null ? 0 : Number(codes[3]) + Number(codes[4]),
    socketErrors: Number(req[6]) + Number(req[7]),
  };
}

export interface H2loadOptions {
  readonly url: string;
  readonly connections: number;
  /** Concurrent streams per connection. */
  readonly streams: number;
  readonly durationS: number;
  readonly cpu: number | null;
}

/** Runs `h2load -t1 -cN -mM -D S URL` pinned to the load core, bounded by duration + 30 s. */
export async function runH2load(o: H2loadOptions): Promise<LoadResult> {
  const args = ['-t1', `-c${o.connections}`, `-m${o.streams}`, '-D', String(Math.max(1, Math.round(o.durationS))), o.url];
  const out = await runLoadTool(o.cpu, ['h2load', ...args], o.durationS);
  return parseH2loadOutput(out);
}
