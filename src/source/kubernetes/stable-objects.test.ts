import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KObj } from './rest.js';
import { sameApartFromStatus, StableObjects } from './stable-objects.js';

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

  it('sameApartFromStatus compares everything else deeply', () => {
    assert.equal(sameApartFromStatus(gateway('1'), gateway('9', { status: {} })), true);
    assert.equal(sameApartFromStatus(gateway('1', { status: {} }), gateway('9')), true);
    assert.equal(sameApartFromStatus(gateway('1'), gateway('1', { spec: {} })), false);
    const ns = gateway('1');
    ns.metadata.namespace = 'other';
    assert.equal(sameApartFromStatus(gateway('1'), ns), false);
  });
});
