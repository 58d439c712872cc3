/**
 * The route stage for HTTPRoutes: rules → IR, then attachment to listeners and per-parentRef
 * conditions (spec digest §d.3–§d.9).
 *
 * HTTPRouteRule validity: rules the schema cannot fully validate (regular expressions, filter
 * types and combinations) are checked here. RouteConditionPartiallyInvalid: "Drop Rule(s): With
 * this approach, implementations will drop the invalid Route Rule(s) until they are fully valid
 * again." A rule invalid because of its matches is dropped; a rule invalid because of a filter we
 * cannot apply answers 500 instead of being dropped (see route-filters.ts: fail closed). Either
 * way it counts as invalid: Accepted=True + PartiallyInvalid=True when some rules are valid,
 * Accepted=False when none is ("A Route MUST be considered "Accepted" if at least one of the
 * Route's rules is implemented by the Gateway").
 */
import type * as api from '../api/types.js';
import type * as ir from '../ir/types.js';
import type { GatewayNode, ResourceIndex, RouteNode } from './model.js';
import { attachRoutes, NO_MEMO, type ConvertedRule, type RouteMemo } from './attachment.js';
import { resolveBackendRef } from './backend-refs.js';
import { exact } from './exact-array.js';
import { failClosedRule, irRule } from './ir-rule.js';
import { convertMatches } from './route-matches.js';
import { convertBackendFilters, convertRuleFilters } from './route-filters.js';
import { convertRetry, convertTimeouts } from './route-timeouts.js';
import { fieldMessage, type RefReason, type RouteProblem, type RuleInvalidReason } from './route-conditions.js';

const ROUTE_KIND = 'HTTPRoute';

export type { ConvertedRule } from './attachment.js';

/**
 * Attaches every HTTPRoute to the listeners its parentRefs select (see attachRoute): each
 * listener's `attachments` gets a RouteAttachment and `attachedRoutes` counts it where the route
 * is Accepted. Returns one RouteNode per route, with one result per parentRef that
 * names one of our Gateways or ListenerSets (others are not reported).
 */
export function processHTTPRoutes(
  routes: readonly api.HTTPRoute[],
  gateways: readonly GatewayNode[],
  index: ResourceIndex,
  controllerName: string,
  memo: RouteMemo = NO_MEMO,
): readonly RouteNode[] {
  void controllerName; // status rendering adds it; kept for the stage signature.
  return attachRoutes(ROUTE_KIND, routes, (route) => convertRules(route, index), gateways, index, memo);
}

/** Converts every rule of the route to IR (see the file comment for validity). */
export function convertRules(route: api.HTTPRoute, index: ResourceIndex): ConvertedRule[] {
  // The CRD defaults `rules` to one rule matching every path with no backends.
  return (route.spec?.rules ?? [{}]).map((rule, i) => convertRule(route, rule, i, index));
}

function convertRule(route: api.HTTPRoute, rule: api.HTTPRouteRule, i: number, index: ResourceIndex): ConvertedRule {
  const namespace = route.metadata.namespace ?? 'default';
  const field = `spec.rules[${i}]`;
  const from = { kind: ROUTE_KIND, namespace };
  const ctx = { index, from, matches: rule.matches };
  const matches = convertMatches(rule.matches, field);
  const filters = convertRuleFilters(ctx, rule.filters, field);
  const invalid: RouteProblem<RuleInvalidReason>[] = [...matches.problems, ...filters.invalid];
  const refProblems: RouteProblem<RefReason>[] = [...filters.refProblems];
  const timeouts = convertTimeouts(rule.timeouts, field, invalid);
  const retry = convertRetry(rule.retry, field, invalid);

  const backendRefs = rule.backendRefs ?? [];
  if (filters.redirect && backendRefs.length > 0) {
    invalid.push({ reason: 'IncompatibleFilters', message: fieldMessage(field, 'RequestRedirect cannot be combined with backendRefs') });
  }
  const backends: ir.Backend[] = [];
  backendRefs.forEach((ref, j) => {
    const at = `${field}.backendRefs[${j}]`;
    const weight = ref.weight ?? 1;
    const resolved = resolveBackendRef(index, from, ref, weight, at);
    if (resolved.problem) refProblems.push(resolved.problem);
    const extra = convertBackendFilters(ctx, ref.filters, at, invalid);
    if (weight === 0) return; // BackendRef.Weight: "If weight is set to 0, no traffic should be forwarded for this entry."
    backends.push(resolved.backend.kind === 'service' ? { ...resolved.backend, ...extra } : resolved.backend);
  });

  const name = `httproute/${namespace}/${route.metadata.name}/rule/${i}`;
  const base = { name, kind: 'HTTPRoute' as const, route: `${namespace}/${route.metadata.name}`, sectionName: rule.name ?? null };
  if (matches.problems.length > 0 || matches.matches.length === 0) {
    return { index: i, attached: null, invalid, refProblems };
  }
  const converted = invalid.length > 0 || filters.respond500
    ? failClosedRule(base, timeouts)
    : irRule(base, {
        requestFilters: filters.requestFilters,
        responseHeaders: filters.responseHeaders,
        cors: filters.cors,
        mirrors: filters.mirrors,
        action: computeAction(filters.redirect, backendRefs.length, exact(backends)),
        timeouts,
        retry,
      });
  return { index: i, attached: { rule: converted, matches: matches.matches, index: i }, invalid, refProblems };
}

/**
 * HTTPRouteRule.BackendRefs: "If *all* entries in BackendRefs are invalid, and there are also
 * no filters specified in this route rule, *all* traffic which matches this rule MUST receive a
 * 500 status code." A rule with no backendRefs at all (and no redirect) also answers 500
 * (conformance HTTPRouteNoBackendRefs), as does one whose backends all have weight 0. Invalid
 * backends stay in the list with their weight so their share gets 500.
 */
function computeAction(redirect: ir.Redirect | null, refCount: number, backends: readonly ir.Backend[]): ir.Action {
  if (redirect && refCount === 0) return { kind: 'redirect', redirect };
  if (backends.length === 0) return { kind: 'direct', status: 500 };
  return { kind: 'forward', backends };
}
