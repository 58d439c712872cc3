/**
 * Status rendering: ConditionSpecs on graph nodes become API conditions (observedGeneration,
 * lastTransitionTime) and each object we own gets one StatusUpdate.
 *
 * "Implementations MUST always update the `observedGeneration` field of the Condition to the
 * `metadata.generation` of the Gateway at the time of update creation." (GatewayStatus godoc)
 * `lastTransitionTime` changes only when a condition's status changes, so a previous status in
 * the snapshot (Kubernetes mode) keeps its timestamps through mergeTransitionTimes.
 */
import type * as api from '../api/types.js';
import { GATEWAY_GROUP } from '../api/types.js';
import type {
  ConditionSpec,
  GatewayClassNode,
  GatewayNode,
  ListenerNode,
  ListenerSetNode,
  RouteNode,
} from './model.js';
import { supportedFeaturesStatus } from './features.js';

import { identityKey } from '../source/snapshot.js';
import type { StatusUpdate } from './translate.js';

/** The status one object should have. */
export type RenderedStatus = StatusUpdate;

/** Converts condition specs to API conditions stamped with `generation` and `now`. */
export function toConditions(specs: readonly ConditionSpec[], generation: number, now: string): api.Condition[] {
  return specs.map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    observedGeneration: generation,
    lastTransitionTime: now,
  }));
}

/**
 * Keeps `lastTransitionTime` from `previous` for every condition of `next` whose type exists in
 * `previous` with the same status ("lastTransitionTime is the last time the condition
 * transitioned from one status to another"). Pure: returns new objects, mutates nothing.
 */
export function mergeConditionTimes(
  previous: readonly api.Condition[] | undefined,
  next: readonly api.Condition[],
): api.Condition[] {
  return next.map((c) => {
    const before = previous?.find((p) => p.type === c.type);
    if (before && before.status === c.status && before.lastTransitionTime) {
      return { ...c, lastTransitionTime: before.lastTransitionTime };
    }
    return { ...c };
  });
}

function generationOf(obj: api.KubeObject): number {
  return obj.metadata.generation ?? 0;
}

function stamp(obj: api.KubeObject, specs: readonly ConditionSpec[], now: string, previous: readonly api.Condition[] | undefined): api.Condition[] {
  return mergeConditionTimes(previous, toConditions(specs, generationOf(obj), now));
}

/**
 * GatewayClass status: conditions plus the supported features we claim (those of translate()
 * and `extraFeatures`, e.g. what provisioning adds).
 */
export function renderGatewayClassStatus(node: GatewayClassNode, now: string, extraFeatures: readonly string[] = []): RenderedStatus {
  const gc = node.gatewayClass;
  return {
    kind: 'GatewayClass',
    namespace: null,
    name: gc.metadata.name,
    generation: generationOf(gc),
    status: {
      conditions: stamp(gc, node.conditions, now, gc.status?.conditions),
      // Features are claimed only by classes we accept.
      ...(node.accepted ? { supportedFeatures: supportedFeaturesStatus(extraFeatures) } : {}),
    },
  };
}

/** Per-listener status entries, as Gateway and ListenerSet status both carry them. */
function renderListenerStatuses(
  owner: api.KubeObject,
  listeners: readonly ListenerNode[],
  previous: readonly api.ListenerStatus[] | undefined,
  now: string,
): api.ListenerStatus[] {
  return listeners.map((l) => ({
    name: l.listener.name,
    supportedKinds: l.supportedKinds.map((k) => ({ group: k.group ?? '', kind: k.kind })),
    attachedRoutes: l.attachedRoutes,
    conditions: stamp(owner, l.conditions, now, previous?.find((p) => p.name === l.listener.name)?.conditions),
  }));
}

/** Gateway status: addresses, conditions, its own listeners, and attachedListenerSets. */
export function renderGatewayStatus(node: GatewayNode, now: string): RenderedStatus {
  const gw = node.gateway;
  const own = node.listeners.filter((l) => l.listenerSet === null);
  const status: Record<string, unknown> = {
    addresses: node.addresses.map((value) => ({ type: 'IPAddress', value })),
    conditions: stamp(gw, node.conditions, now, gw.status?.conditions),
    listeners: renderListenerStatuses(gw, own, gw.status?.listeners, now),
  };
  // "AttachedListenerSets represents the total number of ListenerSets that have been
  // successfully attached to this Gateway." Reported once any ListenerSet targets the Gateway.
  if (node.listenerSets.length > 0) {
    status['attachedListenerSets'] = node.listenerSets.filter((s) => s.accepted).length;
  }
  return {
    kind: 'Gateway',
    namespace: gw.metadata.namespace ?? null,
    name: gw.metadata.name,
    generation: generationOf(gw),
    status,
  };
}

/** ListenerSet status: conditions and per-listener status. */
export function renderListenerSetStatus(node: ListenerSetNode, now: string): RenderedStatus {
  const ls = node.listenerSet;
  return {
    kind: 'ListenerSet',
    namespace: ls.metadata.namespace ?? null,
    name: ls.metadata.name,
    generation: generationOf(ls),
    status: {
      conditions: stamp(ls, node.conditions, now, ls.status?.conditions),
      listeners: renderListenerStatuses(ls, node.listeners, ls.status?.listeners, now),
    },
  };
}

/**
 * Route status: one `status.parents` entry per parentRef we handle, echoing the parentRef as
 * written ("keyed by (parentRef, controllerName)").
 */
export function renderRouteStatus(node: RouteNode, controllerName: string, now: string): RenderedStatus {
  const route = node.route;
  const previous = (route as { status?: api.RouteStatus }).status?.parents ?? [];
  return {
    kind: node.kind,
    namespace: route.metadata.namespace ?? null,
    name: route.metadata.name,
    generation: generationOf(route),
    status: {
      parents: node.parents.map((p) => {
        const before = previous.find((e) => e.controllerName === controllerName && sameParentRef(e.parentRef, p.parentRef));
        return {
          parentRef: p.parentRef,
          controllerName,
          conditions: stamp(route, p.conditions, now, before?.conditions),
        };
      }),
    },
  };
}

/**
 * Same parentRef (or policy ancestorRef), with the defaults filled in on both sides (group
 * gateway.networking.k8s.io, kind Gateway), so a stored status entry is found whether or not
 * it spells the defaults out.
 */
export function sameParentRef(a: api.ParentReference, b: api.ParentReference): boolean {
  return (
    a.name === b.name &&
    (a.group ?? GATEWAY_GROUP) === (b.group ?? GATEWAY_GROUP) &&
    (a.kind ?? 'Gateway') === (b.kind ?? 'Gateway') &&
    (a.namespace ?? '') === (b.namespace ?? '') &&
    (a.sectionName ?? '') === (b.sectionName ?? '') &&
    (a.port ?? 0) === (b.port ?? 0)
  );
}

/**
 * The same rule over whole passes: for each update of `next`, finds the update of `previous`
 * for the same object and keeps the `lastTransitionTime` of every condition whose status did
 * not change — top-level conditions, `listeners[].conditions` (by listener name) and
 * `parents[].conditions` (by parentRef and controllerName). Pure.
 */
export function mergeTransitionTimes(previous: readonly StatusUpdate[], next: readonly StatusUpdate[]): StatusUpdate[] {
  const before = new Map<string, StatusUpdate>();
  for (const u of previous) before.set(identityKey(u.kind, u.namespace, u.name), u);
  return next.map((u) => {
    const prev = before.get(identityKey(u.kind, u.namespace, u.name));
    if (!prev) return u;
    return { ...u, status: mergeStatus(prev.status, u.status) };
  });
}

function mergeStatus(prev: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...next };
  if (Array.isArray(next['conditions'])) {
    out['conditions'] = mergeConditionTimes(asConditions(prev['conditions']), next['conditions'] as api.Condition[]);
  }
  if (Array.isArray(next['listeners'])) {
    const prevListeners = Array.isArray(prev['listeners']) ? (prev['listeners'] as api.ListenerStatus[]) : [];
    out['listeners'] = (next['listeners'] as api.ListenerStatus[]).map((l) => ({
      ...l,
      conditions: mergeConditionTimes(prevListeners.find((p) => p.name === l.name)?.conditions, l.conditions),
    }));
  }
  if (Array.isArray(next['parents'])) {
    const prevParents = Array.isArray(prev['parents']) ? (prev['parents'] as api.RouteParentStatus[]) : [];
    out['parents'] = (next['parents'] as api.RouteParentStatus[]).map((p) => ({
      ...p,
      conditions: mergeConditionTimes(
        prevParents.find((q) => q.controllerName === p.controllerName && sameParentRef(q.parentRef, p.parentRef))?.conditions,
        p.conditions,
      ),
    }));
  }
  if (Array.isArray(next['ancestors'])) {
    // Policy status (BackendTLSPolicy): entries keyed by (ancestorRef, controllerName).
    const prevAncestors = Array.isArray(prev['ancestors']) ? (prev['ancestors'] as api.PolicyAncestorStatus[]) : [];
    out['ancestors'] = (next['ancestors'] as api.PolicyAncestorStatus[]).map((a) => ({
      ...a,
      conditions: mergeConditionTimes(
        prevAncestors.find((q) => q.controllerName === a.controllerName && sameParentRef(q.ancestorRef, a.ancestorRef))?.conditions,
        a.conditions,
      ),
    }));
  }
  return out;
}

function asConditions(value: unknown): api.Condition[] | undefined {
  return Array.isArray(value) ? (value as api.Condition[]) : undefined;
}
