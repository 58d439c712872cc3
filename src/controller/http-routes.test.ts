import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as api from '../api/types.js';
import type { ConditionSpec, RouteNode } from './model.js';
import { processHTTPRoutes } from './http-routes.js';
import { addListenerSet, gatewayNode, http, httpRoute, indexOf, service } from './http-routes.fixtures.js';

const CONTROLLER = 'waygate.dev/gateway-controller';
const BACKEND = [{ name: 'web', port: 8080 }];
const WEB = service('default', 'web', [{ port: 8080 }]);

function cond(node: RouteNode, parent: number, type: string): ConditionSpec | undefined {
  return node.parents[parent]?.conditions.find((c) => c.type === type);
}

function reasons(node: RouteNode, parent = 0): string[] {
  return (node.parents[parent]?.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`);
}

test('sectionName attaches to that listener only; attachedRoutes counts it', () => {
  const gw = gatewayNode('default', 'gw', [http('a'), http('b', 8080)]);
  const route = httpRoute('default', 'r', { parentRefs: [{ name: 'gw', sectionName: 'b' }], rules: [{ backendRefs: BACKEND }] });
  const [node] = processHTTPRoutes([route], [gw], indexOf([WEB]), CONTROLLER);
  assert.ok(node);
  assert.deepEqual(reasons(node), ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
  assert.deepEqual(node.parents[0]?.parentRef, { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw', sectionName: 'b' });
  assert.deepEqual(gw.listeners.map((l) => l.attachedRoutes), [0, 1]);
  assert.equal(gw.listeners[1]?.attachments[0]?.rules.length, 1);
});

test('parentRef port selects listeners by port; a port with no listener is NoMatchingParent', () => {
  const gw = gatewayNode('default', 'gw', [http('a', 80), http('b', 8080), http('c', 8080, 'c.example.com')]);
  const ok = httpRoute('default', 'ok', { parentRefs: [{ name: 'gw', port: 8080 }], rules: [{ backendRefs: BACKEND }] });
  const bad = httpRoute('default', 'bad', { parentRefs: [{ name: 'gw', port: 9090 }], rules: [{ backendRefs: BACKEND }] });
  const both = httpRoute('default', 'both', { parentRefs: [{ name: 'gw', sectionName: 'a', port: 8080 }], rules: [{}] });
  const [n1, n2, n3] = processHTTPRoutes([ok, bad, both], [gw], indexOf([WEB]), CONTROLLER);
  assert.equal(cond(n1!, 0, 'Accepted')?.status, 'True');
  assert.deepEqual(gw.listeners.map((l) => l.attachedRoutes), [0, 1, 1]);
  assert.equal(cond(n2!, 0, 'Accepted')?.reason, 'NoMatchingParent');
  assert.match(cond(n2!, 0, 'Accepted')?.message ?? '', /^Gateway default\/gw has no listener on port 9090 \(spec\.parentRefs\[0\]\)\.$/);
  assert.equal(cond(n3!, 0, 'Accepted')?.reason, 'NoMatchingParent', 'sectionName and port must both match');
});

test('a sectionName that names no listener is NoMatchingParent and attaches nowhere', () => {
  const gw = gatewayNode('default', 'gw', [http('a')]);
  const route = httpRoute('default', 'r', { parentRefs: [{ name: 'gw', sectionName: 'nope' }], rules: [{}] });
  const [node] = processHTTPRoutes([route], [gw], indexOf([]), CONTROLLER);
  assert.deepEqual(reasons(node!), ['Accepted=False/NoMatchingParent', 'ResolvedRefs=True/ResolvedRefs']);
  assert.equal(gw.listeners[0]?.attachedRoutes, 0);
  assert.equal(gw.listeners[0]?.attachments.length, 0);
});

test('allowedRoutes namespaces: Same (default) refuses other namespaces; All accepts them', () => {
  const same = gatewayNode('infra', 'same', [http('a')]);
  const all = gatewayNode('infra', 'all', [http('a', 80, undefined, { namespaces: { from: 'All' } })]);
  const route = httpRoute('apps', 'r', { parentRefs: [{ name: 'same', namespace: 'infra' }, { name: 'all', namespace: 'infra' }], rules: [{}] });
  const [node] = processHTTPRoutes([route], [same, all], indexOf([]), CONTROLLER);
  assert.equal(cond(node!, 0, 'Accepted')?.reason, 'NotAllowedByListeners');
  assert.equal(cond(node!, 1, 'Accepted')?.reason, 'Accepted');
  assert.deepEqual(node!.parents[0]?.parentRef, { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'same' });
  assert.equal(same.listeners[0]?.attachedRoutes, 0);
  assert.equal(all.listeners[0]?.attachedRoutes, 1);
});

test('allowedRoutes Selector: matchLabels and matchExpressions over Namespace labels (+ metadata.name)', () => {
  const ns = (name: string, labels: Record<string, string>): api.Namespace => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  const selector = (s: api.LabelSelector) => ({ namespaces: { from: 'Selector', selector: s } });
  const gw = gatewayNode('infra', 'gw', [
    http('labels', 80, 'a.example.com', selector({ matchLabels: { team: 'web' } })),
    http('exprs', 80, 'b.example.com', selector({ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }, { key: 'legacy', operator: 'DoesNotExist' }] })),
    http('byname', 80, 'c.example.com', selector({ matchLabels: { 'kubernetes.io/metadata.name': 'other' } })),
  ]);
  const index = indexOf([ns('apps', { team: 'web', env: 'prod' }), ns('old', { team: 'web', env: 'prod', legacy: 'yes' })]);
  const apps = httpRoute('apps', 'r', { parentRefs: [{ name: 'gw', namespace: 'infra' }], rules: [{}] });
  const old = httpRoute('old', 'r', { parentRefs: [{ name: 'gw', namespace: 'infra' }], rules: [{}] });
  const other = httpRoute('other', 'r', { parentRefs: [{ name: 'gw', namespace: 'infra' }], rules: [{}] });
  const nodes = processHTTPRoutes([apps, old, other], [gw], index, CONTROLLER);
  assert.deepEqual(nodes.map((n) => cond(n, 0, 'Accepted')?.reason), ['Accepted', 'Accepted', 'Accepted']);
  assert.deepEqual(gw.listeners.map((l) => l.attachments.map((a) => a.route.metadata.namespace)), [['apps', 'old'], ['apps'], ['other']]);
});

test('allowedRoutes kinds: a listener without HTTPRoute in supportedKinds is NotAllowedByListeners', () => {
  const gw = gatewayNode('default', 'gw', [{ name: 'tls', port: 443, protocol: 'TLS' }]);
  const [node] = processHTTPRoutes([httpRoute('default', 'r', { parentRefs: [{ name: 'gw' }], rules: [{}] })], [gw], indexOf([]), CONTROLLER);
  assert.equal(cond(node!, 0, 'Accepted')?.reason, 'NotAllowedByListeners');
  assert.match(cond(node!, 0, 'Accepted')?.message ?? '', /allows HTTPRoute/);
});

test('no hostname intersection is NoMatchingListenerHostname and not counted', () => {
  const gw = gatewayNode('default', 'gw', [http('a', 80, 'foo.example.com'), http('b', 8080, '*.example.net')]);
  const route = httpRoute('default', 'r', { parentRefs: [{ name: 'gw' }], hostnames: ['bar.example.com'], rules: [{}] });
  const [node] = processHTTPRoutes([route], [gw], indexOf([]), CONTROLLER);
  assert.equal(cond(node!, 0, 'Accepted')?.reason, 'NoMatchingListenerHostname');
  assert.deepEqual(gw.listeners.map((l) => l.attachedRoutes), [0, 0]);
});

test('effective hostnames are recorded per listener', () => {
  const gw = gatewayNode('default', 'gw', [http('a', 80, '*.example.com'), http('b', 80), http('c', 80, 'x.example.net')]);
  const route = httpRoute('default', 'r', { parentRefs: [{ name: 'gw' }], hostnames: ['a.example.com', 'x.example.org'], rules: [{}] });
  processHTTPRoutes([route], [gw], indexOf([]), CONTROLLER);
  assert.deepEqual(gw.listeners.map((l) => l.attachments.map((a) => a.hostnames)), [[['a.example.com']], [['a.example.com', 'x.example.org']], []]);
});

test('parentRefs to parents that are not ours get no status entry', () => {
  const gw = gatewayNode('default', 'gw', [http('a')]);
  const route = httpRoute('default', 'r', {
    parentRefs: [{ name: 'missing' }, { name: 'gw', group: 'example.com', kind: 'Gateway' }, { name: 'svc', group: '', kind: 'Service' }, { name: 'gw' }],
    rules: [{}],
  });
  const [node] = processHTTPRoutes([route], [gw], indexOf([]), CONTROLLER);
  assert.equal(node!.parents.length, 1);
  assert.equal(node!.parents[0]?.parentRef.name, 'gw');
});

test('ListenerSet parentRef reaches only its listeners; a Gateway parentRef never reaches them', () => {
  const gw = gatewayNode('default', 'gw', [http('own')]);
  addListenerSet(gw, 'default', 'ls', [http('extra', 8080)]);
  const viaLs = httpRoute('default', 'via-ls', { parentRefs: [{ name: 'ls', kind: 'ListenerSet', group: 'gateway.networking.k8s.io' }], rules: [{}] });
  const viaGw = httpRoute('default', 'via-gw', { parentRefs: [{ name: 'gw', sectionName: 'extra' }], rules: [{}] });
  const whole = httpRoute('default', 'whole', { parentRefs: [{ name: 'gw' }], rules: [{}] });
  const [a, b, c] = processHTTPRoutes([viaLs, viaGw, whole], [gw], indexOf([]), CONTROLLER);
  assert.equal(cond(a!, 0, 'Accepted')?.reason, 'Accepted');
  assert.deepEqual(a!.parents[0]?.parentRef, { group: 'gateway.networking.k8s.io', kind: 'ListenerSet', name: 'ls' });
  assert.equal(cond(b!, 0, 'Accepted')?.reason, 'NoMatchingParent');
  assert.equal(cond(c!, 0, 'Accepted')?.reason, 'Accepted');
  assert.deepEqual(gw.listeners.map((l) => [l.listener.name, l.attachments.map((x) => x.route.metadata.name)]), [
    ['own', ['whole']],
    ['extra', ['via-ls']],
  ]);
});

test('a ListenerSet that is not accepted by its Gateway refuses routes', () => {
  const gw = gatewayNode('default', 'gw', [http('own')]);
  addListenerSet(gw, 'default', 'ls', [http('extra', 8080)], false);
  const route = httpRoute('default', 'r', { parentRefs: [{ name: 'ls', kind: 'ListenerSet' }], rules: [{}] });
  const [node] = processHTTPRoutes([route], [gw], indexOf([]), CONTROLLER);
  assert.equal(cond(node!, 0, 'Accepted')?.reason, 'NotAllowedByListeners');
  assert.equal(gw.listeners[1]?.attachedRoutes, 0);
});

test('each parentRef is evaluated independently; one listener counts a route once', () => {
  const gw1 = gatewayNode('default', 'gw1', [http('a', 80, 'a.example.com')]);
  const gw2 = gatewayNode('default', 'gw2', [http('b', 80, 'b.example.com')]);
  const route = httpRoute('default', 'r', {
    parentRefs: [{ name: 'gw1', sectionName: 'a' }, { name: 'gw1', port: 80 }, { name: 'gw2' }],
    hostnames: ['a.example.com'],
    rules: [{}],
  });
  const [node] = processHTTPRoutes([route], [gw1, gw2], indexOf([]), CONTROLLER);
  assert.deepEqual(node!.parents.map((p) => p.conditions[0]?.reason), ['Accepted', 'Accepted', 'NoMatchingListenerHostname']);
  assert.equal(gw1.listeners[0]?.attachedRoutes, 1);
  assert.equal(gw1.listeners[0]?.attachments.length, 1);
  assert.equal(gw2.listeners[0]?.attachedRoutes, 0);
});

test('listener status does not affect attachment (routes still count on a non-accepted listener)', () => {
  const gw = gatewayNode('default', 'gw', [http('a')]);
  gw.listeners[0]!.accepted = false;
  gw.listeners[0]!.programmed = false;
  const [node] = processHTTPRoutes([httpRoute('default', 'r', { parentRefs: [{ name: 'gw' }], rules: [{}] })], [gw], indexOf([]), CONTROLLER);
  assert.equal(cond(node!, 0, 'Accepted')?.status, 'True');
  assert.equal(gw.listeners[0]?.attachedRoutes, 1);
});

test('partially invalid: the bad rule is dropped, Accepted=True and PartiallyInvalid=True', () => {
  const gw = gatewayNode('default', 'gw', [http('a')]);
  const route = httpRoute('default', 'r', {
    parentRefs: [{ name: 'gw' }],
    rules: [
      { matches: [{ path: { type: 'PathPrefix', value: '/ok' } }], backendRefs: BACKEND },
      { matches: [{ path: { type: 'RegularExpression', value: '/(a+)+$' } }], backendRefs: BACKEND },
    ],
  });
  const [node] = processHTTPRoutes([route], [gw], indexOf([WEB]), CONTROLLER);
  assert.deepEqual(reasons(node!), ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs', 'PartiallyInvalid=True/UnsupportedValue']);
  assert.match(cond(node!, 0, 'PartiallyInvalid')?.message ?? '', /^Dropped Rule\(s\) spec\.rules\[1\]\. .*\(spec\.rules\[1\]\.matches\[0\]\.path\.value\)\.$/);
  assert.deepEqual(gw.listeners[0]?.attachments[0]?.rules.map((r) => r.rule.name), ['httproute/default/r/rule/0']);
});

test('all rules invalid: Accepted=False UnsupportedValue, nothing attached', () => {
  const gw = gatewayNode('default', 'gw', [http('a')]);
  const route = httpRoute('default', 'r', {
    parentRefs: [{ name: 'gw' }],
    rules: [{ matches: [{ path: { type: 'RegularExpression', value: '(?=x)' } }] }, { matches: [{ method: 'BREW' }] }],
  });
  const [node] = processHTTPRoutes([route], [gw], indexOf([]), CONTROLLER);
  assert.deepEqual(reasons(node!), ['Accepted=False/UnsupportedValue', 'ResolvedRefs=True/ResolvedRefs']);
  assert.match(cond(node!, 0, 'Accepted')?.message ?? '', /^All rules are invalid\. Lookaround assertions are not supported .* Method "BREW" is not supported/);
  assert.equal(gw.listeners[0]?.attachedRoutes, 0);
  assert.equal(gw.listeners[0]?.attachments.length, 0);
});

test('unresolved backendRefs: ResolvedRefs=False with the first reason, route still Accepted', () => {
  const gw = gatewayNode('default', 'gw', [http('a')]);
  const route = httpRoute('default', 'r', {
    parentRefs: [{ name: 'gw' }],
    rules: [{ backendRefs: [{ name: 'missing', port: 80 }, { name: 'x', kind: 'Bucket', group: 'example.com' }] }],
  });
  const [node] = processHTTPRoutes([route], [gw], indexOf([]), CONTROLLER);
  assert.deepEqual(reasons(node!), ['Accepted=True/Accepted', 'ResolvedRefs=False/BackendNotFound']);
  assert.equal(
    cond(node!, 0, 'ResolvedRefs')?.message,
    'Service default/missing was not found (spec.rules[0].backendRefs[0]). Backend kind Bucket.example.com is not supported (spec.rules[0].backendRefs[1]).',
  );
  const action = gw.listeners[0]?.attachments[0]?.rules[0]?.rule.action;
  assert.deepEqual(action, {
    kind: 'forward',
    backends: [
      { kind: 'invalid', name: 'default/missing:80', weight: 1, status: 500, reason: 'BackendNotFound' },
      { kind: 'invalid', name: 'Bucket.example.com/default/x', weight: 1, status: 500, reason: 'InvalidKind' },
    ],
  });
});

test('rules get stable IR names, route key and section names', () => {
  const gw = gatewayNode('default', 'gw', [http('a')]);
  const route = httpRoute('default', 'r', { parentRefs: [{ name: 'gw' }], rules: [{ name: 'first' }, {}] });
  processHTTPRoutes([route], [gw], indexOf([]), CONTROLLER);
  const rules = gw.listeners[0]?.attachments[0]?.rules ?? [];
  assert.deepEqual(rules.map((r) => [r.rule.name, r.rule.route, r.rule.sectionName, r.index]), [
    ['httproute/default/r/rule/0', 'default/r', 'first', 0],
    ['httproute/default/r/rule/1', 'default/r', null, 1],
  ]);
  assert.deepEqual(rules[1]?.rule.action, { kind: 'direct', status: 500 }, 'no backendRefs → 500');
  assert.deepEqual(rules[1]?.matches, [{ path: { type: 'PathPrefix', value: '/' }, method: null, headers: [], queryParams: [] }]);
});

test('two parentRefs selecting the same listener attach the route to it once; one parentRef attaches to each listener it selects', () => {
  const gw = gatewayNode('default', 'gw', [http('a'), http('b', 8080)]);
  const twice = httpRoute('default', 'twice', { parentRefs: [{ name: 'gw' }, { name: 'gw', sectionName: 'b' }], rules: [{ backendRefs: BACKEND }] });
  const [node] = processHTTPRoutes([twice], [gw], indexOf([WEB]), CONTROLLER);
  assert.deepEqual(reasons(node!, 0), ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
  assert.deepEqual(reasons(node!, 1), ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
  assert.deepEqual(gw.listeners.map((l) => l.attachedRoutes), [1, 1]);
  assert.deepEqual(gw.listeners.map((l) => l.attachments.length), [1, 1]);

  const gw2 = gatewayNode('default', 'gw', [http('a'), http('b', 8080)]);
  const once = httpRoute('default', 'once', { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: BACKEND }] });
  const [single] = processHTTPRoutes([once], [gw2], indexOf([WEB]), CONTROLLER);
  assert.deepEqual(reasons(single!, 0), ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
  assert.deepEqual(gw2.listeners.map((l) => l.attachedRoutes), [1, 1], 'one parentRef, both listeners');
  assert.deepEqual(gw2.listeners.map((l) => l.attachments.length), [1, 1]);
  assert.equal(gw2.listeners[0]!.attachments[0]!.rules, gw2.listeners[1]!.attachments[0]!.rules, 'one rules array shared by both listeners');
});
