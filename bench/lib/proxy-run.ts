/**
 * One measured load run against one proxy, turned into a `ProxyRun` with the accounting and
 * rejection rules every throughput scenario shares (http1, tls, multicore): proxy CPU µs per
 * request (utime+stime of the proxy's process tree ÷ requests), the proxy core's softirq, steal
 * per core, and other programs on the proxy core. Any load generator fits: it only has to
 * report `RunCounts`.
 */
import type { BenchContext, Target } from './context.js';
import { measured, stealByCore } from './measure.js';
import type { ProxyRun } from './results.js';
import { round } from './stats.js';
import type { WrkResult } from './wrk.js';

/** What a load generator reports, in the shape every scenario table uses. */
export interface RunCounts {
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

/** wrk's report as `RunCounts`. */
export function wrkCounts(w: WrkResult): RunCounts {
  return {
    requests: w.requests,
    rps: w.rps,
    p50Ms: w.latencyMs.p50,
    p99Ms: w.latencyMs.p99,
    non2xx: w.non2xx3xx,
    socketErrors: w.socketErrors.connect + w.socketErrors.read + w.socketErrors.write + w.socketErrors.timeout,
  };
}

/**
 * Runs `load` against `t` inside a measurement window and builds the run's record.
 * `proxyCpu` is the core the proxy is pinned to (default: the plan's proxy core); with null
 * (an unpinned proxy) there is no per-core busy share, softirq or "other programs" check, and
 * only steal can reject the round.
 */
export async function measureProxyRun(
  ctx: BenchContext,
  t: Target,
  variant: string,
  roundNo: number,
  load: () => Promise<RunCounts>,
  proxyCpu: number | null = ctx.cpus.proxy,
): Promise<ProxyRun> {
  const { result: w, window } = await measured(t.pids, load);
  const proxyCore = proxyCpu === null ? null : window.shares.get(`cpu${proxyCpu}`) ?? null;
  // The proxy's own busy share: its processes' CPU plus the core's softirq (loopback packet work).
  // Equal to the core's busy share when nothing else runs there, and robust when something does.
  // Unpinned, it is in cores (may exceed 1).
  const own = window.wallS > 0 ? window.proxyCpuS / window.wallS : null;
  const busy = own === null ? null : proxyCore === null ? own : Math.min(1, own + proxyCore.softirq);
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
    rpsPerBusyCore: busy !== null && busy > 0.01 ? Math.round(w.rps / (proxyCore === null ? busy : Math.min(1, busy))) : null,
    steal,
    rssMiB: round(window.rssMiB, 1),
    otherOnProxyCore: round(other, 3),
    rejected: rejectReason !== null,
    rejectReason,
  };
}
