import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusUpdate } from '../../controller/translate.js';
import { KubeApiError, type KObj, type KubeRest } from './rest.js';
import { StatusWriter } from './status-writer.js';
import { prng } from '../../../test/support/prng.js';

const CONTROLLER = 'waygate.dev/gateway-controller';

function route(i: number): KObj {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute',
    metadata: { name: `r${i}`, namespace: 'apps', generation: 1, resourceVersion: '1' },
    status: { parents: [] },
  } as KObj;
}

function update(i: number): StatusUpdate {
  return {
    kind: 'HTTPRoute', namespace: 'apps', name: `r${i}`, generation: 1,
    status: { parents: [{ parentRef: { name: 'gw' }, controllerName: CONTROLLER, conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: '', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1 }] }] },
  };
}

/**
 * A KubeRest that answers PATCHes with `patch` (its name: the object name in the path) and
 * fails every GET: no test here expects a conflict.
 */
function patchOnly(patch: (name: string, body: { metadata: { resourceVersion?: unknown }; status: unknown }, method: string) => Promise<void> | void): KubeRest {
  return {
    async send(method: string, path: string, o: { body: { metadata: { resourceVersion?: unknown }; status: unknown } }): Promise<void> {
      await patch(path.split('/').at(-2)!, o.body, method);
    },
    async get(): Promise<KObj> {
      throw new Error('no conflict expected');
    },
  } as unknown as KubeRest;
}

test('status writer: PATCHes run a few at a time, each object once; a failure is counted, not fatal', async () => {
  let inFlight = 0;
  let most = 0;
  const patched: string[] = [];
  const rest = patchOnly(async (name, _body, method) => {
    assert.equal(method, 'PATCH');
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    if (name === 'r13') throw new KubeApiError(500, 'InternalError', 'boom');
    patched.push(name);
  });
  const writer = new StatusWriter({ rest, controllerName: CONTROLLER });
  const n = 40;
  const result = await writer.write(Array.from({ length: n }, (_, i) => update(i)), Array.from({ length: n }, (_, i) => route(i)));
  assert.deepEqual(result, { written: n - 1, unchanged: 0, failed: 1 });
  assert.equal(new Set(patched).size, n - 1, 'every other object written exactly once');
  assert.ok(most > 1 && most <= 8, `at most 8 in flight, and more than one: ${most}`);
  assert.equal(inFlight, 0);
});

test('status writer: a cached object and update written or found equal before are not compared or written again; a new object or update is', async () => {
  const patched: string[] = [];
  const rest = patchOnly((name) => void patched.push(name));
  const writer = new StatusWriter({ rest, controllerName: CONTROLLER });
  const objects = Array.from({ length: 10 }, (_, i) => route(i));
  const updates = Array.from({ length: 10 }, (_, i) => update(i));
  assert.deepEqual(await writer.write(updates, objects), { written: 10, unchanged: 0, failed: 0 });
  // The informers have not caught up yet (the same objects): nothing is looked at again.
  patched.length = 0;
  assert.deepEqual(await writer.write(updates, objects), { written: 0, unchanged: 0, failed: 0 });
  assert.deepEqual(await writer.write([...updates], [...objects]), { written: 0, unchanged: 0, failed: 0 }, 'new arrays, same elements');
  assert.deepEqual(patched, []);
  // A new update for r2 (a route changed), a new object for r5 (its cache entry replaced).
  const updates2 = updates.map((u, i) => (i === 2 ? { ...update(2), generation: 2 } : u));
  const objects2 = objects.map((o, i) => (i === 5 ? route(5) : o));
  assert.deepEqual(await writer.write(updates2, objects2), { written: 2, unchanged: 0, failed: 0 });
  assert.deepEqual(patched.sort(), ['r2', 'r5']);
});

test('status writer: our entries on a route we no longer handle are dropped once, not again for the same cached object', async () => {
  const bodies: unknown[] = [];
  const rest = patchOnly((_name, body) => void bodies.push(body));
  const writer = new StatusWriter({ rest, controllerName: CONTROLLER });
  const stale = { ...route(1), status: update(1).status } as KObj; // our entry, but no update for it any more
  assert.deepEqual(await writer.write([], [stale]), { written: 1, unchanged: 0, failed: 0 });
  assert.deepEqual((bodies[0] as { status: { parents: unknown[] } }).status.parents, [], 'our entry dropped');
  assert.deepEqual(await writer.write([], [stale]), { written: 0, unchanged: 0, failed: 0 });
  assert.equal(bodies.length, 1);
});

test('status writer: recheck() before the first write() writes nothing (there is nothing to compare with)', async () => {
  const bodies: unknown[] = [];
  const writer = new StatusWriter({ rest: patchOnly((_name, body) => void bodies.push(body)), controllerName: CONTROLLER });
  const ours = { ...route(1), status: update(1).status } as KObj;
  assert.deepEqual(await writer.recheck([ours]), { written: 0, unchanged: 0, failed: 0 });
  assert.equal(bodies.length, 0, 'our entry kept');
});

test('status writer: over random edits, it writes exactly the pairs an every-object comparison would, failed ones again', async () => {
  const rnd = prng(7);
  const failing = new Set<string>();
  let patched: string[] = [];
  const rest = patchOnly((name) => {
    if (failing.has(name)) throw new KubeApiError(500, 'InternalError', 'boom');
    patched.push(name);
  });
  const writer = new StatusWriter({ rest, controllerName: CONTROLLER });
  // Every update differs from every cached status, so each pair looked at is PATCHed.
  const withOurEntry = (i: number): KObj => ({ ...route(i), status: update(i).status }) as KObj;
  let generation = 1;
  const next = (i: number): StatusUpdate => {
    const u = update(i);
    return { ...u, generation: ++generation, status: JSON.parse(JSON.stringify(u.status).replace('"message":""', `"message":"${generation}"`)) as StatusUpdate['status'] };
  };
  const n = 60;
  let objects: KObj[] = Array.from({ length: n }, (_, i) => route(i));
  let updates: (StatusUpdate | null)[] = Array.from({ length: n }, (_, i) => next(i));
  const settled = new WeakMap<KObj, StatusUpdate | null>(); // the every-object rule, kept by the test
  for (let step = 0; step < 300; step++) {
    const edits = rnd() < 0.1 ? 40 : 1 + Math.floor(rnd() * 4); // now and then past the change budget
    for (let e = 0; e < edits; e++) {
      const i = Math.floor(rnd() * n);
      const r = rnd();
      if (r < 0.35) updates[i] = next(i);
      else if (r < 0.6) objects[i] = rnd() < 0.5 ? route(i) : withOurEntry(i);
      else if (r < 0.75) updates[i] = updates[i] === null ? next(i) : null;
      else if (r < 0.85) objects = objects.map((o, k) => (k === i ? ({ ...o, kind: o.kind === 'HTTPRoute' ? 'Gone' : 'HTTPRoute' } as KObj) : o));
      else if (failing.has(`r${i}`)) failing.delete(`r${i}`);
      else failing.add(`r${i}`);
    }
    objects = [...objects];
    const list = updates.filter((u): u is StatusUpdate => u !== null);
    const expected: string[] = [];
    for (let i = 0; i < n; i++) {
      const obj = objects[i]!;
      if (obj.kind !== 'HTTPRoute') continue;
      const u = updates[i]!;
      const stale = u === null && JSON.stringify(obj.status).includes(CONTROLLER) && settled.get(obj) !== null;
      if ((u !== null && settled.get(obj) !== u) || stale) {
        if (!failing.has(obj.metadata.name)) {
          expected.push(obj.metadata.name);
          settled.set(obj, u);
        }
      }
    }
    patched = [];
    await writer.write(list, objects.filter((o) => o.kind === 'HTTPRoute'));
    assert.deepEqual(patched.sort(), expected.sort(), `step ${step}`);
  }
});

test('status writer: recheck() tries failed writes again, and objects given for a key win over the cached one', async () => {
  let failing = true;
  const patched: { name: string; rv: unknown }[] = [];
  const rest = patchOnly((name, body) => {
    if (failing && name === 'r1') throw new KubeApiError(500, 'InternalError', 'boom');
    patched.push({ name, rv: body.metadata.resourceVersion });
  });
  const writer = new StatusWriter({ rest, controllerName: CONTROLLER });
  assert.equal(writer.started, false);
  const objects = [route(0), route(1), route(2)];
  assert.deepEqual(await writer.write([update(0), update(1), update(2)], objects), { written: 2, unchanged: 0, failed: 1 });
  assert.equal(writer.started, true);
  assert.equal(writer.pendingRetries, 1);
  failing = false;
  patched.length = 0;
  assert.deepEqual(await writer.recheck([]), { written: 1, unchanged: 0, failed: 0 });
  assert.deepEqual(patched, [{ name: 'r1', rv: '1' }]);
  assert.equal(writer.pendingRetries, 0);
  assert.deepEqual(await writer.recheck([]), { written: 0, unchanged: 0, failed: 0 }, 'nothing left to try');
  // A failed write retried with the newer object the caller has for that key.
  failing = true;
  await writer.write([update(0), { ...update(1), generation: 2 }, update(2)], objects);
  failing = false;
  patched.length = 0;
  const newer = { ...route(1), metadata: { ...route(1).metadata, resourceVersion: '7' } } as KObj;
  await writer.recheck([newer]);
  assert.deepEqual(patched, [{ name: 'r1', rv: '7' }]);
});
