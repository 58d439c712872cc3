/**
 * Route condition constructors: one per situation (spec digest §d.3 route conditions table).
 *
 * Messages are sentence case, end with a period and name the field path they are about
 * (`spec.parentRefs[0]`, `spec.rules[1].backendRefs[0]`). Types and reasons are the spec's.
 */
import type { ConditionSpec } from './model.js';

/** Route condition reasons used by waygate, all from the spec's RouteConditionReason list. */
export type RouteReason =
  | 'Accepted'
  | 'NotAllowedByListeners'
  | 'NoMatchingListenerHostname'
  | 'NoMatchingParent'
  | 'UnsupportedValue'
  | 'IncompatibleFilters'
  | 'ResolvedRefs'
  | 'RefNotPermitted'
  | 'InvalidKind'
  | 'BackendNotFound'
  | 'UnsupportedProtocol';

/** Reasons a rule can be invalid for (Accepted=False / PartiallyInvalid=True). */
export type RuleInvalidReason = 'UnsupportedValue' | 'IncompatibleFilters';

/** Reasons a reference can fail to resolve (ResolvedRefs=False). */
export type RefReason = 'RefNotPermitted' | 'InvalidKind' | 'BackendNotFound' | 'UnsupportedProtocol';

/** A problem found while reading a route, with the reason it maps to. */
export interface RouteProblem<R extends string> {
  readonly reason: R;
  /** A full sentence naming the field path. */
  readonly message: string;
}

/** A rule problem with reason UnsupportedValue (the most common one). */
export function unsupported(message: string): RouteProblem<RuleInvalidReason> {
  return { reason: 'UnsupportedValue', message };
}

const MAX_MESSAGE = 1024;

function cap(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 4)} ….`;
}

/** Joins problem sentences, at most `max` of them, noting how many were left out. */
function joinMessages(messages: readonly string[], max = 3): string {
  const unique = [...new Set(messages)];
  const shown = unique.slice(0, max).join(' ');
  const rest = unique.length - max;
  return cap(rest > 0 ? `${shown} And ${rest} more.` : shown);
}

export function routeAccepted(): ConditionSpec {
  return { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'The route is accepted.' };
}

export function routeNoMatchingParent(message: string): ConditionSpec {
  return { type: 'Accepted', status: 'False', reason: 'NoMatchingParent', message: cap(message) };
}

export function routeNotAllowedByListeners(message: string): ConditionSpec {
  return { type: 'Accepted', status: 'False', reason: 'NotAllowedByListeners', message: cap(message) };
}

export function routeNoMatchingListenerHostname(message: string): ConditionSpec {
  return { type: 'Accepted', status: 'False', reason: 'NoMatchingListenerHostname', message: cap(message) };
}

/** Every rule is invalid: the route is not accepted (reason of the first invalid rule). */
export function routeAllRulesInvalid(problems: readonly RouteProblem<RuleInvalidReason>[]): ConditionSpec {
  const reason = problems[0]?.reason ?? 'UnsupportedValue';
  return {
    type: 'Accepted',
    status: 'False',
    reason,
    message: problems.length === 0 ? 'The route has no rules.' : cap(`All rules are invalid. ${joinMessages(problems.map((p) => p.message))}`),
  };
}

/**
 * Some rules are valid and some invalid; the invalid ones are dropped.
 *
 * RouteConditionPartiallyInvalid: "Drop Rule(s): […] The message for this condition MUST start
 * with the prefix "Dropped Rule" and include information about which Rules have been dropped."
 */
export function routePartiallyInvalid(
  dropped: readonly string[],
  problems: readonly RouteProblem<RuleInvalidReason>[],
): ConditionSpec {
  const reason = problems[0]?.reason ?? 'UnsupportedValue';
  const which = dropped.join(', ');
  return {
    type: 'PartiallyInvalid',
    status: 'True',
    reason,
    message: cap(`Dropped Rule(s) ${which}. ${joinMessages(problems.map((p) => p.message))}`),
  };
}

export function routeResolvedRefs(): ConditionSpec {
  return { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'All references are resolved.' };
}

/** Some reference failed; the reason is the first problem's. */
export function routeRefsNotResolved(problems: readonly RouteProblem<RefReason>[]): ConditionSpec {
  const reason = problems[0]?.reason ?? 'BackendNotFound';
  return { type: 'ResolvedRefs', status: 'False', reason, message: joinMessages(problems.map((p) => p.message)) };
}

/** A sentence about a field: `Port is required (spec.rules[0].backendRefs[1]).` */
export function fieldMessage(field: string, text: string): string {
  const body = text.endsWith('.') ? text.slice(0, -1) : text;
  return `${body.charAt(0).toUpperCase()}${body.slice(1)} (${field}).`;
}
