/**
 * `http1`: HTTP/1.1 keep-alive throughput through each proxy, small (3 B) and 64 KiB bodies.
 * wrk -t1 -c50 on the load core, proxy alone on the proxy core, interleaved rounds (target
 * order rotated every round). Per run: rps, latency, proxy CPU µs per request (utime+stime of
 * every process of the proxy ÷ requests), rps per busy proxy core, steal per core. Rounds with
 * steal above the limit on any core are kept in the JSON and left out of the medians.
 */
import { LARGE_PATH, SMALL_PATH } from '../lib/configs.js';
import type { BenchContext, Target } from '../lib/context.js';
import { proxyTable, summarizeProxyRuns } from '../lib/aggregate.js';
import { measured, rotate, stealByCore } from '../lib/measure.js';
import type { ProxyRun, ScenarioResult } from '../lib/results.js';
import { round } from '../lib/stats.js';
import { runWrk } from '../lib/wrk.js';
import { message, resolveTargets, result } from './common.js';

const TARGETS = ['direct', 'nginx', 'haproxy', 'waygate'];
const REFERENCES = ['nginx', 'haproxy'];
const VARIANTS = [
  { name: 'small (3 B)', path: SMALL_PATH },
  { name: '64 KiB', path: LARGE_PATH },
];
const CONNECTIONS = 50;
/** Rounds where other programs take more than this share of the proxy core are rejected too. */
const MAX_OTHER = 0.2;

export async function runHttp1(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  if (!ctx.has('wrk') || !ctx.has('nginx')) return result('http1', 'skipped', t0, ['needs wrk and nginx (not installed)'], [], null);
  const { targets, notes } = await resolveTargets(ctx, TARGETS);
  const runs: ProxyRun[] = [];
  const errors: string[] = [];
  const warm = ctx.opts.smoke ? 0 : 3;
  if (warm > 0) {
    for (const t of targets) for (const v of VARIANTS) {
      await runWrk({ url: url(t, v.path), connections: CONNECTIONS, durationS: warm, cpu: ctx.cpus.load }).catch(() => undefined);
    }
  }
  for (let r = 0; r < ctx.opts.rounds; r++) {
    for (const v of VARIANTS) for (const t of rotate(targets, r)) {
      try {
        runs.push(await measureOne(ctx, t, v.name, v.path, r));
      } catch (e) {
        errors.push(`${t.name} ${v.name} round ${r}: ${message(e)}`);
      }
    }
    ctx.log(`http1: round ${r + 1}/${ctx.opts.rounds} done`);
  }
  const rows = summarizeProxyRuns(runs, REFERENCES);
  notes.push(
    `wrk -t1 -c${CONNECTIONS} -d${ctx.opts.durationS}s --latency, ${ctx.opts.rounds} interleaved round(s); ${ctx.cpus.note}`,
    `rounds are rejected when steal exceeds ${Math.round(ctx.opts.maxSteal * 100)}% on a core or other programs take more than ${MAX_OTHER * 100}% of the proxy core (shared machine)`,
    'CPU-efficiency vs X = X µs/req ÷ target µs/req (median of per-round ratios; 0.30 = 3.3× the CPU per request). Compare µs/req and rps per busy core, not raw rps: nginx/HAProxy may not saturate their core.',
    ...errors,
  );
  const status = errors.length > 0 || !targets.some((t) => t.name === 'waygate') ? 'partial' : 'ok';
  return result('http1', status, t0, notes, [proxyTable('HTTP/1.1 keep-alive through each proxy', rows, REFERENCES)], { runs, rows });
}

function url(t: Target, path: string): string {
  return `http://${t.address}:${t.port}${path}`;
}

async function measureOne(ctx: BenchContext, t: Target, variant: string, path: string, roundNo: number): Promise<ProxyRun> {
  const { result: w, window } = await measured(t.pids, () =>
    runWrk({ url: url(t, path), connections: CONNECTIONS, durationS: ctx.opts.durationS, cpu: ctx.cpus.load }));
  const proxyCore = ctx.cpus.proxy === null ? null : window.shares.get(`cpu${ctx.cpus.proxy}`) ?? null;
  // The proxy's own busy share: its processes' CPU plus the core's softirq (loopback packet work).
  // Equal to the core's busy share when nothing else runs there, and robust when something does.
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
    p50Ms: w.latencyMs.p50,
    p99Ms: w.latencyMs.p99,
    non2xx: w.non2xx3xx,
    socketErrors: w.socketErrors.connect + w.socketErrors.read + w.socketErrors.write + w.socketErrors.timeout,
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
