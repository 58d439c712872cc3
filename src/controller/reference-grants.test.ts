import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as api from '../api/types.js';
import type { ResourceIndex } from './model.js';
import { isReferenceAllowed } from './reference-grants.js';

function grant(ns: string, spec: api.ReferenceGrant['spec']): api.ReferenceGrant {
  return { apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { name: 'g', namespace: ns }, spec };
}

function indexWith(grants: api.ReferenceGrant[]): ResourceIndex {
  const byNs = new Map<string, api.ReferenceGrant[]>();
  for (const g of grants) {
    const ns = g.metadata.namespace ?? '';
    byNs.set(ns, [...(byNs.get(ns) ?? []), g]);
  }
  return {
    namespaces: new Map(),
    services: new Map(),
    endpointSlices: new Map(),
    endpointSlicesByService: new Map(),
    secrets: new Map(),
    configMaps: new Map(),
    referenceGrantsByNamespace: byNs,
  } as unknown as ResourceIndex;
}

const FROM = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'routes' };
const TO = { group: '', kind: 'Service', namespace: 'backends', name: 'web' };
const GOOD: api.ReferenceGrant['spec'] = {
  from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'routes' }],
  to: [{ group: '', kind: 'Service' }],
};

test('same namespace needs no grant', () => {
  assert.equal(isReferenceAllowed(indexWith([]), FROM, { ...TO, namespace: 'routes' }), true);
});

test('cross namespace without a grant is refused', () => {
  assert.equal(isReferenceAllowed(indexWith([]), FROM, TO), false);
});

test('a matching grant in the target namespace allows it (all names, or the exact name)', () => {
  assert.equal(isReferenceAllowed(indexWith([grant('backends', GOOD)]), FROM, TO), true);
  const named = { ...GOOD, to: [{ group: '', kind: 'Service', name: 'web' }] };
  assert.equal(isReferenceAllowed(indexWith([grant('backends', named)]), FROM, TO), true);
});

test('every field must match exactly (conformance negative cases)', () => {
  const wrong: [string, api.ReferenceGrant][] = [
    ['grant in the referrer namespace', grant('routes', GOOD)],
    ['wrong from group', grant('backends', { ...GOOD, from: [{ group: '', kind: 'HTTPRoute', namespace: 'routes' }] })],
    ['wrong from kind', grant('backends', { ...GOOD, from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'routes' }] })],
    ['wrong from namespace', grant('backends', { ...GOOD, from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'other' }] })],
    ['wrong to group', grant('backends', { ...GOOD, to: [{ group: 'gateway.networking.k8s.io', kind: 'Service' }] })],
    ['wrong to kind', grant('backends', { ...GOOD, to: [{ group: '', kind: 'Secret' }] })],
    ['wrong to name', grant('backends', { ...GOOD, to: [{ group: '', kind: 'Service', name: 'other' }] })],
  ];
  for (const [why, g] of wrong) assert.equal(isReferenceAllowed(indexWith([g]), FROM, TO), false, why);
});

test('from and to entries are ORed across the lists', () => {
  const spec: api.ReferenceGrant['spec'] = {
    from: [
      { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute', namespace: 'routes' },
      { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'routes' },
    ],
    to: [{ group: '', kind: 'Secret' }, { group: '', kind: 'Service', name: 'web' }],
  };
  assert.equal(isReferenceAllowed(indexWith([grant('backends', spec)]), FROM, TO), true);
});
