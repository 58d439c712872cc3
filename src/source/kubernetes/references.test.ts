import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WATCHED_KINDS } from './kinds.js';
import { REFERENCING_KINDS, referencedObjects } from './references.js';
import type { KObj } from './rest.js';

/** A spec holding every field referencedObjects reads, whatever the kind. */
const everyRefField = {
  listeners: [{ name: 'https', tls: { certificateRefs: [{ name: 'cert' }, { name: 'other-ns', namespace: 'certs' }, { group: 'x.io', kind: 'Vault', name: 'no' }] } }],
  tls: {
    backend: { clientCertificateRef: { name: 'client' } },
    frontend: { default: { validation: { caCertificateRefs: [{ kind: 'ConfigMap', name: 'ca' }] } }, perPort: [{ tls: { validation: { caCertificateRefs: [{ kind: 'ConfigMap', name: 'ca-8443' }] } } }] },
  },
  validation: { caCertificateRefs: [{ kind: 'ConfigMap', name: 'backend-ca' }] },
};

const obj = (kind: string): KObj => ({ apiVersion: 'v1', kind, metadata: { name: `a-${kind}`, namespace: 'app' }, spec: everyRefField }) as unknown as KObj;

test('referencedObjects: certificate and CA references of Gateways, ListenerSets and BackendTLSPolicies', () => {
  const keys = (kind: string): string[] => [...referencedObjects([obj(kind)]).keys()].sort();
  assert.deepEqual(keys('Gateway'), ['ConfigMap/app/ca', 'ConfigMap/app/ca-8443', 'Secret/app/cert', 'Secret/app/client', 'Secret/certs/other-ns']);
  assert.deepEqual(keys('ListenerSet'), ['Secret/app/cert', 'Secret/certs/other-ns']);
  assert.deepEqual(keys('BackendTLSPolicy'), ['ConfigMap/app/backend-ca']);
  assert.deepEqual(keys('HTTPRoute'), []);
});

test('REFERENCING_KINDS holds every watched kind that can reference a Secret or ConfigMap (the informers read only those)', () => {
  for (const { kind } of WATCHED_KINDS) {
    const refers = referencedObjects([obj(kind)]).size > 0;
    assert.equal(REFERENCING_KINDS.has(kind), refers, kind);
  }
});
