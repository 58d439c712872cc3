/**
 * Condition constructors for GatewayClasses, Gateways, listeners and ListenerSets: one per
 * situation, so every reason the controller can write is listed here. Route conditions live in
 * route-conditions.ts. Timestamps and observedGeneration are added later (status.ts).
 *
 * Messages are sentence case and end with a period.
 */
import type { ConditionSpec } from './model.js';

type Status = ConditionSpec['status'];

function cond(type: string, status: Status, reason: string, message: string): ConditionSpec {
  return { type, status, reason, message };
}

/** Ensures a message is a sentence: capitalised, ending with a period. */
export function sentence(message: string): string {
  const text = message.trim();
  if (text === '') return text;
  const first = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

// ---------------------------------------------------------------- GatewayClass

/** GatewayClass Accepted=True: ours and valid. */
export function classAccepted(): ConditionSpec {
  return cond('Accepted', 'True', 'Accepted', 'The GatewayClass is accepted by this controller.');
}

/** GatewayClass Accepted=False InvalidParameters: a parametersRef we cannot use. */
export function classInvalidParameters(message: string): ConditionSpec {
  return cond('Accepted', 'False', 'InvalidParameters', sentence(message));
}

// ---------------------------------------------------------------- Gateway: Accepted

export function gatewayAccepted(): ConditionSpec {
  return cond('Accepted', 'True', 'Accepted', 'The Gateway is accepted.');
}

/**
 * Accepted with reason ListenersNotValid: True when some listeners are valid (the Gateway is
 * served with those), False when none is.
 */
export function gatewayListenersNotValid(accepted: boolean, message: string): ConditionSpec {
  return cond('Accepted', accepted ? 'True' : 'False', 'ListenersNotValid', sentence(message));
}

export function gatewayInvalidParameters(message: string): ConditionSpec {
  return cond('Accepted', 'False', 'InvalidParameters', sentence(message));
}

export function gatewayUnsupportedAddress(message: string): ConditionSpec {
  return cond('Accepted', 'False', 'UnsupportedAddress', sentence(message));
}

// ---------------------------------------------------------------- Gateway: Programmed

export function gatewayProgrammed(): ConditionSpec {
  return cond('Programmed', 'True', 'Programmed', 'The Gateway is programmed.');
}

export function gatewayNotProgrammedInvalid(message: string): ConditionSpec {
  return cond('Programmed', 'False', 'Invalid', sentence(message));
}

export function gatewayNotProgrammedPending(message: string): ConditionSpec {
  return cond('Programmed', 'False', 'Pending', sentence(message));
}

export function gatewayAddressNotUsable(message: string): ConditionSpec {
  return cond('Programmed', 'False', 'AddressNotUsable', sentence(message));
}

export function gatewayAddressNotAssigned(message: string): ConditionSpec {
  return cond('Programmed', 'False', 'AddressNotAssigned', sentence(message));
}

// ---------------------------------------------------------------- listener

export function listenerAccepted(): ConditionSpec {
  return cond('Accepted', 'True', 'Accepted', 'The listener is accepted.');
}

export function listenerUnsupportedProtocol(message: string): ConditionSpec {
  return cond('Accepted', 'False', 'UnsupportedProtocol', sentence(message));
}

export function listenerUnsupportedValue(message: string): ConditionSpec {
  return cond('Accepted', 'False', 'UnsupportedValue', sentence(message));
}

export type ConflictReason = 'HostnameConflict' | 'ProtocolConflict';

/** The three conditions of a conflicted listener: Accepted, Programmed and Conflicted. */
export function listenerConflicted(reason: ConflictReason, message: string): {
  accepted: ConditionSpec;
  programmed: ConditionSpec;
  conflicted: ConditionSpec;
} {
  const text = sentence(message);
  return {
    accepted: cond('Accepted', 'False', reason, text),
    programmed: cond('Programmed', 'False', reason, text),
    conflicted: cond('Conflicted', 'True', reason, text),
  };
}

export function listenerResolvedRefs(): ConditionSpec {
  return cond('ResolvedRefs', 'True', 'ResolvedRefs', 'All references are resolved.');
}

export function listenerInvalidRouteKinds(message: string): ConditionSpec {
  return cond('ResolvedRefs', 'False', 'InvalidRouteKinds', sentence(message));
}

export function listenerInvalidCertificateRef(message: string): ConditionSpec {
  return cond('ResolvedRefs', 'False', 'InvalidCertificateRef', sentence(message));
}

export function listenerRefNotPermitted(message: string): ConditionSpec {
  return cond('ResolvedRefs', 'False', 'RefNotPermitted', sentence(message));
}

export function listenerProgrammed(): ConditionSpec {
  return cond('Programmed', 'True', 'Programmed', 'The listener is programmed.');
}

export function listenerNotProgrammedInvalid(message: string): ConditionSpec {
  return cond('Programmed', 'False', 'Invalid', sentence(message));
}

export function listenerNotProgrammedPending(message: string): ConditionSpec {
  return cond('Programmed', 'False', 'Pending', sentence(message));
}

/** Our reason (from the implementers' guide) for an HTTPS listener without `tls`. */
export function listenerInvalidTLSConfig(message: string): ConditionSpec {
  return cond('Programmed', 'False', 'InvalidTLSConfig', sentence(message));
}

// ---------------------------------------------------------------- ListenerSet

export function listenerSetAccepted(): ConditionSpec {
  return cond('Accepted', 'True', 'Accepted', 'The ListenerSet is accepted.');
}

export function listenerSetNotAllowed(message: string): ConditionSpec {
  return cond('Accepted', 'False', 'NotAllowed', sentence(message));
}

export function listenerSetParentNotAccepted(message: string): ConditionSpec {
  return cond('Accepted', 'False', 'ParentNotAccepted', sentence(message));
}

/** Accepted with reason ListenersNotValid: True when some listeners are valid, else False. */
export function listenerSetListenersNotValid(accepted: boolean, message: string): ConditionSpec {
  return cond('Accepted', accepted ? 'True' : 'False', 'ListenersNotValid', sentence(message));
}

export function listenerSetProgrammed(): ConditionSpec {
  return cond('Programmed', 'True', 'Programmed', 'The ListenerSet is programmed.');
}

/** Programmed=False with one of NotAllowed, ParentNotProgrammed, ListenersNotValid, Pending, Invalid. */
export function listenerSetNotProgrammed(reason: string, message: string): ConditionSpec {
  return cond('Programmed', 'False', reason, sentence(message));
}
