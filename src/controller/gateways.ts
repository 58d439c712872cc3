/**
 * Gateways and their merged listener sets: listener validation, conflicts, ListenerSets,
 * acceptance, addresses and programming. Produces the GatewayNodes the route stage attaches to.
 *
 * "Reconcile a Gateway only if its gatewayClassName names an Accepted class of yours" — others
 * get no node and no status.
 */
import type * as api from '../api/types.js';
import { parametersRefProblem } from './parameters-ref.js';
import { objectKey } from '../source/snapshot.js';
import type { ConditionSpec, GatewayClassNode, GatewayNode, ListenerNode, ListenerSetNode, ResourceIndex } from './model.js';
import type { AddressOptions } from './translate.js';
import { assignAddresses, validateSpecAddresses, type AddressAssignment } from './addresses.js';
import { detectConflicts, listenerConditions, validateListener, type Conflict, type ListenerValidation } from './listeners.js';
import { applyFrontendValidation, resolveFrontendValidation } from './frontend-validation.js';
import { markOverlappingTLSHostnames } from './listener-tls.js';
import {
  isListenerSetAllowed,
  listenerSetAcceptance,
  listenerSetNotAllowedConditions,
  listenerSetProgramming,
  parentGatewayKey,
} from './listener-sets.js';
import {
  gatewayAccepted,
  gatewayInvalidParameters,
  gatewayListenersNotValid,
  gatewayNotProgrammedInvalid,
  gatewayNotProgrammedPending,
  gatewayProgrammed,
  gatewayUnsupportedAddress,
  listenerNotProgrammedInvalid,
  listenerNotProgrammedPending,
  listenerProgrammed,
} from './conditions.js';

export interface GatewayStageResult {
  readonly gateways: GatewayNode[];
  /** Every ListenerSet whose parent is one of our Gateways, in precedence order. */
  readonly listenerSets: ListenerSetNode[];
  /** Pool addresses per Gateway, for the next pass. */
  readonly assigned: Record<string, readonly string[]>;
}

/** One listener of a merged set with what validation and conflict detection decided. */
interface Entry {
  readonly node: ListenerNode;
  readonly validation: ListenerValidation;
  readonly conflict: Conflict | null;
}

/** Builds the Gateway stage: nodes for our Gateways and the ListenerSets that target them. */
export function buildGateways(
  gateways: readonly api.Gateway[],
  listenerSets: readonly api.ListenerSet[],
  classes: ReadonlyMap<string, GatewayClassNode>,
  index: ResourceIndex,
  addressOptions: AddressOptions,
  knownParameters: ReadonlySet<string> = new Set(),
): GatewayStageResult {
  const nodes: GatewayNode[] = [];
  const byKey = new Map<string, GatewayNode>();
  for (const gateway of gateways) {
    const gatewayClass = classes.get(gateway.spec.gatewayClassName);
    if (!gatewayClass) continue;
    const node: GatewayNode = { gateway, gatewayClass, accepted: false, addresses: [], conditions: [], listeners: [], listenerSets: [] };
    nodes.push(node);
    byKey.set(objectKey(gateway), node);
  }
  // ListenerSets arrive oldest first, then by ns/name: the precedence order of GEP-1713.
  const lsNodes: ListenerSetNode[] = [];
  for (const listenerSet of listenerSets) {
    const key = parentGatewayKey(listenerSet);
    const gateway = key === null ? undefined : byKey.get(key);
    if (!gateway) continue;
    const node: ListenerSetNode = { listenerSet, gateway, accepted: false, conditions: [], listeners: [] };
    gateway.listenerSets.push(node);
    lsNodes.push(node);
  }

  const entries = new Map<GatewayNode, Entry[]>();
  for (const node of nodes) entries.set(node, planGateway(node, index, knownParameters));

  const addresses = assignAddresses(
    nodes.filter((n) => n.accepted).map((n) => ({ key: objectKey(n.gateway), gateway: n.gateway })),
    addressOptions,
  );
  for (const node of nodes) {
    finishGateway(node, entries.get(node) ?? [], addresses.byGateway.get(objectKey(node.gateway)) ?? null);
  }
  return { gateways: nodes, listenerSets: lsNodes, assigned: addresses.assigned };
}

/** Validates listeners, detects conflicts, and decides Gateway and ListenerSet acceptance. */
function planGateway(node: GatewayNode, index: ResourceIndex, knownParameters: ReadonlySet<string>): Entry[] {
  const gw = node.gateway;
  const ns = gw.metadata.namespace ?? '';
  const merged: { listener: api.Listener; ls: ListenerSetNode | null; validation: ListenerValidation }[] = [];
  // spec.tls.frontend (client certificate validation) applies to every HTTPS listener of the
  // merged set on a matching port.
  const frontend = resolveFrontendValidation(gw, index);
  for (const listener of gw.spec.listeners ?? []) {
    const validation = validateListener(listener, { kind: 'Gateway', namespace: ns }, index);
    merged.push({ listener, ls: null, validation: applyFrontendValidation(validation, listener, frontend) });
  }
  const allowed: ListenerSetNode[] = [];
  for (const ls of node.listenerSets) {
    if (!isListenerSetAllowed(gw, ls.listenerSet, index)) {
      ls.conditions.push(...listenerSetNotAllowedConditions());
      continue;
    }
    allowed.push(ls);
    const lsNamespace = ls.listenerSet.metadata.namespace ?? '';
    for (const listener of ls.listenerSet.spec.listeners ?? []) {
      const validation = validateListener(listener, { kind: 'ListenerSet', namespace: lsNamespace }, index);
      merged.push({ listener, ls, validation: applyFrontendValidation(validation, listener, frontend) });
    }
  }
  const conflicts = detectConflicts(
    merged.map((m) => ({
      listener: m.listener,
      fromGateway: m.ls === null,
      owner: m.ls === null ? `Gateway ${objectKey(gw)}` : `ListenerSet ${objectKey(m.ls.listenerSet)}`,
    })),
  );

  const entries: Entry[] = merged.map((m, i) => {
    const owner = m.ls === null ? gw : m.ls.listenerSet;
    const listenerNode: ListenerNode = {
      key: `${owner.metadata.namespace ?? ''}/${owner.metadata.name}/${m.listener.name}`,
      slot: `${objectKey(gw)}#${i}`,
      gateway: node,
      listenerSet: m.ls,
      listener: m.listener,
      supportedKinds: m.validation.supportedKinds,
      tls: m.validation.tls,
      accepted: false,
      programmed: false,
      conditions: [],
      attachedRoutes: 0,
      attachments: [],
    };
    node.listeners.push(listenerNode);
    m.ls?.listeners.push(listenerNode);
    return { node: listenerNode, validation: m.validation, conflict: conflicts[i] ?? null };
  });

  const accepted = gatewayAcceptance(gw, entries.filter((e) => e.node.listenerSet === null), knownParameters);
  node.accepted = accepted.status === 'True';
  node.conditions.push(accepted);
  if (frontend.gatewayCondition !== null) node.conditions.push(frontend.gatewayCondition);

  for (const ls of allowed) {
    const own = entries.filter((e) => e.node.listenerSet === ls);
    const condition = listenerSetAcceptance(
      node.accepted,
      own.map((e) => ({ name: e.node.listener.name, valid: isValid(e) })),
    );
    ls.accepted = condition.status === 'True';
    ls.conditions.push(condition);
  }
  return entries;
}

/**
 * A listener is valid when accepted, unconflicted, with its references resolved and a usable
 * TLS configuration (Programmed=False Pending — a feature not served yet — is not invalid).
 */
function isValid(e: Entry): boolean {
  return (
    e.conflict === null &&
    e.validation.accepted.status === 'True' &&
    e.validation.resolvedRefs.status === 'True' &&
    e.validation.notProgrammed?.reason !== 'InvalidTLSConfig'
  );
}

/**
 * The Gateway's Accepted condition.
 *
 * - InvalidParameters: "the Gateway was not accepted because the parametersRef field was
 *   invalid" — anything but an existing waygate.dev WaygateParameters (parameters-ref.ts).
 * - UnsupportedAddress: see addresses.ts.
 * - ListenersNotValid: "one or more Listeners have an invalid or unsupported configuration [...]
 *   This can be the reason when "Accepted" is "True" or "False", depending on whether the
 *   listener being invalid causes the entire Gateway to not be accepted." The Gateway is
 *   accepted while at least one of its own listeners is accepted and unconflicted ("At least
 *   one distinct Listener MUST be present, or else the Gateway [...] must be rejected").
 */
function gatewayAcceptance(gw: api.Gateway, own: readonly Entry[], knownParameters: ReadonlySet<string>): ConditionSpec {
  const params = gw.spec.infrastructure?.parametersRef;
  const paramsProblem = params ? parametersRefProblem(params, gw.metadata.namespace, knownParameters) : null;
  if (paramsProblem !== null) return gatewayInvalidParameters(`${paramsProblem.replace(/^The parametersRef/, 'The infrastructure parametersRef')}.`);
  const address = validateSpecAddresses(gw);
  if (address !== null) return gatewayUnsupportedAddress(address);
  const usable = own.filter((e) => e.conflict === null && e.validation.accepted.status === 'True');
  const invalid = own.filter((e) => !isValid(e)).map((e) => e.node.listener.name);
  if (usable.length === 0) {
    return gatewayListenersNotValid(false, `No listener is valid: ${invalid.join(', ') || 'the Gateway has none'}.`);
  }
  if (invalid.length > 0) return gatewayListenersNotValid(true, `Some listeners are not valid: ${invalid.join(', ')}.`);
  return gatewayAccepted();
}

/** Decides Programmed for the Gateway, its listeners and ListenerSets, and fills conditions. */
function finishGateway(node: GatewayNode, entries: readonly Entry[], assignment: AddressAssignment | null): void {
  const servable = (e: Entry): boolean =>
    node.accepted && e.conflict === null && e.validation.notProgrammed === null && (e.node.listenerSet?.accepted ?? true);
  const anyServable = entries.some(servable);

  let programmed: ConditionSpec;
  if (!node.accepted) {
    programmed = gatewayNotProgrammedInvalid('The Gateway is not accepted.');
  } else if (assignment?.problem) {
    programmed = assignment.problem;
  } else if (!anyServable) {
    const pending = entries.some((e) => e.conflict === null && e.validation.notProgrammed?.reason === 'Pending');
    programmed = pending
      ? gatewayNotProgrammedPending('No listener of this Gateway can be served yet.')
      : gatewayNotProgrammedInvalid('No listener of this Gateway can be served.');
  } else {
    programmed = gatewayProgrammed();
  }
  node.conditions.push(programmed);
  const gatewayProgrammedNow = programmed.status === 'True';
  node.addresses = gatewayProgrammedNow && assignment ? assignment.addresses : [];

  for (const e of entries) {
    const l = e.node;
    const ls = l.listenerSet;
    l.accepted = e.conflict === null && e.validation.accepted.status === 'True' && node.accepted && (ls?.accepted ?? true);
    l.programmed = servable(e) && gatewayProgrammedNow;
    let state: ConditionSpec;
    if (e.validation.notProgrammed) state = e.validation.notProgrammed;
    else if (!node.accepted) state = listenerNotProgrammedInvalid('The Gateway is not accepted.');
    else if (ls && !ls.accepted) state = listenerNotProgrammedInvalid('The ListenerSet is not accepted.');
    else if (!gatewayProgrammedNow) state = listenerNotProgrammedPending(`The Gateway is not programmed (${programmed.reason}).`);
    else state = listenerProgrammed();
    l.conditions.push(...listenerConditions(e.validation, e.conflict, state));
  }
  markOverlappingTLSHostnames(entries.map((e) => e.node));

  for (const ls of node.listenerSets) {
    const accepted = ls.conditions.find((c) => c.type === 'Accepted');
    if (!accepted || ls.conditions.some((c) => c.type === 'Programmed')) continue;
    ls.conditions.push(listenerSetProgramming(accepted, gatewayProgrammedNow, ls.listeners.some((l) => l.programmed)));
  }
}
