import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KObj } from './rest.js';
import { prng } from '../../../test/support/prng.js';
import { sameApartFromStatus, shareUnchanged, StableObjects } from './stable-objects.js';

function gateway(rv: string, extra: Record<string, unknown> = {}): KObj {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'gw', namespace: 'infra', resourceVersion: rv, generation: 1, labels: { a: 'b' } },
    spec: { gatewayClassName: 'waygate', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    ...extra,
  } as KObj;
}

describe('StableObjects', () => {
  it('keeps the previous object when only status, resourceVersion or managedFields changed', () => {
    const s = new StableObjects();
    const first = gateway('1');
    assert.equal(s.view([first])[0], first);
    const statusOnly = gateway('2', { status: { listeners: [{ name: 'http', attachedRoutes: 3 }] } });
    (statusOnly.metadata as Record<string, unknown>)['managedFields'] = [{ manager: 'x' }];
    assert.equal(s.view([statusOnly])[0], first);
    // Compared against what was handed out, not against the last object seen.
    assert.equal(s.view([gateway('3', { status: { listeners: [] } })])[0], first);
  });

  it('hands out the new object for any other difference, and never a stale one afterwards', () => {
    const s = new StableObjects();
    const first = gateway('1');
    s.view([first]);
    const relabelled = gateway('2');
    relabelled.metadata.labels = { a: 'c' };
    assert.equal(s.view([relabelled])[0], relabelled);
    const spec = gateway('3', { spec: { gatewayClassName: 'waygate', listeners: [{ name: 'http', port: 81, protocol: 'HTTP' }] } });
    spec.metadata.labels = { a: 'c' };
    assert.equal(s.view([spec])[0], spec);
    const generation = gateway('4', { spec: spec['spec'] });
    generation.metadata.labels = { a: 'c' };
    generation.metadata.generation = 2;
    assert.equal(s.view([generation])[0], generation);
    const extraField = gateway('5', { spec: spec['spec'], data: {} });
    extraField.metadata.labels = { a: 'c' };
    extraField.metadata.generation = 2;
    assert.equal(s.view([extraField])[0], extraField);
  });

  it('forgets deleted objects and keys by kind, namespace and name', () => {
    const s = new StableObjects();
    const a = gateway('1');
    s.view([a]);
    s.view([]);
    const again = gateway('2');
    assert.equal(s.view([again])[0], again); // re-created: not the forgotten object
    const route = { ...gateway('3'), kind: 'HTTPRoute' } as KObj;
    const out = s.view([again, route]);
    assert.equal(out[0], again);
    assert.equal(out[1], route);
  });

  // The view keeps the older object while the cache holds the echo of our status write: they
  // share everything but status and the volatile metadata, so the spec is alive once.
  it('shareUnchanged: the newer object takes the older one\'s spec and unchanged metadata, keeps its status and resourceVersion', () => {
    const older = gateway('1', { status: { conditions: [] } });
    const newer = gateway('2', { status: { conditions: [{ type: 'Accepted' }] } });
    (newer.metadata as Record<string, unknown>)['managedFields'] = [{ manager: 'waygate' }];
    assert.ok(sameApartFromStatus(older, newer));
    const status = newer['status'];
    const managed = (newer.metadata as Record<string, unknown>)['managedFields'];
    shareUnchanged(older, newer);
    assert.equal(newer['spec'], older['spec']);
    assert.equal((newer.metadata as Record<string, unknown>)['labels'], (older.metadata as Record<string, unknown>)['labels']);
    assert.equal(newer['status'], status);
    assert.equal(newer.metadata.resourceVersion, '2');
    assert.equal((newer.metadata as Record<string, unknown>)['managedFields'], managed);
    assert.ok(sameApartFromStatus(older, newer));
  });

  it('sameApartFromStatus compares everything else deeply', () => {
    assert.equal(sameApartFromStatus(gateway('1'), gateway('9', { status: {} })), true);
    assert.equal(sameApartFromStatus(gateway('1', { status: {} }), gateway('9')), true);
    assert.equal(sameApartFromStatus(gateway('1'), gateway('1', { spec: {} })), false);
    const ns = gateway('1');
    ns.metadata.namespace = 'other';
    assert.equal(sameApartFromStatus(gateway('1'), ns), false);
  });
});

describe('StableObjects along random informer states', () => {
  /** The plain rule, pass by pass: per key, the previous view when only status changed. */
  function reference(): (objects: readonly KObj[]) => KObj[] {
    let before = new Map<string, KObj>();
    return (objects) => {
      const out = objects.map((o) => {
        const prev = before.get(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`);
        return prev !== undefined && sameApartFromStatus(prev, o) ? prev : o;
      });
      before = new Map(out.map((o) => [`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, o]));
      return out;
    };
  }

  it('hands out what the plain rule does, and lastChange() turns one pass into the next', () => {
    const rnd = ((next) => (n: number) => Math.floor(next() * n))(prng(5));
    let serial = 0;
    const make = (name: string, spec: number, status: number): KObj =>
      ({ kind: 'HTTPRoute', metadata: { name, namespace: 'ns', resourceVersion: String(serial++) }, spec: { n: spec }, status: { n: status } }) as KObj;
    let objects = Array.from({ length: 30 }, (_, i) => make(`r${i}`, 0, 0));
    const s = new StableObjects();
    const ref = reference();
    let previous: KObj[] = [];
    let incremental = 0;
    for (let step = 0; step < 400; step++) {
      const next = [...objects];
      for (let k = rnd(12) === 0 ? 40 : rnd(4); k > 0; k--) {
        const at = rnd(next.length);
        const o = next[at];
        const op = rnd(4);
        if (op === 0 && o) next[at] = make(o.metadata.name, (o['spec'] as { n: number }).n, rnd(5)); // status only
        else if (op === 1 && o) next[at] = make(o.metadata.name, rnd(5), (o['status'] as { n: number }).n); // spec
        else if (op === 2 && o) next.splice(at, 1); // deleted
        else next.push(make(`n${serial}`, 0, 0)); // created
      }
      objects = next;
      const out = s.view(objects);
      assert.deepEqual(out.map((o) => o.metadata.resourceVersion), ref(objects).map((o) => o.metadata.resourceVersion), `step ${step}`);
      const change = s.lastChange();
      if (change !== null) {
        incremental++;
        const applied = previous.filter((o) => !change.removed.includes(o)).concat(change.added);
        assert.deepEqual(new Set(applied), new Set(out), `step ${step}: the change turns the previous view into this one`);
      }
      previous = out;
    }
    assert.ok(incremental > 300, `incremental passes: ${incremental}`);
  });
});
