import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyCoreDefaults, applyDefaults, pruneAndDefault } from './defaults.js';
import type { SchemaNode } from './crds/crd-types.js';
import { lookupKind } from './schema.js';

function schemaOf(apiVersion: string, kind: string): SchemaNode {
  const found = lookupKind(apiVersion, kind);
  assert.equal(found.status, 'ok');
  return found.status === 'ok' ? found.kind.schema : {};
}

const S: SchemaNode = {
  type: 'object',
  properties: {
    a: { type: 'string', default: 'A' },
    parent: { type: 'object', properties: { child: { type: 'integer', default: 7 } } },
    list: { type: 'array', items: { type: 'object', properties: { w: { type: 'integer', default: 1 } } } },
    withDefaultObject: { type: 'object', default: {}, properties: { inner: { type: 'string', default: 'x' } } },
  },
};

test('defaults apply when a field is absent and its parent is present', () => {
  const v: Record<string, unknown> = {};
  applyDefaults(v, S);
  // `parent` is absent, so its child gets no default; a defaulted object is itself defaulted.
  assert.deepEqual(v, { a: 'A', withDefaultObject: { inner: 'x' } });
  const w: Record<string, unknown> = { parent: {}, list: [{}, { w: 5 }] };
  applyDefaults(w, S);
  assert.deepEqual(w, { a: 'A', parent: { child: 7 }, list: [{ w: 1 }, { w: 5 }], withDefaultObject: { inner: 'x' } });
});

test('present values, even falsy ones, are not overwritten; nulls are pruned and then defaulted', () => {
  const v: Record<string, unknown> = { a: '', parent: { child: 0 }, withDefaultObject: null };
  pruneAndDefault(v, S);
  assert.deepEqual(v, { a: '', parent: { child: 0 }, withDefaultObject: { inner: 'x' } });
});

test('unknown fields are pruned with a warning naming their path', () => {
  const v = { a: 'x', typo: 1, list: [{ w: 2, extra: true }] };
  const issues = pruneAndDefault(v, S);
  assert.deepEqual(issues.map((i) => `${i.severity} ${i.path}`), ['warning typo', 'warning list[0].extra']);
  assert.deepEqual(v, { a: 'x', list: [{ w: 2 }], withDefaultObject: { inner: 'x' } });
});

test('HTTPRoute: a rule without matches gets PathPrefix /, refs get group/kind/weight', () => {
  const route = {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r' },
    spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'svc', port: 80 }] }] },
  };
  pruneAndDefault(route, schemaOf('gateway.networking.k8s.io/v1', 'HTTPRoute'));
  assert.deepEqual(route.spec, {
    parentRefs: [{ name: 'gw', group: 'gateway.networking.k8s.io', kind: 'Gateway' }],
    rules: [{ backendRefs: [{ name: 'svc', port: 80, group: '', kind: 'Service', weight: 1 }], matches: [{ path: { type: 'PathPrefix', value: '/' } }] }],
  });
});

test('Gateway: listener allowedRoutes from Same, tls mode Terminate, certificateRef kind Secret', () => {
  const gw = {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'g' },
    spec: { gatewayClassName: 'c', listeners: [{ name: 'l', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'cert' }] } }] },
  };
  pruneAndDefault(gw, schemaOf('gateway.networking.k8s.io/v1', 'Gateway'));
  assert.deepEqual(gw.spec.listeners[0], {
    name: 'l', port: 443, protocol: 'HTTPS',
    tls: { certificateRefs: [{ name: 'cert', group: '', kind: 'Secret' }], mode: 'Terminate' },
    allowedRoutes: { namespaces: { from: 'Same' } },
  });
});

test('Service: protocol TCP and targetPort = port', () => {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }, { port: 81, targetPort: 'web' }] } };
  pruneAndDefault(svc, schemaOf('v1', 'Service'));
  applyCoreDefaults('Service', svc);
  assert.deepEqual(svc.spec, { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 81, targetPort: 'web', protocol: 'TCP' }] });
});
