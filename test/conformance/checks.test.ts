import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCheck, type CheckContext } from './checks.js';
import type { StatusCheck } from './types.js';
import { StatusView, type StatusObject } from './waygate.js';

const NS = 'gateway-conformance-infra';
const cond = (type: string, status: string, reason: string, observedGeneration = 1) => ({ type, status, reason, message: '', observedGeneration });

function gateway(over: Partial<Record<string, unknown>> = {}, generation = 1): StatusObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'same-namespace', namespace: NS, generation },
    status: {
      addresses: [{ type: 'IPAddress', value: '127.21.0.3' }],
      conditions: [cond('Accepted', 'True', 'Accepted'), cond('Programmed', 'True', 'Programmed')],
      listeners: [
        {
          name: 'http',
          attachedRoutes: 1,
          supportedKinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }],
          conditions: [cond('Accepted', 'True', 'Accepted'), cond('ResolvedRefs', 'True', 'ResolvedRefs'), cond('Programmed', 'True', 'Programmed')],
        },
      ],
      ...over,
    },
  };
}

function route(conditions = [cond('Accepted', 'True', 'Accepted'), cond('ResolvedRefs', 'True', 'ResolvedRefs')], generation = 1): StatusObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'r', namespace: NS, generation },
    status: { parents: [{ parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'same-namespace' }, controllerName: 'waygate.dev/gateway-controller', conditions }] },
  };
}

function ctx(objects: StatusObject[], extra: Partial<CheckContext> = {}): CheckContext {
  return {
    status: new StatusView({ objects }),
    controllerName: 'waygate.dev/gateway-controller',
    gatewaysIn: () => [{ name: 'same-namespace', annotations: {} }],
    previousGenerations: new Map(),
    ...extra,
  };
}

const parentStatus: StatusCheck = {
  kind: 'HTTPRoute',
  namespace: NS,
  name: 'r',
  check: 'parentStatus',
  parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: NS, name: 'same-namespace' },
  controllerName: '$CONTROLLER_NAME',
  parentNamespaceRequired: false,
  conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted' }],
};

describe('status checks', () => {
  it('addressAssigned passes with a typed address and fails without', () => {
    const c: StatusCheck = { kind: 'Gateway', namespace: NS, name: 'same-namespace', check: 'addressAssigned' };
    assert.equal(runCheck(ctx([gateway()]), c), null);
    assert.match(runCheck(ctx([gateway({ addresses: [] })]), c) ?? '', /status.addresses/);
    assert.match(runCheck(ctx([]), c) ?? '', /no status reported/);
  });

  it('parentStatus matches parentRef, controllerName and conditions', () => {
    assert.equal(runCheck(ctx([route()]), parentStatus), null);
    assert.match(runCheck(ctx([route([cond('Accepted', 'False', 'NotAllowedByListeners')])]), parentStatus) ?? '', /Accepted: expected True\/Accepted/);
    assert.match(runCheck(ctx([route()], { controllerName: 'other/controller' }), parentStatus) ?? '', /controllerName/);
    // parentNamespaceRequired: the reported parentRef must carry the namespace.
    assert.match(runCheck(ctx([route()]), { ...parentStatus, parentNamespaceRequired: true }) ?? '', /no status.parents entry/);
  });

  it('requires observedGeneration to equal metadata.generation', () => {
    assert.match(runCheck(ctx([route(undefined, 2)]), parentStatus) ?? '', /observedGeneration 1/);
  });

  it('parentCondition accepts any reason when none is given', () => {
    const c: StatusCheck = { kind: 'HTTPRoute', namespace: NS, name: 'r', check: 'parentCondition', parentRef: { name: 'same-namespace', namespace: NS }, conditions: [{ type: 'ResolvedRefs', status: 'True' }] };
    assert.equal(runCheck(ctx([route()]), c), null);
    assert.notEqual(runCheck(ctx([route([cond('ResolvedRefs', 'False', 'BackendNotFound')])]), c), null);
  });

  it('listenerConditions and listenersStatus', () => {
    const lc: StatusCheck = { kind: 'Gateway', namespace: NS, name: 'same-namespace', check: 'listenerConditions', listeners: 'all', conditions: [{ type: 'Programmed', status: 'True' }] };
    assert.equal(runCheck(ctx([gateway()]), lc), null);
    assert.match(runCheck(ctx([gateway({ listeners: [] })]), lc) ?? '', /no listeners/);
    const ls: StatusCheck = {
      kind: 'Gateway',
      namespace: NS,
      name: 'same-namespace',
      check: 'listenersStatus',
      listeners: [{ name: 'http', supportedKinds: [{ kind: 'HTTPRoute' }], attachedRoutes: 1, conditions: [{ type: 'Accepted', status: 'True' }] }],
    };
    assert.equal(runCheck(ctx([gateway()]), ls), null);
    assert.match(runCheck(ctx([gateway()]), { ...ls, listeners: [{ name: 'http', supportedKinds: [], attachedRoutes: 1 }] }) ?? '', /expected no supportedKinds/);
    assert.match(runCheck(ctx([gateway()]), { ...ls, listeners: [{ name: 'http', supportedKinds: [{ kind: 'HTTPRoute' }], attachedRoutes: 2 }] }) ?? '', /attachedRoutes 1, expected 2/);
  });

  it('namespacesReady skips annotated Gateways', () => {
    const c: StatusCheck = { kind: 'Namespace', check: 'namespacesReady', namespaces: [NS] };
    const notReady = gateway({ conditions: [cond('Accepted', 'True', 'Accepted'), cond('Programmed', 'False', 'Invalid')] });
    assert.match(runCheck(ctx([notReady]), c) ?? '', /not ready/);
    assert.equal(runCheck(ctx([notReady], { gatewaysIn: () => [{ name: 'same-namespace', annotations: { 'gateway-api/skip-this-for-readiness': 'true' } }] }), c), null);
  });

  it('latestObservedGeneration requires a bumped generation after a patch', () => {
    const c: StatusCheck = { kind: 'HTTPRoute', namespace: NS, name: 'r', check: 'latestObservedGeneration' };
    assert.equal(runCheck(ctx([route()]), c), null);
    const prev = new Map([[`HTTPRoute/${NS}/r`, 1]]);
    assert.match(runCheck(ctx([route()], { previousGenerations: prev }), c) ?? '', /still 1/);
    assert.equal(runCheck(ctx([route([cond('Accepted', 'True', 'Accepted', 2)], 2)], { previousGenerations: prev }), c), null);
  });

  it('zeroRoutes, noAcceptedParents and attachedListenerSets', () => {
    assert.equal(runCheck(ctx([gateway({ listeners: [] })]), { kind: 'Gateway', namespace: NS, name: 'same-namespace', check: 'zeroRoutes' }), null);
    assert.notEqual(runCheck(ctx([gateway()]), { kind: 'Gateway', namespace: NS, name: 'same-namespace', check: 'zeroRoutes' }), null);
    const na: StatusCheck = { kind: 'HTTPRoute', namespace: NS, name: 'r', check: 'noAcceptedParents', conditions: [{ type: 'Accepted', status: 'False' }] };
    assert.notEqual(runCheck(ctx([route()]), na), null);
    assert.equal(runCheck(ctx([route([cond('Accepted', 'False', 'NotAllowedByListeners')])]), na), null);
    const als: StatusCheck = { kind: 'Gateway', namespace: NS, name: 'same-namespace', check: 'attachedListenerSets', attachedListenerSets: 0 };
    assert.equal(runCheck(ctx([gateway()]), als), null);
    assert.notEqual(runCheck(ctx([gateway({ attachedListenerSets: 2 })]), als), null);
  });

  it('infrastructurePropagation: generated objects carry the infrastructure labels and annotations', () => {
    const c: StatusCheck = {
      kind: 'GeneratedResources', namespace: NS, check: 'infrastructurePropagation', labelSelector: 'gateway.networking.k8s.io/gateway-name=gw',
      resourceKinds: ['ServiceAccount', 'Pod', 'Service'], expectedLabels: { key2: 'value2' }, expectedAnnotations: { key1: 'value1' },
    };
    const gen = (kind: string, labels: Record<string, string>, annotations: Record<string, string>): StatusObject => ({
      apiVersion: 'v1', kind, metadata: { name: `waygate-gw-${kind.toLowerCase()}`, namespace: NS, labels: { 'gateway.networking.k8s.io/gateway-name': 'gw', ...labels }, annotations },
    });
    assert.match(runCheck(ctx([]), c) ?? '', /no ServiceAccount\/Pod\/Service/);
    const good = [gen('ServiceAccount', { key2: 'value2' }, { key1: 'value1' }), gen('Pod', { key2: 'value2' }, { key1: 'value1', x: 'y' })];
    assert.equal(runCheck(ctx(good), c), null);
    assert.match(runCheck(ctx([...good, gen('Service', { key2: 'value2' }, {})]), c) ?? '', /Service .*annotation key1=value1 missing/);
    assert.match(runCheck(ctx([gen('Pod', {}, { key1: 'value1' })]), c) ?? '', /label key2=value2 missing/);
  });

  it('reports unknown check kinds', () => {
    assert.match(runCheck(ctx([]), { kind: 'X', check: 'nope' }) ?? '', /unknown check/);
  });
});
