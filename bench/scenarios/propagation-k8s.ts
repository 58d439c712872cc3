/**
 * `propagation-k8s`: time from creating a new HTTPRoute object through the Kubernetes API to
 * the first 200 for it, in Kubernetes mode: the test API server (test/k8s/apiserver.ts) runs in
 * this process, `waygate controller` as a child with a kubeconfig pointing at it, and the
 * `waygate proxy` it provisions is started by the conformance runner's kubelet emulation
 * (test/conformance/kubernetes-mode.ts, kubelet.ts), bound to the loopback address the load
 * balancer emulation gave its Service. Controller and proxy are pinned to the proxy core.
 *
 * Same method as `propagation`: each probe creates a route (own hostname) with a POST, then
 * polls the proxy every 2 ms on one keep-alive connection until it answers 200 (404 before;
 * anything else is counted), then deletes it; the POST and the polls run in the prober child
 * (bench/lib/prober.ts), away from the API server's collections. Twice: idle, and while 5k
 * routes churn (100 routes replaced with a PUT — a changed filter header value — every 100 ms).
 */
import type { ChildProcess } from 'node:child_process';
import { Agent } from 'node:http';
import yaml from 'js-yaml';
import { KubernetesMode } from '../../test/conformance/kubernetes-mode.js';
import { mustCall } from '../lib/api-call.js';
import type { BenchContext } from '../lib/context.js';
import { Ticker } from '../lib/churner.js';
import { CONTROLLER_NAME, NAMESPACE, routeManifest, scaleRoutes, type RouteSpec } from '../lib/manifests.js';
import { freePort } from '../lib/ports.js';
import { Prober } from '../lib/prober.js';
import { cpuSecondsDelta, treeCpuTicks, treeRssMiB } from '../lib/proc-stat.js';
import { sleep, trackTransient } from '../lib/processes.js';
import type { ScenarioResult } from '../lib/results.js';
import { newTally, tallyCells, tallyClean, waitServing, type ProbeTally, type ProbeTarget } from '../lib/route-probe.js';
import { round } from '../lib/stats.js';
import { waygateCommand } from '../lib/waygate.js';
import { message, result } from './common.js';

/** Second octet of the load balancer's addresses (127.120.x.y); conformance runs use 128+. */
const GATEWAY_OCTET = 120;
const ROUTES_PATH = `/apis/gateway.networking.k8s.io/v1/namespaces/${NAMESPACE}/httproutes`;

type Obj = Record<string, unknown> & { metadata: { name: string; namespace?: string; [k: string]: unknown } };

interface ProbeSet extends ProbeTally {
  readonly condition: string;
  readonly churnSteps: number;
  /** Churn steps skipped because the previous one's PUTs had not all been answered. */
  readonly churnLate: number;
  /** CPU seconds of the controller and of the proxy over the probe set. */
  readonly cpu: { readonly controller: number; readonly proxy: number; readonly seconds: number };
}

/** The HTTPRoute object of a route spec (the same document `propagation` writes to a file). */
export function routeObject(r: RouteSpec): Obj {
  return yaml.load(routeManifest(r)) as Obj;
}

export async function runPropagationK8s(ctx: BenchContext): Promise<ScenarioResult> {
  const name = 'propagation-k8s';
  const t0 = performance.now();
  if (!ctx.has('nginx')) return result(name, 'skipped', t0, ['needs nginx (the backend)'], [], null);
  const cmd = waygateCommand(ctx.repoRoot);
  if ('missing' in cmd) return result(name, 'skipped', t0, [cmd.missing], [], null);
  const { port: bport } = await ctx.backend();
  const smoke = ctx.opts.smoke;
  // 300, as in `propagation`: the p99 of 30 probes is their worst one.
  const probes = smoke ? 3 : 300;
  const churnRoutes = smoke ? 200 : 5000;
  const timeoutMs = smoke ? 5000 : 10_000;
  const children: ChildProcess[] = [];
  let k8s: KubernetesMode | null = null;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let prober: Prober | null = null;
  const notes: string[] = [];
  try {
    k8s = await KubernetesMode.create({
      repoRoot: ctx.repoRoot, tmpDir: ctx.dir('propagation-k8s'), controllerName: CONTROLLER_NAME, gatewayOctet: GATEWAY_OCTET,
      command: cmd.argv, cpu: ctx.cpus.proxy, bookmarkMs: 1000,
      onSpawn: (c) => {
        trackTransient(c);
        children.push(c);
      },
    });
    const api = k8s.api;
    const port = await freePort();
    for (const o of baseObjects(port, bport)) await mustCall(api.call('POST', collectionOf(o), o), `create ${String(o['kind'])}`);
    await mustCall(api.call('POST', ROUTES_PATH, routeObject({ name: 'ready', hostname: 'ready.bench.test', pathPrefix: '/', service: 'backend' })), 'create route');
    try {
      await k8s.start(smoke ? 30_000 : 60_000);
    } catch (e) {
      return result(name, 'skipped', t0, [`waygate controller not ready: ${message(e)}`], [], null);
    }
    let address: string;
    try {
      address = await gatewayAddress(k8s, smoke ? 30_000 : 60_000);
      await waitServing({ address, port, agent }, 'ready.bench.test', '/', smoke ? 30_000 : 60_000);
    } catch (e) {
      return result(name, 'skipped', t0, [`waygate proxy not serving: ${message(e)}; ${k8s.tail().slice(-600)}`], [], null);
    }
    // The controller is spawned first; the kubelet emulation starts the proxy once provisioned.
    const alive = (cs: readonly ChildProcess[]): number[] => cs.filter((c) => c.exitCode === null && c.pid !== undefined).map((c) => c.pid!);
    const pids = { controller: alive(children.slice(0, 1)), proxy: alive(children.slice(1)) };
    prober = new Prober(ctx.repoRoot, ctx.cpus.load);
    const target: Target = { api, address, port, agent, pids, prober };

    const sets: ProbeSet[] = [];
    sets.push(await probeSet(target, 'idle', 'idle', probes, timeoutMs, null));

    // Load the churn set through the API, wait until its last route serves.
    const routes = scaleRoutes(churnRoutes, 'backend');
    const tCreate = performance.now();
    await inParallel(routes, 16, (r) => mustCall(api.call('POST', ROUTES_PATH, routeObject(r)), `create route ${r.name}`));
    const createdMs = performance.now() - tCreate;
    const last = routes[routes.length - 1]!;
    await waitServing(target, last.hostname!.replace('*.', 'x.'), last.pathPrefix, 60_000 + 20 * churnRoutes);
    const servedMs = performance.now() - tCreate;
    const rss = { controller: treeRssMiB(pids.controller), proxy: treeRssMiB(pids.proxy) };
    notes.push(`${churnRoutes} HTTPRoutes created through the API in ${round(createdMs / 1000, 2)} s (16 requests in flight); the last one served ${round(servedMs / 1000, 2)} s after the first POST; RSS then: controller ${round(rss.controller, 0)} MiB, proxy ${round(rss.proxy, 0)} MiB`);

    // Churn: replace 100 routes (a changed header value) every 100 ms, while probing.
    const chunks = Math.ceil(routes.length / 100);
    let inFlight = false;
    let late = 0;
    const ticker = new Ticker(100, (i) => {
      if (inFlight) {
        late++;
        return;
      }
      inFlight = true;
      const c = i % chunks;
      const chunk = routes.slice(c * 100, c * 100 + 100);
      void inParallel(chunk, 16, (r) => mustCall(api.call('PUT', `${ROUTES_PATH}/${r.name}`, routeObject({ ...r, setHeader: { name: 'x-churn', value: String(i) } })), `replace route ${r.name}`))
        .catch((e: unknown) => {
          if (ticker.errors.length < 5) ticker.errors.push(message(e));
        })
        .finally(() => (inFlight = false));
    });
    const churned = await probeSet(target, `while ${churnRoutes} routes churn`, 'churn', probes, timeoutMs, ticker, () => late);
    sets.push(churned);
    if (ticker.errors.length > 0) notes.push(`churn errors: ${ticker.errors.join('; ')}`);

    const table = {
      title: 'New route: HTTPRoute created (POST) → first 200 through the provisioned proxy (ms)',
      headers: ['condition', 'probes', 'p50', 'p99', 'max', 'timeouts', 'other than 404/200', 'churn steps (late)', 'CPU s controller / proxy'],
      rows: sets.map((s) => [
        s.condition, ...tallyCells(s), `${s.churnSteps} (${s.churnLate})`,
        `${round(s.cpu.controller, 2)} / ${round(s.cpu.proxy, 2)} in ${round(s.cpu.seconds, 1)} s`,
      ]),
    };
    notes.unshift(
      `${probes} probes per condition, polled every 2 ms on a keep-alive connection, timeout ${timeoutMs / 1000} s; churn: 100 routes replaced (PUT) every 100 ms, a step skipped ("late") while the previous one's PUTs are unanswered`,
      'test API server and churn client in the harness process, each probe (its POST, then its polls) in a prober process, both on the load core; waygate controller and the provisioned waygate proxy pinned to the proxy core',
    );
    const clean = sets.every(tallyClean);
    if (!clean) notes.push('some probes timed out or saw answers other than 404/200 (see the table)');
    return result(name, 'ok', t0, notes, [table], { sets, createdMs, servedMs, rss });
  } finally {
    prober?.close();
    agent.destroy();
    await k8s?.stop();
  }
}

interface Target extends ProbeTarget {
  readonly api: KubernetesMode['api'];
  /** Makes each new route and polls for it, in a process of its own (prober.ts). */
  readonly prober: Prober;
  readonly pids: { readonly controller: readonly number[]; readonly proxy: readonly number[] };
}

async function probeSet(t: Target, condition: string, tag: string, n: number, timeoutMs: number, ticker: Ticker | null, late: () => number = () => 0): Promise<ProbeSet> {
  const tally = newTally();
  let churnSteps = 0;
  const cpu0 = { controller: treeCpuTicks(t.pids.controller), proxy: treeCpuTicks(t.pids.proxy), at: performance.now() };
  const late0 = late();
  ticker?.start();
  try {
    if (ticker !== null) await sleep(500); // let the churn reach its steady state
    for (let i = 0; i < n; i++) {
      const name = `prop-${tag}-${i}`;
      const host = `${name}.bench.test`;
      const object = routeObject({ name, hostname: host, pathPrefix: '/', service: 'backend' });
      await t.prober.probe({ post: { apiUrl: t.api.url, path: ROUTES_PATH, object }, address: t.address, port: t.port, host, timeoutMs }, tally);
      await mustCall(t.api.call('DELETE', `${ROUTES_PATH}/${name}`), `delete ${name}`);
      await sleep(ticker === null ? 50 : 20);
    }
  } finally {
    churnSteps = ticker?.stop() ?? 0;
  }
  const cpu = {
    controller: cpuSecondsDelta(cpu0.controller, treeCpuTicks(t.pids.controller)),
    proxy: cpuSecondsDelta(cpu0.proxy, treeCpuTicks(t.pids.proxy)),
    seconds: (performance.now() - cpu0.at) / 1000,
  };
  return { condition, ...tally, churnSteps, churnLate: late() - late0, cpu };
}

/** Namespace, GatewayClass, Gateway (one HTTP listener on `port`, no static address), and the backend Service + EndpointSlice. */
function baseObjects(port: number, backendPort: number): Obj[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'waygate-bench' }, spec: { controllerName: CONTROLLER_NAME } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'bench', namespace: NAMESPACE },
      spec: { gatewayClassName: 'waygate-bench', listeners: [{ name: 'http', protocol: 'HTTP', port, allowedRoutes: { namespaces: { from: 'Same' } } }] },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'backend', namespace: NAMESPACE }, spec: { ports: [{ name: 'http', port: 80, targetPort: backendPort, protocol: 'TCP' }] } },
    {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: 'backend-1', namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': 'backend' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
      ports: [{ name: 'http', port: backendPort, protocol: 'TCP' }],
    },
  ];
}

function collectionOf(o: Obj): string {
  const apiVersion = String(o['apiVersion']);
  const plural = `${String(o['kind']).toLowerCase()}${String(o['kind']).endsWith('s') ? 'es' : 's'}`;
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return o.metadata.namespace === undefined ? `${base}/${plural}` : `${base}/namespaces/${o.metadata.namespace}/${plural}`;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; rejects with the first error. */
async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The address the controller reports for the bench Gateway (the load balancer emulation's). */
async function gatewayAddress(k8s: KubernetesMode, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const [code, gw] = await k8s.api.call('GET', `/apis/gateway.networking.k8s.io/v1/namespaces/${NAMESPACE}/gateways/bench`);
    const value = code === 200 ? (gw as { status?: { addresses?: { value?: string }[] } }).status?.addresses?.[0]?.value : undefined;
    if (value) return value;
    await sleep(100);
  }
  throw new Error(`the Gateway has no address after ${timeoutMs} ms`);
}
