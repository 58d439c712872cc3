import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pruneAndDefault } from './defaults.js';
import { listKindSchemas, lookupKind, validateObject } from './schema.js';

const GW = 'gateway.networking.k8s.io';

function check(obj: Record<string, unknown>): string[] {
  const found = lookupKind(obj.apiVersion as string, obj.kind as string);
  assert.equal(found.status, 'ok');
  if (found.status !== 'ok') return [];
  pruneAndDefault(obj, found.kind.schema);
  return validateObject(obj, found.kind).map((i) => `${i.path}: ${i.message}`);
}

test('every served version of every kind is registered', () => {
  const have = new Set(listKindSchemas().map((k) => `${k.apiVersion} ${k.kind}`));
  for (const want of [
    `${GW}/v1 GatewayClass`, `${GW}/v1beta1 GatewayClass`, `${GW}/v1 Gateway`, `${GW}/v1beta1 Gateway`,
    `${GW}/v1 ListenerSet`, `${GW}/v1 HTTPRoute`, `${GW}/v1beta1 HTTPRoute`, `${GW}/v1 GRPCRoute`,
    `${GW}/v1 TLSRoute`, `${GW}/v1alpha2 TLSRoute`, `${GW}/v1alpha3 TLSRoute`, `${GW}/v1 TCPRoute`,
    `${GW}/v1alpha2 TCPRoute`, `${GW}/v1 UDPRoute`, `${GW}/v1alpha2 UDPRoute`, `${GW}/v1 ReferenceGrant`,
    `${GW}/v1beta1 ReferenceGrant`, `${GW}/v1 BackendTLSPolicy`, `${GW}/v1alpha3 BackendTLSPolicy`,
    'v1 Service', 'discovery.k8s.io/v1 EndpointSlice', 'v1 Secret', 'v1 ConfigMap', 'v1 Namespace',
  ]) assert.ok(have.has(want), want);
  assert.deepEqual(lookupKind('apps/v1', 'Deployment'), { status: 'unknown-kind' });
  assert.equal(lookupKind(`${GW}/v2`, 'HTTPRoute').status, 'unknown-version');
  assert.equal(lookupKind('networking.istio.io/v1beta1', 'Gateway').status, 'unknown-kind', 'another group\'s Gateway');
  assert.equal(lookupKind('v2', 'Service').status, 'unknown-version');
});

test('a valid HTTPRoute has no issues', () => {
  assert.deepEqual(check({
    apiVersion: `${GW}/v1`, kind: 'HTTPRoute', metadata: { name: 'ok', namespace: 'app' },
    spec: { parentRefs: [{ name: 'gw' }], hostnames: ['*.example.com'], rules: [{ matches: [{ path: { type: 'Exact', value: '/a' } }], backendRefs: [{ name: 's', port: 80 }] }] },
  }), []);
});

test('limits, types and formats are enforced with readable messages', () => {
  const issues = check({
    apiVersion: `${GW}/v1`, kind: 'HTTPRoute', metadata: { name: 'bad', namespace: 'app' },
    spec: { rules: [{ backendRefs: [{ name: 's', port: 70000, weight: 'heavy' }] }], hostnames: Array.from({ length: 17 }, (_, i) => `h${i}.example.com`) },
  });
  assert.ok(issues.includes('spec.rules[0].backendRefs[0].port: must be at most 65535'), issues.join('\n'));
  assert.ok(issues.includes('spec.rules[0].backendRefs[0].weight: must be an integer'), issues.join('\n'));
  assert.ok(issues.includes('spec.hostnames: must have at most 16 items'), issues.join('\n'));
});

test('CEL rules report the message on the path of the node carrying the rule', () => {
  const issues = check({
    apiVersion: `${GW}/v1`, kind: 'HTTPRoute', metadata: { name: 'bad', namespace: 'app' },
    spec: { rules: [{ filters: [{ type: 'RequestHeaderModifier' }] }] },
  });
  assert.deepEqual(issues, ['spec.rules[0].filters[0]: filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type']);
});

test('TLSRoute v1alpha2 is validated by its own (older) schema', () => {
  const route = (apiVersion: string) => ({
    apiVersion, kind: 'TLSRoute', metadata: { name: 't', namespace: 'app' },
    spec: { rules: [{ backendRefs: [{ name: 's', port: 443 }] }] },
  });
  // v1 requires hostnames; v1alpha2 did not.
  assert.deepEqual(check(route(`${GW}/v1alpha2`)), []);
  assert.deepEqual(check(route(`${GW}/v1`)), ['spec.hostnames: is required']);
});

test('object names must be DNS subdomains', () => {
  const issues = check({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name', namespace: 'app' } });
  assert.equal(issues.length, 1);
  assert.match(issues[0]!, /^metadata\.name: must match the pattern/);
});

test('rules see escaped names in values converted where the first rule sits (parentRefs: __namespace__)', () => {
  // The uniqueness rule on spec.parentRefs reads p.__namespace__: two refs to gateways of the
  // same name in different namespaces are different parents; in the same namespace they clash.
  const route = (a: string, b: string) => ({
    apiVersion: `${GW}/v1`, kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'app' },
    spec: { parentRefs: [{ name: 'gw', namespace: a }, { name: 'gw', namespace: b }], rules: [{ backendRefs: [{ name: 's', port: 80 }] }] },
  });
  assert.deepEqual(check(route('a', 'b')), []);
  assert.deepEqual(check(route('a', 'a')), ['spec.parentRefs: sectionName or port must be unique when parentRefs includes 2 or more references to the same parent']);
});

test('duplicate list entries are reported on their own index, with the keys that clash', () => {
  const issues = check({
    apiVersion: `${GW}/v1`, kind: 'Gateway', metadata: { name: 'g', namespace: 'app' },
    spec: { gatewayClassName: 'c', listeners: [{ name: 'a', port: 80, protocol: 'HTTP' }, { name: 'b', port: 81, protocol: 'HTTP' }, { name: 'a', port: 82, protocol: 'HTTP' }] },
  });
  assert.ok(issues.includes('spec.listeners[2]: duplicate entry with name "a"'), issues.join('\n'));
});
