/**
 * `churn`: continuous keep-alive load while the configuration changes underneath it. The bar is
 * zero: every non-2xx answer, every socket error and every keep-alive connection the proxy
 * closes is counted (the Node generator, closed loop, on the load core).
 *
 * Load goes to hosts whose routes stay valid throughout: `stable-*` (never touched), `edited-*`
 * (rewritten every few steps: a header filter changes and the backend alternates between two
 * Services) and `ep-*` (its Service's endpoints churn between 127.0.0.1, both, and 127.0.0.2 —
 * always at least one). Meanwhile routes not under load are added and removed, on top of a
 * bulk of 1k routes so that every pass does real work. One change every 100 ms.
 */
import { GATEWAY_ADDRESSES, type BenchContext } from '../lib/context.js';
import { removeFile, Ticker, writeAtomic } from '../lib/churner.js';
import { runLoadChild } from '../lib/loadgen-child.js';
import type { LoadResult, LoadTarget } from '../lib/loadgen.js';
import { baseManifests, routeManifest, scaleRoutes, serviceManifest, yamlStream, type RouteSpec } from '../lib/manifests.js';
import type { ScenarioResult } from '../lib/results.js';
import type { WaygateInstance } from '../lib/waygate.js';
import { message, result } from './common.js';
import { writeRouteFiles } from './routes.js';

const ENDPOINT_SETS = [['127.0.0.1'], ['127.0.0.1', '127.0.0.2'], ['127.0.0.2'], ['127.0.0.2', '127.0.0.1']];

export async function runChurn(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  if (!ctx.has('nginx')) return result('churn', 'skipped', t0, ['needs nginx (the backend)'], [], null);
  const { port: bport } = await ctx.backend();
  const smoke = ctx.opts.smoke;
  const bulk = smoke ? 50 : 1000;
  const durationMs = smoke ? 2000 : Math.max(10, ctx.opts.durationS * 2) * 1000;
  const connections = smoke ? 4 : 20;
  const services = (eps: readonly string[]): string => yamlStream([
    serviceManifest({ name: 'backend', addresses: ['127.0.0.1'], targetPort: bport }),
    serviceManifest({ name: 'backend-ep', addresses: eps, targetPort: bport }),
  ]);
  const edited = (i: number, step: number): RouteSpec => ({
    name: `edited-${i}`, hostname: `edited-${i}.bench.test`, pathPrefix: '/',
    service: step % 2 === 0 ? 'backend' : 'backend-ep', setHeader: { name: 'x-edit', value: String(step) },
  });
  const fixed: RouteSpec[] = [
    ...[0, 1, 2, 3].map((i) => ({ name: `stable-${i}`, hostname: `stable-${i}.bench.test`, pathPrefix: '/', service: 'backend' })),
    ...[0, 1].map((i) => ({ name: `ep-${i}`, hostname: `ep-${i}.bench.test`, pathPrefix: '/', service: 'backend-ep' })),
  ];
  let w: WaygateInstance;
  try {
    w = await ctx.startWaygateWith('churn', GATEWAY_ADDRESSES.churn, (address, port) => [baseManifests({ address, port })], { host: 'edited-3.bench.test', path: '/' }, 30_000 + 20 * bulk, (dir) => {
      writeAtomic(dir, '01-services.yaml', services(ENDPOINT_SETS[0]!));
      writeAtomic(dir, '02-fixed.yaml', yamlStream(fixed.map(routeManifest)));
      for (let i = 0; i < 4; i++) writeAtomic(dir, `03-edited-${i}.yaml`, yamlStream([routeManifest(edited(i, 0))]));
      writeRouteFiles(dir, scaleRoutes(bulk, 'backend'));
    });
  } catch (e) {
    return result('churn', 'skipped', t0, [`waygate not serving: ${message(e)}`], [], null);
  }
  const counts = { edits: 0, endpointChanges: 0, adds: 0, removes: 0 };
  const ticker = new Ticker(100, (step) => {
    switch (step % 4) {
      case 0:
      case 2: {
        const i = (step >> 1) % 4;
        writeAtomic(w.dir, `03-edited-${i}.yaml`, yamlStream([routeManifest(edited(i, step))]));
        counts.edits++;
        break;
      }
      case 1:
        writeAtomic(w.dir, '01-services.yaml', services(ENDPOINT_SETS[(step >> 2) % ENDPOINT_SETS.length]!));
        counts.endpointChanges++;
        break;
      default: {
        const k = step >> 2;
        writeAtomic(w.dir, `04-added-${k}.yaml`, yamlStream([routeManifest({ name: `added-${k}`, hostname: `added-${k}.bench.test`, pathPrefix: '/', service: 'backend' })]));
        counts.adds++;
        if (k >= 3) {
          removeFile(w.dir, `04-added-${k - 3}.yaml`);
          counts.removes++;
        }
      }
    }
  });
  const targets: LoadTarget[] = [...fixed, ...[0, 1, 2, 3].map((i) => edited(i, 0))].map((r) => ({ host: r.hostname!, path: '/' }));
  let load: LoadResult;
  try {
    ticker.start();
    load = await runLoadChild(ctx.repoRoot, ctx.cpus.load, {
      address: w.address, port: w.port, targets, connections, durationMs, rate: null, timeoutMs: 5000,
    });
  } finally {
    ticker.stop();
    await ctx.pm.stop(w.managed);
  }
  const errors = Object.values(load.errors).reduce((a, b) => a + b, 0);
  const statuses = Object.entries(load.statuses).map(([k, v]) => `${k}×${v}`).join(' ');
  const table = {
    title: 'Traffic during route and endpoint churn',
    headers: ['requests', 'rps', 'statuses', 'non-2xx', 'socket errors', 'dropped keep-alive connections', 'route edits', 'endpoint changes', 'routes added', 'routes removed'],
    rows: [[load.completed, Math.round(load.rps), statuses, load.non2xx, errors, load.droppedConnections, counts.edits, counts.endpointChanges, counts.adds, counts.removes]],
  };
  const clean = load.non2xx === 0 && errors === 0 && load.droppedConnections === 0;
  const notes = [
    `${connections} keep-alive connections, closed loop, ${durationMs / 1000} s, ${bulk} bulk routes, one change every 100 ms; bar: 0 non-2xx, 0 errors, 0 dropped connections`,
    clean ? 'bar met: no failed request, no dropped connection' : `bar NOT met: ${load.non2xx} non-2xx, ${errors} errors, ${load.droppedConnections} dropped connections`,
    ...(errors > 0 ? [`errors: ${JSON.stringify(load.errors)}`] : []),
    ...ticker.errors.map((e) => `churn step failed: ${e}`),
  ];
  return result('churn', 'ok', t0, notes, [table], { load, counts });
}
