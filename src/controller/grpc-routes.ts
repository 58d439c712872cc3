/**
 * The route stage for GRPCRoutes: rules → IR rules of kind 'GRPCRoute', then attachment to
 * listeners (attachRoute, the same rules as HTTPRoute: parentRefs, sectionName, port,
 * allowedRoutes, hostname intersection).
 *
 * A GRPCRoute rule becomes an IR rule matching the request path `/<service>/<method>`
 * (grpc-matches.ts). Filters (GRPCRouteFilter: RequestHeaderModifier core,
 * ResponseHeaderModifier and RequestMirror extended, ExtensionRef) are converted by the same
 * code as HTTPRoute's; other filter types cannot appear (CRD enum) and are refused if they do.
 * GRPCRouteRule has no timeouts or retry. Backends are spoken to over HTTP/2
 * (computeGrpcBackendProtocol in backend-refs.ts).
 *
 * Failures: GRPCRouteRule.BackendRefs: "If *all* entries in BackendRefs are invalid, and there
 * are also no filters specified in this route rule, *all* traffic which matches this rule MUST
 * receive an `UNAVAILABLE` status. […] When a GRPCBackendRef is invalid, `UNAVAILABLE` statuses
 * MUST be returned for requests that would have otherwise been routed to an invalid backend."
 * The IR keeps HTTPRoute's shape (direct 500, invalid backends with status 500); the data plane
 * answers those the gRPC way (UNAVAILABLE) because the rule's kind is 'GRPCRoute'.
 *
 * HTTPRoute and GRPCRoute on one listener with intersecting hostnames: both are accepted (since
 * v1.6 rejecting one is optional). "Merging MUST not be done between GRPCRoutes and
 * HTTPRoutes": virtual hosts keep the two kinds apart (precedence.ts), and the data plane
 * matches a gRPC request (content-type application/grpc…) against the GRPCRoute entries of
 * its virtual host — or, when the virtual host has none, the HTTPRoute entries — and any other
 * request only against HTTPRoute entries. See docs/grpc.md.
 */
import type * as api from '../api/types.js';
import type * as ir from '../ir/types.js';
import type { GatewayNode, ResourceIndex, RouteNode } from './model.js';
import { attachRoutes, NO_MEMO, type ConvertedRule, type RouteMemo } from './attachment.js';
import { resolveBackendRef } from './backend-refs.js';
import { convertGrpcMatches } from './grpc-matches.js';
import { exact } from './exact-array.js';
import { failClosedRule, irRule } from './ir-rule.js';
import { convertBackendFilters, convertRuleFilters } from './route-filters.js';
import { fieldMessage, unsupported, type RefReason, type RouteProblem, type RuleInvalidReason } from './route-conditions.js';

const ROUTE_KIND = 'GRPCRoute';

/** GRPCRouteFilter.Type enum. */
const GRPC_FILTERS = new Set(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef']);
/** GRPCBackendRef filters we apply (the backend-level subset route-filters.ts supports). */
const GRPC_BACKEND_FILTERS = new Set(['RequestHeaderModifier', 'ResponseHeaderModifier']);

const NO_TIMEOUTS: ir.Timeouts = { requestMs: null, backendRequestMs: null };

/** Attaches every GRPCRoute (see the file comment). One RouteNode per route. */
export function processGRPCRoutes(
  routes: readonly api.GRPCRoute[],
  gateways: readonly GatewayNode[],
  index: ResourceIndex,
  memo: RouteMemo = NO_MEMO,
): readonly RouteNode[] {
  return attachRoutes(ROUTE_KIND, routes, (route) => convertGrpcRules(route, index), gateways, index, memo);
}

/**
 * Converts every rule of a GRPCRoute to IR. A route without rules is read like HTTPRoute's CRD
 * default: one rule matching every call, with no backends (UNAVAILABLE).
 */
function convertGrpcRules(route: api.GRPCRoute, index: ResourceIndex): ConvertedRule[] {
  return (route.spec?.rules ?? [{}]).map((rule, i) => convertGrpcRule(route, rule, i, index));
}

function convertGrpcRule(route: api.GRPCRoute, rule: api.GRPCRouteRule, i: number, index: ResourceIndex): ConvertedRule {
  const namespace = route.metadata.namespace ?? 'default';
  const field = `spec.rules[${i}]`;
  const from = { kind: ROUTE_KIND, namespace };
  const ctx = { index, from, matches: undefined };
  const matches = convertGrpcMatches(rule.matches, field);
  const invalid: RouteProblem<RuleInvalidReason>[] = [...matches.problems];
  const refProblems: RouteProblem<RefReason>[] = [];

  const filterList = rule.filters ?? [];
  filterList.forEach((f, k) => {
    if (!GRPC_FILTERS.has(f.type)) {
      invalid.push(unsupported(fieldMessage(`${field}.filters[${k}].type`, `filter type "${f.type}" is not supported on a GRPCRoute`)));
    }
  });
  const filters = convertRuleFilters(ctx, filterList.filter((f) => GRPC_FILTERS.has(f.type)), field);
  invalid.push(...filters.invalid);
  refProblems.push(...filters.refProblems);

  const backends: ir.Backend[] = [];
  (rule.backendRefs ?? []).forEach((ref, j) => {
    const at = `${field}.backendRefs[${j}]`;
    const weight = ref.weight ?? 1;
    const resolved = resolveBackendRef(index, from, ref, weight, at);
    if (resolved.problem) refProblems.push(resolved.problem);
    const refFilters = ref.filters ?? [];
    refFilters.forEach((f, k) => {
      if (!GRPC_BACKEND_FILTERS.has(f.type)) {
        invalid.push(unsupported(fieldMessage(`${at}.filters[${k}].type`, `filter type "${f.type}" is not supported on a GRPCRoute backendRef`)));
      }
    });
    const extra = convertBackendFilters(ctx, refFilters.filter((f) => GRPC_BACKEND_FILTERS.has(f.type)), at, invalid);
    if (weight === 0) return; // BackendRef.Weight: "If weight is set to 0, no traffic should be forwarded for this entry."
    backends.push(resolved.backend.kind === 'service' ? { ...resolved.backend, ...extra } : resolved.backend);
  });

  const name = `grpcroute/${namespace}/${route.metadata.name}/rule/${i}`;
  const base = { name, kind: ROUTE_KIND, route: `${namespace}/${route.metadata.name}`, sectionName: rule.name ?? null } as const;
  if (matches.problems.length > 0 || matches.matches.length === 0) return { index: i, attached: null, invalid, refProblems };
  const converted = invalid.length > 0 || filters.respond500
    ? failClosedRule(base, NO_TIMEOUTS)
    : irRule(base, {
        requestFilters: filters.requestFilters,
        responseHeaders: filters.responseHeaders,
        cors: null,
        mirrors: filters.mirrors,
        action: backends.length === 0 ? { kind: 'direct', status: 500 } : { kind: 'forward', backends: exact(backends) },
        timeouts: NO_TIMEOUTS,
        retry: null,
      });
  return { index: i, attached: { rule: converted, matches: matches.matches, index: i, grpcRanks: matches.ranks }, invalid, refProblems };
}
