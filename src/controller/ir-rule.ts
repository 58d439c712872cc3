/**
 * An IR rule built as one object literal, for both route kinds. Rules are kept from pass to pass
 * (the translate cache), and an object made by spreading one object and then adding fields keeps
 * the fields past the spread's shape out of line (an extra backing array per rule), so no rule
 * is built from `{ ...base, ... }`.
 */
import type * as ir from '../ir/types.js';

/** What identifies a rule: its name, route kind, route key and section name. */
export type RuleIdentity = Pick<ir.Rule, 'name' | 'kind' | 'route' | 'sectionName'>;

/** The rest of a rule, as a route kind computes it. */
export type RuleParts = Omit<ir.Rule, keyof RuleIdentity>;

/** The parts of a fail-closed rule (failClosedRule). */
const FAIL_CLOSED_PARTS = {
  requestFilters: [],
  responseHeaders: null,
  cors: null,
  mirrors: [],
  retry: null,
  action: { kind: 'direct', status: 500 },
} as const satisfies Omit<RuleParts, 'timeouts'>;

/**
 * A rule that answers 500 (gRPC: UNAVAILABLE): fail closed, because a filter that cannot be
 * applied must not be skipped.
 */
export function failClosedRule(id: RuleIdentity, timeouts: ir.Rule['timeouts']): ir.Rule {
  return irRule(id, { ...FAIL_CLOSED_PARTS, timeouts });
}

export function irRule(id: RuleIdentity, p: RuleParts): ir.Rule {
  return {
    name: id.name,
    kind: id.kind,
    route: id.route,
    sectionName: id.sectionName,
    requestFilters: p.requestFilters,
    responseHeaders: p.responseHeaders,
    cors: p.cors,
    mirrors: p.mirrors,
    action: p.action,
    timeouts: p.timeouts,
    retry: p.retry,
  };
}
