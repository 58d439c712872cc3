/**
 * `multicore`: HTTP/1.1 keep-alive throughput with one and with two data plane workers, waygate
 * (`serve --workers 1` / `--workers 2`) next to nginx (`worker_processes 1` / `2`).
 * - 1 worker: the proxy pinned alone to the proxy core, wrk -t1 and the backend on core 0 (the
 *   http1 method).
 * - 2 workers: the proxy unpinned, wrk -t2 unpinned, the backend still on core 0. On a 2-core
 *   machine the proxy then shares both cores with wrk and the backend: the rps is what the
 *   whole machine gives, not what 2 proxy cores give. CPU µs/req stays comparable.
 * Interleaved rounds, the four targets rotated each round; ratios are per-round medians.
 */
import { freePort } from '../lib/ports.js';
import { nginxProxyConf, SMALL_PATH } from '../lib/configs.js';
import { GATEWAY_ADDRESSES, type BenchContext, type Target } from '../lib/context.js';
import { baseManifests, routeManifest, serviceManifest } from '../lib/manifests.js';
import { proxyTable, summarizeProxyRuns } from '../lib/aggregate.js';
import { rotate } from '../lib/measure.js';
import { measureProxyRun, wrkCounts } from '../lib/proxy-run.js';
import type { ProxyRun, ScenarioResult } from '../lib/results.js';
import { scalingRows, scalingTable } from '../lib/scaling.js';
import { runWrk } from '../lib/wrk.js';
import { message, result } from './common.js';

const CONNECTIONS = 50;
const ONE = 'workers 1 (pinned)';
const TWO = 'workers 2 (unpinned)';

/** A target in one setup: the target, its variant, whether it is pinned, wrk threads. */
interface Setup {
  readonly target: Target;
  readonly variant: string;
  readonly pinned: boolean;
}

export async function runMulticore(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  if (!ctx.has('wrk') || !ctx.has('nginx')) return result('multicore', 'skipped', t0, ['needs wrk and nginx (not installed)'], [], null);
  const notes: string[] = [];
  const setups: Setup[] = [];
  const add = async (variant: string, pinned: boolean, start: () => Promise<Target>): Promise<void> => {
    try {
      setups.push({ target: await start(), variant, pinned });
    } catch (e) {
      notes.push(`${variant} skipped: ${message(e)}`);
    }
  };
  const { port: bport } = await ctx.backend();
  const upstream = `127.0.0.1:${bport}`;
  const nginxN = (n: number) => async (): Promise<Target> => {
    const port = await freePort();
    const m = await ctx.nginx(`multicore-${n}`, nginxProxyConf({ listen: `127.0.0.1:${port}`, upstream, workers: n }), n === 1 ? ctx.cpus.proxy : null, port);
    return { name: 'nginx', address: '127.0.0.1', port, host: `127.0.0.1:${port}`, pids: [m.pid] };
  };
  const waygateN = (n: number) => async (): Promise<Target> => {
    const address = n === 1 ? GATEWAY_ADDRESSES.multicore1 : GATEWAY_ADDRESSES.multicore2;
    const w = await ctx.startWaygateWith(`multicore-${n}`, address, (addr, port) => [
      baseManifests({ address: addr, port }),
      serviceManifest({ name: 'backend', addresses: ['127.0.0.1'], targetPort: bport }),
      routeManifest({ name: 'catch-all', hostname: null, pathPrefix: '/', service: 'backend' }),
    ], { host: 'bench.test', path: SMALL_PATH }, 30_000, undefined, { cpu: n === 1 ? ctx.cpus.proxy : null, extraArgs: ['--workers', String(n)] });
    return { name: 'waygate', address: w.address, port: w.port, host: `${w.address}:${w.port}`, pids: [w.managed.pid] };
  };
  await add(ONE, true, nginxN(1));
  await add(ONE, true, waygateN(1));
  await add(TWO, false, nginxN(2));
  await add(TWO, false, waygateN(2));

  const wrk = (s: Setup, durationS: number) => runWrk({
    url: `http://${s.target.address}:${s.target.port}${SMALL_PATH}`,
    connections: CONNECTIONS,
    durationS,
    threads: s.pinned ? 1 : 2,
    cpu: s.pinned ? ctx.cpus.load : null,
  });
  if (!ctx.opts.smoke) for (const s of setups) await wrk(s, 3).catch(() => undefined);
  const runs: ProxyRun[] = [];
  const errors: string[] = [];
  for (let r = 0; r < ctx.opts.rounds; r++) {
    for (const s of rotate(setups, r)) {
      try {
        runs.push(await measureProxyRun(ctx, s.target, s.variant, r, async () => wrkCounts(await wrk(s, ctx.opts.durationS)), s.pinned ? ctx.cpus.proxy : null));
      } catch (e) {
        errors.push(`${s.target.name} ${s.variant} round ${r}: ${message(e)}`);
      }
    }
    ctx.log(`multicore: round ${r + 1}/${ctx.opts.rounds} done`);
  }
  const rows = summarizeProxyRuns(runs, ['nginx']);
  const scaling = scalingRows(runs, ['waygate', 'nginx'], ONE, TWO);
  notes.push(
    `small body (3 B), ${ctx.opts.rounds} interleaved round(s) of ${ctx.opts.durationS} s; ${ONE}: proxy alone on core ${ctx.cpus.proxy ?? '(unpinned)'}, wrk -t1 -c${CONNECTIONS} and the backend on core ${ctx.cpus.load ?? '(unpinned)'}; ${TWO}: proxy and wrk -t2 -c${CONNECTIONS} unpinned, backend on core ${ctx.cpus.load ?? '(unpinned)'}`,
    `caveat: with ${ctx.cpus.cores} cores the 2-worker proxy shares every core with wrk and the backend, so its rps is bounded by the whole machine and is not "2 proxy cores"; compare µs/req (CPU per request, all processes of the proxy) and the waygate/nginx ratio within each setup`,
    `"rps per busy proxy core" is rps ÷ the proxy's CPU in cores for the unpinned setup (no softirq share: it is not attributable to one core)`,
    ...errors,
  );
  const waygateOk = runs.some((r) => r.target === 'waygate' && r.variant === ONE) && runs.some((r) => r.target === 'waygate' && r.variant === TWO);
  const status = errors.length > 0 || !waygateOk ? 'partial' : 'ok';
  return result('multicore', status, t0, notes, [
    proxyTable('One and two data plane workers (ratios: same setup, same round)', rows, ['nginx']),
    scalingTable('Scaling from 1 to 2 workers (per-round ratios)', scaling, '1w', '2w'),
  ], { runs, rows, scaling });
}
