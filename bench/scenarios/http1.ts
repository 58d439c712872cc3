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
import { rotate } from '../lib/measure.js';
import { MAX_OTHER, measureProxyRun, wrkCounts } from '../lib/proxy-run.js';
import type { ProxyRun, ScenarioResult } from '../lib/results.js';
import { runWrk } from '../lib/wrk.js';
import { message, resolveTargets, result } from './common.js';

const TARGETS = ['direct', 'nginx', 'haproxy', 'waygate'];
const REFERENCES = ['nginx', 'haproxy'];
const VARIANTS = [
  { name: 'small (3 B)', path: SMALL_PATH },
  { name: '64 KiB', path: LARGE_PATH },
];
const CONNECTIONS = 50;

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

function measureOne(ctx: BenchContext, t: Target, variant: string, path: string, roundNo: number): Promise<ProxyRun> {
  return measureProxyRun(ctx, t, variant, roundNo, async () =>
    wrkCounts(await runWrk({ url: url(t, path), connections: CONNECTIONS, durationS: ctx.opts.durationS, cpu: ctx.cpus.load })));
}
