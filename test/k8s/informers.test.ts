/**
 * The informers' bursts, against the test API server over real HTTP: a change after a quiet
 * spell is reported at once, changes within `coalesceMs` of a report wait for the window to
 * end and go together.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InformerSet } from '../../src/source/kubernetes/informers.js';
import { HTTP_ROUTE } from '../../src/source/kubernetes/kinds.js';
import { KubeRest } from '../../src/source/kubernetes/rest.js';
import { TestApiServer } from './apiserver.js';
import type { KObj } from '../../src/source/kubernetes/rest.js';
import { kubeConfigFor, route, seedWorld, setStatus, TOKEN, waitFor } from './fixtures.js';

const GW = 'gateway.networking.k8s.io/v1';

/** Long, so that "at once" and "after the window" cannot be confused on a loaded machine. */
const WINDOW_MS = 400;

describe('informer bursts', () => {
  let server: TestApiServer;
  let informers: InformerSet;
  let reports: number[];
  let statusReports: (readonly KObj[])[];
  beforeEach(async () => {
    server = await TestApiServer.start({ token: TOKEN });
    seedWorld(server);
    reports = [];
    statusReports = [];
    informers = new InformerSet({
      rest: new KubeRest(kubeConfigFor(server.url)), kinds: [HTTP_ROUTE], coalesceMs: WINDOW_MS,
      onChange: () => reports.push(performance.now()),
      onStatusChange: (objects) => statusReports.push(objects),
    });
    informers.start();
    await informers.whenReady();
    await waitFor('first report', () => reports.length === 1);
    await new Promise((r) => setTimeout(r, WINDOW_MS + 50)); // a quiet spell
  });
  afterEach(async () => {
    informers.stop();
    await server.close();
  });

  it('reports a change after a quiet spell at once, and later changes once the window has passed', async () => {
    const t0 = performance.now();
    server.apply(route('first', ['/a']));
    await waitFor('first change reported', () => reports.length === 2);
    assert.ok(reports[1]! - t0 < WINDOW_MS / 2, `reported ${reports[1]! - t0} ms after the change, not at once`);

    // Three changes right after a report: one report, no earlier than the window allows.
    server.apply(route('second', ['/b']));
    server.apply(route('third', ['/c']));
    await new Promise((r) => setTimeout(r, 20));
    server.apply(route('fourth', ['/d']));
    await waitFor('the burst reported', () => reports.length === 3);
    assert.ok(reports[2]! - reports[1]! >= WINDOW_MS - 5, `reported ${reports[2]! - reports[1]!} ms after the previous report`);
    await new Promise((r) => setTimeout(r, WINDOW_MS + 50));
    assert.equal(reports.length, 3, 'the three changes were one burst');
    assert.equal(informers.objects().filter((o) => ['second', 'third', 'fourth'].includes(o.metadata.name)).length, 3);
  });

  it('reports a burst of status changes alone apart, with the objects, and a burst that also changes a spec as a change', async () => {
    const ref = { kind: 'HTTPRoute', metadata: { namespace: 'app', name: 'route' } };
    const before = informers.current(ref)!;
    setStatus(server, GW, 'HTTPRoute', 'app', 'route', { parents: [{ parentRef: { name: 'gw' }, controllerName: 'example.com/other', conditions: [] }] });
    await waitFor('the status-only burst', () => statusReports.length === 1);
    assert.deepEqual(statusReports[0]!.map((o) => o.metadata.name), ['route']);
    const after = informers.current(ref)!;
    assert.notEqual(after, before);
    assert.equal(after['spec'], before['spec'], 'the spec of a status-only change is the one already cached');
    assert.equal(reports.length, 1, 'no change reported for it');

    await new Promise((r) => setTimeout(r, WINDOW_MS + 50));
    setStatus(server, GW, 'HTTPRoute', 'app', 'route', { parents: [] });
    server.apply(route('other', ['/x']));
    await waitFor('the mixed burst', () => reports.length === 2);
    await new Promise((r) => setTimeout(r, WINDOW_MS + 50));
    assert.equal(statusReports.length, 1, 'a burst with a spec change is reported as a change only');
  });
});
