import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as api from '../api/types.js';
import { computeBackendProtocol, resolveBackendRef } from './backend-refs.js';
import { endpointSlice, indexOf, service } from './http-routes.fixtures.js';

const FROM = { kind: 'HTTPRoute', namespace: 'apps' };
const F = 'spec.rules[0].backendRefs[0]';

test('a Service port resolves to ready endpoints, port by EndpointSlice port name', () => {
  const svc = service('apps', 'web', [
    { name: 'http', port: 80, targetPort: 'web' },
    { name: 'admin', port: 9000 },
  ]);
  const index = indexOf([
    svc,
    endpointSlice('apps', 'web', [{ name: 'http', port: 8080 }, { name: 'admin', port: 9001 }], [
      { addresses: ['10.0.0.1'], conditions: { ready: true } },
      { addresses: ['10.0.0.2'] },
      { addresses: ['10.0.0.3'], conditions: { ready: false } },
    ]),
    endpointSlice('apps', 'web', [{ name: 'http', port: 8080 }], [{ addresses: ['fd00::1', '10.0.0.1'] }], 'IPv6'),
    endpointSlice('apps', 'web', [{ name: 'http', port: 8080 }], [{ addresses: ['web.example.com'] }], 'FQDN'),
    endpointSlice('apps', 'other', [{ name: 'http', port: 7000 }], [{ addresses: ['10.9.9.9'] }]),
  ]);
  const r = resolveBackendRef(index, FROM, { name: 'web', port: 80 }, 3, F);
  assert.equal(r.problem, null);
  assert.deepEqual(r.backend, {
    kind: 'service',
    name: 'apps/web:80',
    weight: 3,
    protocol: 'http1',
    endpoints: [
      { address: '10.0.0.1', port: 8080 },
      { address: '10.0.0.2', port: 8080 },
      { address: 'fd00::1', port: 8080 },
    ],
    requestFilters: [],
    redirect: null,
    responseHeaders: null,
    tls: null,
  });
  const admin = resolveBackendRef(index, FROM, { name: 'web', port: 9000 }, 1, F);
  assert.deepEqual(admin.backend.kind === 'service' ? admin.backend.endpoints : null, [
    { address: '10.0.0.1', port: 9001 },
    { address: '10.0.0.2', port: 9001 },
  ]);
});

test('an unnamed Service port matches the unnamed EndpointSlice port; no slices means no endpoints', () => {
  const index = indexOf([
    service('apps', 'web', [{ port: 80 }]),
    endpointSlice('apps', 'web', [{ port: 3000 }], [{ addresses: ['10.0.0.1'] }]),
    service('apps', 'empty', [{ port: 80 }]),
  ]);
  const web = resolveBackendRef(index, FROM, { name: 'web', port: 80 }, 1, F).backend;
  assert.deepEqual(web.kind === 'service' ? web.endpoints : null, [{ address: '10.0.0.1', port: 3000 }]);
  const empty = resolveBackendRef(index, FROM, { name: 'empty', port: 80 }, 1, F);
  assert.equal(empty.problem, null, 'no endpoints is not a reference problem (the data plane answers 503)');
  assert.deepEqual(empty.backend.kind === 'service' ? empty.backend.endpoints : null, []);
});

test('invalid references become 500 backends with the spec reason', () => {
  const grant: api.ReferenceGrant = {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: { name: 'g', namespace: 'granted' },
    spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'apps' }], to: [{ group: '', kind: 'Service' }] },
  };
  const index = indexOf([
    service('apps', 'web', [{ port: 80 }]),
    service('other', 'web', [{ port: 80 }]),
    service('granted', 'web', [{ port: 80 }]),
    service('apps', 'ext', [{ port: 80 }], 'ExternalName'),
    grant,
  ]);
  const cases: [api.BackendObjectReference, string | null, string][] = [
    [{ name: 'web', port: 80, kind: 'Bucket', group: 'example.com' }, 'InvalidKind', 'Backend kind Bucket.example.com is not supported'],
    [{ name: 'web', port: 80, kind: 'Service', group: 'core' }, 'InvalidKind', 'Backend kind Service.core is not supported'],
    [{ name: 'nope', port: 80 }, 'BackendNotFound', 'Service apps/nope was not found'],
    [{ name: 'web', port: 81 }, 'BackendNotFound', 'Service apps/web has no port 81'],
    [{ name: 'web' }, 'BackendNotFound', 'Port is required for a Service backend'],
    [{ name: 'web', namespace: 'other', port: 80 }, 'RefNotPermitted', 'No ReferenceGrant in namespace other allows a reference to Service other/web'],
    [{ name: 'nope', namespace: 'other', port: 80 }, 'RefNotPermitted', 'No ReferenceGrant'],
    [{ name: 'ext', port: 80 }, 'InvalidKind', 'Service apps/ext is of type ExternalName'],
    [{ name: 'web', namespace: 'granted', port: 80 }, null, ''],
  ];
  for (const [ref, reason, text] of cases) {
    const r = resolveBackendRef(index, FROM, ref, 2, F);
    assert.equal(r.problem?.reason ?? null, reason, JSON.stringify(ref));
    if (reason === null) continue;
    assert.ok(r.problem?.message.startsWith(text), `${r.problem?.message} starts with ${text}`);
    assert.ok(r.problem?.message.endsWith(`(${F}).`), r.problem?.message);
    assert.equal(r.backend.kind, 'invalid');
    assert.deepEqual(r.backend.kind === 'invalid' ? [r.backend.status, r.backend.weight, r.backend.reason] : null, [500, 2, reason]);
  }
});

test('appProtocol: h2c, ws, http or none are spoken; anything else is UnsupportedProtocol', () => {
  assert.equal(computeBackendProtocol(undefined), 'http1');
  assert.equal(computeBackendProtocol('http'), 'http1');
  assert.equal(computeBackendProtocol('HTTP'), 'http1');
  assert.equal(computeBackendProtocol('kubernetes.io/h2c'), 'h2c');
  assert.equal(computeBackendProtocol('kubernetes.io/ws'), 'ws');
  for (const p of ['kubernetes.io/wss', 'https', 'grpc', 'tcp']) assert.equal(computeBackendProtocol(p), null, p);
  const index = indexOf([service('apps', 'grpc', [{ port: 50051, appProtocol: 'grpc' }]), service('apps', 'h2', [{ port: 8081, appProtocol: 'kubernetes.io/h2c' }])]);
  assert.equal(resolveBackendRef(index, FROM, { name: 'grpc', port: 50051 }, 1, F).problem?.reason, 'UnsupportedProtocol');
  const h2 = resolveBackendRef(index, FROM, { name: 'h2', port: 8081 }, 1, F).backend;
  assert.equal(h2.kind === 'service' ? h2.protocol : null, 'h2c');
});
