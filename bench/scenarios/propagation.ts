/**
 * `propagation`: time from writing a new HTTPRoute's file to the first 200 for it, the
 * gateway-api-bench "probe" method. For each probe a new route (own hostname) is written
 * atomically into the watched directory, then the Gateway is polled every 2 ms on one keep-alive
 * connection until it answers 200 (404 before); any other answer is counted as an error.
 * Twice: idle, and while 5k routes churn (one file of 100 routes rewritten every 100 ms, i.e.
 * 1,000 route edits per second, each a real change). The churn runs for CHURN_WARMUP_MS before
 * the first probe, so the probes see a gateway that is churning, not one meeting its first
 * edits (whose first passes also pay for compiling the edit paths' code).
 */
import { Agent } from 'node:http';
import { GATEWAY_ADDRESSES, type BenchContext } from '../lib/context.js';
import { removeFile, Ticker, writeAtomic } from '../lib/churner.js';
import { baseManifests, routeManifest, scaleRoutes, serviceManifest, yamlStream } from '../lib/manifests.js';
import { sleep } from '../lib/processes.js';
import type { ScenarioResult } from '../lib/results.js';
import { newTally, probeUntilServed, tallyCells, tallyClean, waitServing, type ProbeTally } from '../lib/route-probe.js';
import type { WaygateInstance } from '../lib/waygate.js';
import { message, result } from './common.js';
import { writeRouteFiles } from './routes.js';

/** How long the churn runs before the first probe of the churn condition. */
const CHURN_WARMUP_MS = 1000;

interface ProbeSet extends ProbeTally {
  readonly condition: string;
  readonly churnSteps: number;
}

export async function runPropagation(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  if (!ctx.has('nginx')) return result('propagation', 'skipped', t0, ['needs nginx (the backend)'], [], null);
  const { port: bport } = await ctx.backend();
  // 300, not 100: a p99 of 100 probes is their second-worst, which moved by ±8 ms between runs
  // of one build (docs/performance.md §13).
  const probes = ctx.opts.smoke ? 3 : 300;
  const churnRoutes = ctx.opts.smoke ? 200 : 5000;
  const timeoutMs = ctx.opts.smoke ? 5000 : 10_000;
  let w: WaygateInstance;
  try {
    w = await ctx.startWaygateWith('propagation', GATEWAY_ADDRESSES.propagation, (address, port) => [
      baseManifests({ address, port }),
      serviceManifest({ name: 'backend', addresses: ['127.0.0.1'], targetPort: bport }),
      routeManifest({ name: 'ready', hostname: 'ready.bench.test', pathPrefix: '/', service: 'backend' }),
    ], { host: 'ready.bench.test', path: '/' });
  } catch (e) {
    return result('propagation', 'skipped', t0, [`waygate not serving: ${message(e)}`], [], null);
  }
  const sets: ProbeSet[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    sets.push(await probeSet(w, agent, 'idle', 'idle', probes, timeoutMs, null));
    // Load the churn set, wait until its last route serves, then churn while probing.
    const routes = scaleRoutes(churnRoutes, 'backend');
    writeRouteFiles(w.dir, routes);
    const last = routes[routes.length - 1]!;
    await waitServing({ address: w.address, port: w.port, agent }, last.hostname!.replace('*.', 'x.'), last.pathPrefix, 60_000 + 20 * churnRoutes);
    const files = Math.ceil(routes.length / 100);
    const ticker = new Ticker(100, (i) => {
      const f = i % files;
      const chunk = routes.slice(f * 100, f * 100 + 100).map((r) => routeManifest({ ...r, setHeader: { name: 'x-churn', value: String(i) } }));
      writeAtomic(w.dir, `routes-${String(f).padStart(3, '0')}.yaml`, yamlStream(chunk));
    });
    sets.push(await probeSet(w, agent, `while ${churnRoutes} routes churn`, 'churn', probes, timeoutMs, ticker));
  } finally {
    agent.destroy();
    await ctx.pm.stop(w.managed);
  }
  const table = {
    title: 'New route: file written → first 200 (ms)',
    headers: ['condition', 'probes', 'p50', 'p99', 'max', 'timeouts', 'other than 404/200', 'churn steps'],
    rows: sets.map((s) => [s.condition, ...tallyCells(s), s.churnSteps]),
  };
  const notes = [
    `${probes} probes per condition, polled every 2 ms on a keep-alive connection, timeout ${timeoutMs / 1000} s; churn: one file of 100 routes rewritten every 100 ms, from ${CHURN_WARMUP_MS / 1000} s before the first probe`,
    'bar (gateway-api-bench): agentgateway 10–30 ms, Istio 120–375 ms, Envoy Gateway 0.6–2 s; target ≤100 ms p99',
  ];
  const clean = sets.every(tallyClean);
  if (!clean) notes.push('some probes timed out or saw answers other than 404/200 (see the table)');
  return result('propagation', 'ok', t0, notes, [table], { sets });
}

async function probeSet(w: WaygateInstance, agent: Agent, condition: string, tag: string, n: number, timeoutMs: number, ticker: Ticker | null): Promise<ProbeSet> {
  const tally = newTally();
  let churnSteps = 0;
  ticker?.start();
  if (ticker !== null) await sleep(CHURN_WARMUP_MS);
  try {
    for (let i = 0; i < n; i++) {
      const name = `prop-${tag}-${i}`;
      const host = `${name}.bench.test`;
      const file = `${name}.yaml`;
      writeAtomic(w.dir, file, yamlStream([routeManifest({ name, hostname: host, pathPrefix: '/', service: 'backend' })]));
      await probeUntilServed({ address: w.address, port: w.port, agent }, host, timeoutMs, tally);
      removeFile(w.dir, file);
      await sleep(ticker === null ? 50 : 20);
    }
  } finally {
    churnSteps = ticker?.stop() ?? 0;
  }
  return { condition, ...tally, churnSteps };
}
