import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as api from '../api/types.js';
import type { StatusUpdate } from './translate.js';
import { SUPPORTED_FEATURES } from './features.js';
import { buildGatewayClassNodes } from './gateway-class.js';
import { mergeConditionTimes, mergeTransitionTimes, renderGatewayClassStatus, sameParentRef, toConditions } from './status.js';

const OLD = '2025-01-01T00:00:00Z';
const NOW = '2026-01-01T00:00:00Z';

function c(type: string, status: api.Condition['status'], time: string): api.Condition {
  return { type, status, reason: 'R', message: 'M.', observedGeneration: 1, lastTransitionTime: time };
}

test('toConditions stamps generation and time', () => {
  const out = toConditions([{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Ok.' }], 7, NOW);
  assert.deepEqual(out, [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Ok.', observedGeneration: 7, lastTransitionTime: NOW }]);
});

test('mergeConditionTimes keeps the time only when the status did not change', () => {
  const out = mergeConditionTimes([c('Accepted', 'True', OLD), c('Programmed', 'Unknown', OLD)], [
    c('Accepted', 'True', NOW),
    c('Programmed', 'True', NOW),
    c('ResolvedRefs', 'True', NOW),
  ]);
  assert.deepEqual(out.map((x) => x.lastTransitionTime), [OLD, NOW, NOW]);
});

test('mergeTransitionTimes over status updates: conditions, listeners, parents', () => {
  const ref = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' };
  const previous: StatusUpdate[] = [
    { kind: 'Gateway', namespace: 'ns', name: 'gw', generation: 1, status: {
      conditions: [c('Accepted', 'True', OLD)],
      listeners: [{ name: 'http', supportedKinds: [], attachedRoutes: 0, conditions: [c('Accepted', 'True', OLD)] }],
    } },
    { kind: 'HTTPRoute', namespace: 'ns', name: 'r', generation: 1, status: {
      parents: [
        { parentRef: ref, controllerName: 'me', conditions: [c('Accepted', 'True', OLD)] },
        { parentRef: ref, controllerName: 'other', conditions: [c('Accepted', 'False', OLD)] },
      ],
    } },
  ];
  const next: StatusUpdate[] = [
    { kind: 'Gateway', namespace: 'ns', name: 'gw', generation: 2, status: {
      conditions: [c('Accepted', 'True', NOW)],
      listeners: [
        { name: 'http', supportedKinds: [], attachedRoutes: 0, conditions: [c('Accepted', 'False', NOW)] },
        { name: 'new', supportedKinds: [], attachedRoutes: 0, conditions: [c('Accepted', 'True', NOW)] },
      ],
    } },
    { kind: 'HTTPRoute', namespace: 'ns', name: 'r', generation: 1, status: {
      parents: [{ parentRef: ref, controllerName: 'me', conditions: [c('Accepted', 'True', NOW)] }],
    } },
    { kind: 'Gateway', namespace: 'ns', name: 'fresh', generation: 1, status: { conditions: [c('Accepted', 'True', NOW)] } },
  ];
  const out = mergeTransitionTimes(previous, next);
  const gw = out[0]!.status as { conditions: api.Condition[]; listeners: api.ListenerStatus[] };
  assert.equal(gw.conditions[0]!.lastTransitionTime, OLD);
  assert.equal(gw.listeners[0]!.conditions[0]!.lastTransitionTime, NOW, 'status flipped');
  assert.equal(gw.listeners[1]!.conditions[0]!.lastTransitionTime, NOW, 'new listener');
  const route = out[1]!.status as { parents: api.RouteParentStatus[] };
  assert.equal(route.parents[0]!.conditions[0]!.lastTransitionTime, OLD);
  assert.equal(out[2], next[2], 'objects without a previous status pass through');
  assert.equal((next[0]!.status['conditions'] as api.Condition[])[0]!.lastTransitionTime, NOW, 'input not mutated');
});

test('sameParentRef fills the group and kind defaults on both sides', () => {
  const spelled: api.ParentReference = { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'gw' };
  assert.equal(sameParentRef({ namespace: 'infra', name: 'gw' }, spelled), true);
  assert.equal(sameParentRef({ namespace: 'infra', name: 'gw', kind: 'ListenerSet' }, spelled), false);
  assert.equal(sameParentRef({ ...spelled, sectionName: 'http' }, spelled), false);
  assert.equal(sameParentRef({ ...spelled, port: 80 }, spelled), false);
});

// Provisioning adds features (e.g. GatewayInfrastructurePropagation) through translate's
// extraFeatures: merged into our GatewayClasses' list, sorted, once each; never on a class we
// did not accept.
test('renderGatewayClassStatus: extra features merge into supportedFeatures, sorted and once, on accepted classes only', () => {
  const gc = (name: string, spec: Record<string, unknown> = {}): api.GatewayClass => ({
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name, generation: 1 }, spec: { controllerName: 'waygate.dev/x', ...spec },
  } as api.GatewayClass);
  // A parametersRef to nothing: ours, but Accepted=False (InvalidParameters).
  const missing = { parametersRef: { group: 'waygate.dev', kind: 'WaygateParameters', name: 'missing', namespace: 'x' } };
  const [ours, other] = buildGatewayClassNodes([gc('ours'), gc('other', missing)], 'waygate.dev/x');
  assert.equal(other?.accepted, false);
  const names = (node: typeof ours) => (renderGatewayClassStatus(node!, NOW, ['Zeta', 'HTTPRoute', 'Aardvark']).status['supportedFeatures'] as { name: string }[] | undefined)?.map((f) => f.name);
  const plain = (renderGatewayClassStatus(ours!, NOW).status['supportedFeatures'] as { name: string }[]).map((f) => f.name);
  assert.deepEqual(plain, [...SUPPORTED_FEATURES]);
  assert.deepEqual(names(ours), ['Aardvark', ...SUPPORTED_FEATURES, 'Zeta']);
  assert.equal(names(other), undefined);
});
