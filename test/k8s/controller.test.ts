/**
 * `waygate controller` against the test API server over real HTTP: statuses written through
 * /status, other controllers' entries kept, no write when nothing changed, a restart loses
 * nothing, watches that break (and 410) resume, and leader hand-over between two replicas.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as ir from '../../src/ir/types.js';
import { KubernetesController } from '../../src/source/kubernetes/controller.js';
import { KubeRest } from '../../src/source/kubernetes/rest.js';
import { TestApiServer } from './apiserver.js';
import { condition, CONTROLLER, kubeConfigFor, read, route, seedWorld, setStatus, TOKEN, waitFor } from './fixtures.js';

const GW = 'gateway.networking.k8s.io/v1';

function makeController(server: TestApiServer, opts: { identity?: string; election?: boolean; onConfig?: (config: ir.Config) => void } = {}): KubernetesController {
  return new KubernetesController({
    ...(opts.onConfig ? { onConfig: opts.onConfig } : {}),
    rest: new KubeRest(kubeConfigFor(server.url)),
    controllerName: CONTROLLER,
    leaderElection: opts.election ? { namespace: 'infra', name: 'waygate-leader', identity: opts.identity ?? 'a', leaseDurationMs: 1000, renewMs: 200, retryMs: 100 } : null,
    addressPool: ['127.0.0.42'],
    coalesceMs: 10,
    initialBackoffMs: 20,
  });
}

function routeParents(server: TestApiServer, name: string): { controllerName: string; conditions: { type: string; status: string; lastTransitionTime: string; observedGeneration?: number }[] }[] {
  return ((read(server, GW, 'HTTPRoute', 'app', name)?.['status'] ?? {}) as { parents?: never[] }).parents ?? [];
}

describe('kubernetes controller', () => {
  let server: TestApiServer;
  const controllers: KubernetesController[] = [];
  beforeEach(async () => {
    server = await TestApiServer.start({ token: TOKEN, bookmarkMs: 100 });
    seedWorld(server);
  });
  afterEach(async () => {
    for (const c of controllers.splice(0)) await c.stop();
    await server.close();
  });

  // Provisioning reads a handful of Gateways and classes; walking every route per write cost
  // 23 MB/s of allocation at 5k churning routes.
  it('hands provisioning only the kinds it reads', async () => {
    const kinds = new Set<string>();
    let reconciled = 0;
    const c = new KubernetesController({
      rest: new KubeRest(kubeConfigFor(server.url)),
      controllerName: CONTROLLER,
      leaderElection: null,
      addressPool: ['127.0.0.42'],
      coalesceMs: 10,
      provision: {
        watch: [],
        reads: ['GatewayClass', 'Gateway'],
        addresses: () => ({}),
        reconcile: async (_result, objects) => {
          reconciled++;
          for (const o of objects) kinds.add(String(o.kind));
        },
      },
    });
    controllers.push(c);
    c.start();
    await c.whenReady();
    await waitFor('reconciled', () => reconciled > 0);
    assert.deepEqual([...kinds].sort(), ['Gateway', 'GatewayClass']);
  });

  /** A started controller whose route is accepted and whose own status writes have echoed back. */
  async function settledController(): Promise<KubernetesController> {
    const c = makeController(server);
    controllers.push(c);
    c.start();
    await c.whenReady();
    await waitFor('route accepted', () => routeParents(server, 'route').length === 1);
    await new Promise((r) => setTimeout(r, 150));
    return c;
  }

  it('writes statuses, keeps other controllers\' entries, and does not write when nothing changed', async () => {
    setStatus(server, GW, 'HTTPRoute', 'app', 'route', { parents: [{ parentRef: { name: 'other' }, controllerName: 'example.com/other', conditions: [] }] });
    const c = makeController(server);
    controllers.push(c);
    c.start();
    await c.whenReady();
    await waitFor('Gateway programmed', () => condition(read(server, GW, 'Gateway', 'infra', 'gw')?.['status'], 'Programmed')?.status === 'True');
    const gc = read(server, GW, 'GatewayClass', undefined, 'waygate');
    assert.equal(condition(gc?.['status'], 'Accepted')?.status, 'True');
    const parents = await waitFor('route status', () => (routeParents(server, 'route').length === 2 ? routeParents(server, 'route') : null));
    assert.deepEqual(parents.map((p) => p.controllerName).sort(), ['example.com/other', CONTROLLER]);
    const ours = parents.find((p) => p.controllerName === CONTROLLER)!;
    assert.equal(ours.conditions.find((x) => x.type === 'Accepted')?.status, 'True');
    assert.equal((read(server, GW, 'Gateway', 'infra', 'gw')?.['status'] as { addresses: { value: string }[] }).addresses[0]?.value, '127.0.0.42');
    assert.ok(c.last?.ir.servers.some((s) => s.gateway === 'infra/gw'));

    // Settle, then an unrelated change must not rewrite any status.
    await new Promise((r) => setTimeout(r, 150));
    const writes = c.statusWriter.writes;
    server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'unrelated' } });
    await c.reconcile();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.statusWriter.writes, writes);
    const statusWrites = server.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/status'));
    assert.ok(statusWrites.every((r) => r.contentType === 'application/merge-patch+json'));
  });

  it('publishes a config only when a server changed: not for status writes or unrelated objects', async () => {
    const published: ir.Config[] = [];
    const c = makeController(server, { onConfig: (config) => published.push(config) });
    controllers.push(c);
    c.start();
    await c.whenReady();
    await waitFor('route accepted', () => routeParents(server, 'route').length === 1);
    await new Promise((r) => setTimeout(r, 150)); // our own status writes come back as events
    const count = published.length;
    assert.ok(count >= 1);
    const servers = published.at(-1)!.servers;

    server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'unrelated' } });
    setStatus(server, GW, 'HTTPRoute', 'app', 'route', { parents: [] }); // someone else's status write
    await c.reconcile();
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(published.length, count, 'no server changed: nothing published');
    assert.ok(c.last!.ir.servers.every((s, i) => s === servers[i]), 'the very same server objects');

    server.apply(route('route', ['/changed']));
    await waitFor('new config published', () => published.length > count);
    assert.ok(JSON.stringify(published.at(-1)!.servers).includes('/changed'));
  });

  it('a change to statuses alone runs no pass; a status someone else overwrote is written again', async () => {
    const c = await settledController();
    const passes = c.passCount;
    const writes = c.statusWriter.writes;

    // Another controller's entry is added, then our entry is wiped: only the latter is written back.
    const ours = routeParents(server, 'route')[0]!;
    setStatus(server, GW, 'HTTPRoute', 'app', 'route', { parents: [ours, { parentRef: { name: 'other' }, controllerName: 'example.com/other', conditions: [] }] });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.statusWriter.writes, writes, 'nothing of ours changed');
    setStatus(server, GW, 'HTTPRoute', 'app', 'route', { parents: [{ parentRef: { name: 'other' }, controllerName: 'example.com/other', conditions: [] }] });
    await waitFor('our entry written again', () => routeParents(server, 'route').some((p) => p.controllerName === CONTROLLER));
    assert.deepEqual(routeParents(server, 'route').map((p) => p.controllerName).sort(), ['example.com/other', CONTROLLER]);
    assert.equal(c.passCount, passes, 'no pass for status changes');

    server.apply(route('route', ['/changed']));
    await waitFor('a pass for the spec change', () => c.passCount > passes);
  });

  it('a status write that failed is tried again with nothing else changing', async () => {
    const c = await settledController();
    // The route's next status write fails; nothing else changes afterwards (no echo, no edit).
    server.faults.push({ method: 'PATCH', pathIncludes: '/httproutes/route/status', remaining: 1 });
    server.apply(route('route', ['/v2']));
    const generation = () => routeParents(server, 'route')[0]?.conditions.find((x) => x.type === 'Accepted')?.observedGeneration;
    await waitFor('the failed write tried again', () => generation() === 2, 5000);
    assert.equal(server.faults[0]!.remaining, 0, 'the injected failure was hit');
    assert.equal(c.statusWriter.pendingRetries, 0);
  });

  it('a restart loses nothing and keeps lastTransitionTime', async () => {
    const first = makeController(server);
    first.start();
    await first.whenReady();
    await waitFor('route accepted', () => routeParents(server, 'route').length === 1);
    const before = routeParents(server, 'route')[0]!.conditions.find((x) => x.type === 'Accepted')!.lastTransitionTime;
    await first.stop();

    // While no controller runs: a new route appears and the Gateway spec changes.
    server.apply(route('late', ['/late']));
    const gw = read(server, GW, 'Gateway', 'infra', 'gw')!;
    server.apply({ ...gw, spec: { ...(gw['spec'] as object), listeners: [{ name: 'http', port: 8081, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] } });

    await new Promise((r) => setTimeout(r, 1100)); // lastTransitionTime has second precision
    const second = makeController(server);
    controllers.push(second);
    second.start();
    await second.whenReady();
    await waitFor('late route accepted', () => routeParents(server, 'late').length === 1);
    await waitFor('observedGeneration 2', () => condition(read(server, GW, 'Gateway', 'infra', 'gw')?.['status'], 'Accepted')?.observedGeneration === 2);
    assert.ok(second.last?.ir.servers.some((s) => s.port === 8081));
    const after = routeParents(server, 'route')[0]!.conditions.find((x) => x.type === 'Accepted')!.lastTransitionTime;
    assert.equal(after, before);
  });

  it('resumes after broken watches and relists after 410 Gone', async () => {
    const c = makeController(server);
    controllers.push(c);
    c.start();
    await c.whenReady();
    await waitFor('route accepted', () => routeParents(server, 'route').length === 1);

    server.breakWatches();
    server.apply(route('after-break', ['/a']));
    await waitFor('route seen after a broken watch', () => routeParents(server, 'after-break').length === 1);

    const gone = () => c.informers.reflectors.reduce((n, r) => n + r.counters.gone, 0);
    await waitFor('watches back', () => server.openWatches >= c.informers.reflectors.length);
    server.store.compact();
    server.apply(route('while-gone', ['/g']));
    server.breakWatches();
    // The route is delivered either by the resumed watch (410 → relist) or the relist itself.
    await waitFor('route seen after 410', () => routeParents(server, 'while-gone').length === 1);
    await waitFor('a 410 was handled', () => gone() > 0);
  });

  it('hands leadership over between two replicas; only the leader writes', async () => {
    const a = makeController(server, { election: true, identity: 'a' });
    const b = makeController(server, { election: true, identity: 'b' });
    controllers.push(a, b);
    a.start();
    await waitFor('a leads', () => a.isLeader);
    b.start();
    await a.whenReady();
    await b.whenReady();
    await waitFor('status written', () => routeParents(server, 'route').length === 1);
    assert.equal(b.isLeader, false);
    assert.equal(b.statusWriter.writes, 0);

    await a.stop(); // releases the Lease
    controllers.splice(controllers.indexOf(a), 1);
    await waitFor('b leads', () => b.isLeader, 3000);
    server.apply(route('new', ['/new']));
    await waitFor('b writes status', () => routeParents(server, 'new').length === 1);
    assert.ok(b.statusWriter.writes > 0);
    const lease = read(server, 'coordination.k8s.io/v1', 'Lease', 'infra', 'waygate-leader');
    assert.equal((lease?.['spec'] as { holderIdentity: string }).holderIdentity, 'b');
  });
});
