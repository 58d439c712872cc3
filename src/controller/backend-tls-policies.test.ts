import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as api from '../api/types.js';
import { computeBackendProtocol, resolveBackendRef } from './backend-refs.js';
import { buildBackendTLSPolicies, findBackendTLSPolicy, tlsProtocol } from './backend-tls-policies.js';
import { indexOf, service } from './http-routes.fixtures.js';

const CA = '-----BEGIN CERTIFICATE-----\nTUlJQmNh\n-----END CERTIFICATE-----\n';

function policy(name: string, created: string, target: { name: string; sectionName?: string }, validation: api.BackendTLSPolicy['spec']['validation']): api.BackendTLSPolicy {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'BackendTLSPolicy',
    metadata: { name, namespace: 'apps', creationTimestamp: created, generation: 1 },
    spec: { targetRefs: [{ group: '', kind: 'Service', ...target }], validation },
  };
}

const caMap: api.ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ca', namespace: 'apps' }, data: { 'ca.crt': CA } };

test('appProtocol under a BackendTLSPolicy: TLS flavours are accepted, h2c becomes h2', () => {
  assert.equal(computeBackendProtocol('HTTPS'), null);
  assert.equal(computeBackendProtocol('HTTPS', true), 'http1');
  assert.equal(computeBackendProtocol('kubernetes.io/h2'), null);
  assert.equal(computeBackendProtocol('kubernetes.io/h2', true), 'h2');
  assert.equal(computeBackendProtocol('kubernetes.io/h2c', true), 'h2');
  assert.equal(computeBackendProtocol('kubernetes.io/wss', true), 'ws');
  assert.equal(computeBackendProtocol(undefined, true), 'http1');
  assert.equal(tlsProtocol('h2c'), 'h2');
  assert.equal(tlsProtocol('ws'), 'ws');
});

test('the sectionName policy wins for its port; the whole-Service policy covers the others', () => {
  const svc = service('apps', 'web', [{ name: 'a', port: 443 }, { name: 'b', port: 8443 }]);
  const index = { ...indexOf([svc]), configMaps: new Map([['apps/ca', caMap]]) };
  const table = buildBackendTLSPolicies(
    [
      policy('whole', '2026-01-01T00:00:01Z', { name: 'web' }, { hostname: 'whole.example.com', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }] }),
      policy('port-a', '2026-01-01T00:00:02Z', { name: 'web', sectionName: 'a' }, { hostname: 'a.example.com', wellKnownCACertificates: 'System' }),
    ],
    index,
  );
  const ports = svc.spec.ports ?? [];
  assert.equal(findBackendTLSPolicy(table, 'apps', 'web', ports[0]!)?.policy.metadata.name, 'port-a');
  assert.equal(findBackendTLSPolicy(table, 'apps', 'web', ports[1]!)?.policy.metadata.name, 'whole');
  assert.equal(findBackendTLSPolicy(table, 'apps', 'other', ports[1]!), null);

  const withPolicies = { ...index, backendTLSPolicies: table };
  const a = resolveBackendRef(withPolicies, { kind: 'HTTPRoute', namespace: 'apps' }, { name: 'web', port: 443 }, 1, 'f');
  assert.equal(a.backend.kind === 'service' ? a.backend.tls?.caPems : null, 'system');
  const b = resolveBackendRef(withPolicies, { kind: 'HTTPRoute', namespace: 'apps' }, { name: 'web', port: 8443 }, 1, 'f');
  assert.deepEqual(b.backend.kind === 'service' ? b.backend.tls : null, {
    serverName: 'whole.example.com',
    caPems: [CA],
    subjectAltNames: [],
    clientCertificate: null,
  });
});

test('an unusable policy makes the backend a 500, never plaintext', () => {
  const svc = service('apps', 'web', [{ name: 'https', port: 443 }]);
  const index = indexOf([svc]);
  const table = buildBackendTLSPolicies(
    [policy('p', '2026-01-01T00:00:01Z', { name: 'web' }, { hostname: 'x.example.com', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'missing' }] })],
    index,
  );
  assert.deepEqual(
    table.nodes[0]?.conditions.map((c) => [c.type, c.status, c.reason]),
    [
      ['Accepted', 'False', 'NoValidCACertificate'],
      ['ResolvedRefs', 'False', 'InvalidCACertificateRef'],
    ],
  );
  const r = resolveBackendRef({ ...index, backendTLSPolicies: table }, { kind: 'HTTPRoute', namespace: 'apps' }, { name: 'web', port: 443 }, 2, 'f');
  assert.equal(r.problem, null);
  assert.deepEqual(r.backend, { kind: 'invalid', name: 'apps/web:443', weight: 2, status: 500, reason: 'BackendTLSPolicyInvalid' });
});
