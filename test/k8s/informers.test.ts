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
import { kubeConfigFor, route, seedWorld, TOKEN, waitFor } from './fixtures.js';

/** Long, so that "at once" and "after the window" cannot be confused on a loaded machine. */
const WINDOW_MS = 400;

describe('informer bursts', () => {
  let server: TestApiServer;
  let informers: InformerSet;
  let reports: number[];
  beforeEach(async () => {
    server = await TestApiServer.start({ token: TOKEN });
    seedWorld(server);
    reports = [];
    informers = new InformerSet({ rest: new KubeRest(kubeConfigFor(server.url)), kinds: [HTTP_ROUTE], coalesceMs: WINDOW_MS, onChange: () => reports.push(performance.now()) });
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
});
