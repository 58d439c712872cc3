/**
 * Load and measurement for the `tls` scenario: h2load (HTTP/2 over TLS, closed loop) with its
 * report parsed, and one measured run of any load generator turned into a `ProxyRun` with the
 * same accounting and rejection rules as `http1` (proxy CPU µs/request, softirq, steal, other
 * programs on the proxy core).
 */
import { spawn } from 'node:child_process';
import type { BenchContext, Target } from '../lib/context.js';
import { pinned } from '../lib/cpus.js';
import { measured, stealByCore } from '../lib/measure.js';
import { trackTransient } from '../lib/processes.js';
import type { ProxyRun } from '../lib/results.js';
import { round } from '../lib/stats.js';

/** What a load generator reports, in the shape every scenario table uses. */
export interface LoadResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Answers other than 2xx/3xx. */
  readonly non2xx: number;
  readonly socketErrors: number;
}

/** Rounds where other programs take more than this share of the proxy core are rejected. */
export const MAX_OTHER = 0.2;

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
  const [cmd, ...rest] = pinned(o.cpu, ['h2load', ...args]);
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    trackTransient(child);
    let text = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), (o.durationS + 30) * 1000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(text);
      else reject(new Error(`h2load exited ${code}: ${err.trim() || text.trim()}`));
    });
  });
  return parseH2loadOutput(out);
}

/** Runs `load` against `t` inside a measurement window and builds the run's record. */
export async function measureRun(
  ctx: BenchContext,
  t: Target,
  variant: string,
  roundNo: number,
  load: () => Promise<LoadResult>,
): Promise<ProxyRun> {
  const { result: w, window } = await measured(t.pids, load);
  const proxyCore = ctx.cpus.proxy === null ? null : window.shares.get(`cpu${ctx.cpus.proxy}`) ?? null;
  const own = window.wallS > 0 ? window.proxyCpuS / window.wallS : null;
  const busy = own === null ? null : Math.min(1, own + (proxyCore?.softirq ?? 0));
  const steal = stealByCore(window.shares);
  const maxSteal = Math.max(0, ...Object.values(steal));
  const other = proxyCore !== null && window.wallS > 0 ? Math.max(0, proxyCore.busy - proxyCore.softirq - window.proxyCpuS / window.wallS) : null;
  const rejectReason = maxSteal > ctx.opts.maxSteal
    ? `steal ${Math.round(maxSteal * 100)}%`
    : other !== null && other > MAX_OTHER ? `other programs used ${Math.round(other * 100)}% of the proxy core` : null;
  return {
    variant,
    round: roundNo,
    target: t.name,
    rps: w.rps,
    requests: w.requests,
    p50Ms: w.p50Ms,
    p99Ms: w.p99Ms,
    non2xx: w.non2xx,
    socketErrors: w.socketErrors,
    proxyCpuS: round(window.proxyCpuS, 3),
    usPerReq: w.requests > 0 ? round((window.proxyCpuS * 1e6) / w.requests, 1) : null,
    usPerReqWithSoftirq: w.requests > 0 && proxyCore !== null
      ? round(((window.proxyCpuS + proxyCore.softirq * window.wallS) * 1e6) / w.requests, 1)
      : null,
    proxyCoreBusy: round(busy, 3),
    rpsPerBusyCore: busy !== null && busy > 0.01 ? Math.round(w.rps / Math.min(1, busy)) : null,
    steal,
    rssMiB: round(window.rssMiB, 1),
    otherOnProxyCore: round(other, 3),
    rejected: rejectReason !== null,
    rejectReason,
  };
}
