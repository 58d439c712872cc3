/**
 * HTTPRoute rule timeouts and retry → IR (spec digest §d.9), durations per GEP-2257.
 */
import type * as api from '../api/types.js';
import type * as ir from '../ir/types.js';
import { computeTimeout, parseDuration } from './durations.js';
import { fieldMessage, unsupported, type RouteProblem, type RuleInvalidReason } from './route-conditions.js';

/** Retry defaults for what the spec leaves implementation-specific. */
export const DEFAULT_RETRY_ATTEMPTS = 1;
export const DEFAULT_RETRY_BACKOFF_MS = 25;

/** `spec.rules[i].timeouts` → IR timeouts (`0s` and unset → null). */
export function convertTimeouts(
  timeouts: api.HTTPRouteRule['timeouts'],
  field: string,
  invalid: RouteProblem<RuleInvalidReason>[],
): ir.Timeouts {
  const request = computeTimeout(timeouts?.request, `${field}.timeouts.request`);
  const backend = computeTimeout(timeouts?.backendRequest, `${field}.timeouts.backendRequest`);
  if (!request.ok) invalid.push(unsupported(request.message));
  if (!backend.ok) invalid.push(unsupported(backend.message));
  const requestMs = request.ok ? request.ms : null;
  const backendRequestMs = backend.ok ? backend.ms : null;
  // HTTPRouteTimeouts (CEL): "backendRequest timeout cannot be longer than request timeout".
  if (requestMs !== null && backendRequestMs !== null && backendRequestMs > requestMs) {
    invalid.push(unsupported(fieldMessage(`${field}.timeouts.backendRequest`, `must not be longer than timeouts.request`)));
  }
  return { requestMs, backendRequestMs };
}

/**
 * `spec.rules[i].retry` → IR retry. Unset codes mean "connection errors only"; unset attempts
 * and backoff take DEFAULT_RETRY_ATTEMPTS / DEFAULT_RETRY_BACKOFF_MS (implementation-specific
 * per HTTPRouteRetry).
 */
export function convertRetry(
  retry: api.HTTPRouteRule['retry'],
  field: string,
  invalid: RouteProblem<RuleInvalidReason>[],
): ir.Retry | null {
  if (!retry) return null;
  const codes = [...new Set(retry.codes ?? [])];
  const bad = codes.filter((c) => !Number.isInteger(c) || c < 400 || c > 599);
  if (bad.length > 0) invalid.push(unsupported(fieldMessage(`${field}.retry.codes`, `status codes must be within 400-599, not ${bad.join(', ')}`)));
  const attempts = retry.attempts ?? DEFAULT_RETRY_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 1) invalid.push(unsupported(fieldMessage(`${field}.retry.attempts`, `must be at least 1`)));
  let backoffMs = DEFAULT_RETRY_BACKOFF_MS;
  if (retry.backoff !== undefined) {
    const ms = parseDuration(retry.backoff);
    if (ms === null) invalid.push(unsupported(fieldMessage(`${field}.retry.backoff`, `duration "${retry.backoff}" is not valid`)));
    else backoffMs = ms;
  }
  return { codes: codes.sort((a, b) => a - b), attempts, backoffMs };
}
