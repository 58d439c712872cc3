/**
 * ListenerSets (spec digest §d.11): which Gateway they target, whether that Gateway allows them,
 * and their Accepted/Programmed conditions.
 */
import type * as api from '../api/types.js';
import { GATEWAY_GROUP } from '../api/types.js';
import type { ConditionSpec, ResourceIndex } from './model.js';
import { namespaceLabels } from './index.js';
import {
  listenerSetAccepted,
  listenerSetListenersNotValid,
  listenerSetNotAllowed,
  listenerSetNotProgrammed,
  listenerSetParentNotAccepted,
  listenerSetProgrammed,
} from './conditions.js';
import { matchesLabelSelector } from './label-selector.js';

/** The `ns/name` of the Gateway a ListenerSet targets, or null when parentRef is not a Gateway. */
export function parentGatewayKey(ls: api.ListenerSet): string | null {
  const ref = ls.spec.parentRef;
  if ((ref.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (ref.kind ?? 'Gateway') !== 'Gateway') return null;
  return `${ref.namespace ?? ls.metadata.namespace ?? ''}/${ref.name}`;
}

/**
 * Does the Gateway's `spec.allowedListeners` admit this ListenerSet?
 *
 * "AllowedListeners defines which ListenerSets can be attached to this Gateway. The default
 * value is to allow no ListenerSets." From: `None` (default), `Same` (the Gateway's namespace),
 * `All`, `Selector` (a label selector over the ListenerSet's Namespace).
 */
export function isListenerSetAllowed(gateway: api.Gateway, ls: api.ListenerSet, index: ResourceIndex): boolean {
  const namespaces = gateway.spec.allowedListeners?.namespaces;
  const from = namespaces?.from ?? 'None';
  const lsNamespace = ls.metadata.namespace ?? '';
  switch (from) {
    case 'All':
      return true;
    case 'Same':
      return lsNamespace === (gateway.metadata.namespace ?? '');
    case 'Selector':
      return namespaces?.selector !== undefined && matchesLabelSelector(namespaces.selector, namespaceLabels(index, lsNamespace));
    default:
      return false;
  }
}


/** A listener as ListenerSet acceptance sees it: valid = accepted, unconflicted and resolved. */
export interface ListenerValidity {
  readonly name: string;
  readonly valid: boolean;
}

/**
 * The Accepted condition of an allowed ListenerSet.
 *
 * ListenerSet conditions: Accepted (`Accepted` / `NotAllowed`, `ParentNotAccepted`,
 * `ListenersNotValid`). Like a Gateway, a ListenerSet with some valid listeners is accepted with
 * reason ListenersNotValid; with none it is not accepted (conformance ListenerSetProtocolConflict,
 * ListenerSetReferenceGrant).
 */
export function listenerSetAcceptance(parentAccepted: boolean, listeners: readonly ListenerValidity[]): ConditionSpec {
  if (!parentAccepted) return listenerSetParentNotAccepted('The parent Gateway is not accepted.');
  const invalid = listeners.filter((l) => !l.valid).map((l) => l.name);
  if (invalid.length === listeners.length) {
    return listenerSetListenersNotValid(false, `No listener is valid: ${invalid.join(', ')}.`);
  }
  if (invalid.length > 0) return listenerSetListenersNotValid(true, `Some listeners are not valid: ${invalid.join(', ')}.`);
  return listenerSetAccepted();
}

/** Conditions of a ListenerSet its parent does not allow. */
export function listenerSetNotAllowedConditions(): ConditionSpec[] {
  const message = 'The parent Gateway does not allow this ListenerSet (spec.allowedListeners).';
  return [listenerSetNotAllowed(message), listenerSetNotProgrammed('NotAllowed', message)];
}

/**
 * The Programmed condition of a ListenerSet: `Programmed`, or False with the Accepted reason
 * when not accepted, `ParentNotProgrammed`, or `Pending` when none of its listeners is served yet.
 */
export function listenerSetProgramming(
  accepted: ConditionSpec,
  parentProgrammed: boolean,
  anyListenerProgrammed: boolean,
): ConditionSpec {
  if (accepted.status !== 'True') {
    const reason = accepted.reason === 'ParentNotAccepted' ? 'ParentNotProgrammed' : accepted.reason;
    return listenerSetNotProgrammed(reason, accepted.message);
  }
  if (!parentProgrammed) return listenerSetNotProgrammed('ParentNotProgrammed', 'The parent Gateway is not programmed.');
  if (!anyListenerProgrammed) {
    return listenerSetNotProgrammed('Pending', 'No listener of this ListenerSet can be served yet.');
  }
  return listenerSetProgrammed();
}
