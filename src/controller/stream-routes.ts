/**
 * The route stage for the L4 routes: TLSRoute, TCPRoute and UDPRoute (spec digest §d.3, §d.6,
 * §d.7). Attachment reuses attachment.ts (parentRefs, sectionName, port, allowedRoutes kinds and
 * namespaces, hostname intersection for TLSRoute), backends reuse backend-refs.ts with the route
 * kind as the ReferenceGrant `from.kind`.
 *
 * - A route is Accepted on a parentRef when attachment succeeds; unresolved backends do not
 *   un-accept it (ResolvedRefs=False with the spec's reason), they keep their share of
 *   connections so that share is rejected: TCPRoute/TLSRoute "[…] the connection MUST be
 *   rejected" and UDPRoute packets dropped, proportionally to weight (tcproute_types.go,
 *   tlsroute_types.go, udproute_types.go BackendRefs).
 * - Several TCPRoutes/UDPRoutes on one listener are all Accepted and counted in attachedRoutes,
 *   but only the oldest gets traffic (conformance TCPRoute/UDPRouteMultipleRoutesAttachment):
 *   routes arrive oldest first and the IR keeps that order; the data plane serves the first.
 * - v1 routes have exactly one rule; v1alpha2 allowed up to 16, which has no defined meaning
 *   without matches: every rule becomes an IR StreamRoute in order, so only the first serves.
 */
import { CORE_GROUP } from '../api/types.js';
import type * as api from '../api/types.js';
import type * as ir from '../ir/types.js';
import type { GatewayNode, ListenerNode, ResourceIndex, RouteNode } from './model.js';
import { attachParentRefs } from './attachment.js';
import { resolveBackendRef, resolveEndpoints, type BackendResolution } from './backend-refs.js';
import { routeRefsNotResolved, routeResolvedRefs, type RefReason, type RouteProblem } from './route-conditions.js';

/** The L4 route kinds and the IR name prefix of each. */
export type StreamRouteKind = 'TLSRoute' | 'TCPRoute' | 'UDPRoute';

/** One L4 route's presence on one listener. */
export interface StreamAttachment {
  readonly routeKind: StreamRouteKind;
  /** `ns/name` of the route. */
  readonly route: string;
  /** Effective hostnames on this listener (TLSRoute only); empty = any SNI. */
  readonly hostnames: readonly string[];
  /** The route's rules as IR, hostnames still empty (filled per listener by the IR builder). */
  readonly rules: readonly ir.StreamRoute[];
}

/** What the stage produced: route nodes for status and per-listener attachments for the IR. */
export interface StreamRouteStage {
  readonly routes: RouteNode[];
  readonly attachments: Map<ListenerNode, StreamAttachment[]>;
}

/** Any L4 route object. */
type StreamRouteObject = api.TLSRoute | api.TCPRoute | api.UDPRoute;

/**
 * Attaches every TLSRoute, TCPRoute and UDPRoute (each list oldest first, as the snapshot keeps
 * them): increments `attachedRoutes` on the listeners where a route is Accepted and records the
 * attachment for the IR. Returns one RouteNode per route.
 */
export function processStreamRoutes(
  lists: { readonly tlsRoutes: readonly api.TLSRoute[]; readonly tcpRoutes: readonly api.TCPRoute[]; readonly udpRoutes: readonly api.UDPRoute[] },
  gateways: readonly GatewayNode[],
  index: ResourceIndex,
): StreamRouteStage {
  const attachments = new Map<ListenerNode, StreamAttachment[]>();
  const routes: RouteNode[] = [];
  for (const r of lists.tlsRoutes) routes.push(processStreamRoute('TLSRoute', r, gateways, index, attachments));
  for (const r of lists.tcpRoutes) routes.push(processStreamRoute('TCPRoute', r, gateways, index, attachments));
  for (const r of lists.udpRoutes) routes.push(processStreamRoute('UDPRoute', r, gateways, index, attachments));
  return { routes, attachments };
}

function processStreamRoute(
  kind: StreamRouteKind,
  route: StreamRouteObject,
  gateways: readonly GatewayNode[],
  index: ResourceIndex,
  out: Map<ListenerNode, StreamAttachment[]>,
): RouteNode {
  const namespace = route.metadata.namespace ?? 'default';
  const key = `${namespace}/${route.metadata.name}`;
  const refProblems: RouteProblem<RefReason>[] = [];
  const rules = (route.spec?.rules ?? []).map((rule, i) => convertStreamRule(kind, route, rule, i, index, refProblems));
  const resolvedRefs = refProblems.length > 0 ? routeRefsNotResolved(refProblems) : routeResolvedRefs();
  const hostnames = kind === 'TLSRoute' ? (route as api.TLSRoute).spec?.hostnames : undefined;

  const parents = attachParentRefs(
    { kind, namespace, hostnames },
    route.spec?.parentRefs ?? [],
    gateways,
    index,
    { notAccepted: null, resolvedRefs, partiallyInvalid: null },
    (a) => {
      const attachment: StreamAttachment = { routeKind: kind, route: key, hostnames: a.hostnames, rules };
      const list = out.get(a.listener);
      if (list) list.push(attachment);
      else out.set(a.listener, [attachment]);
      a.listener.attachedRoutes += 1;
    },
  );
  return { kind, route, parents };
}

/** One rule → an IR StreamRoute (hostnames filled later). Ref problems are appended to `problems`. */
function convertStreamRule(
  kind: StreamRouteKind,
  route: StreamRouteObject,
  rule: api.StreamRouteRule,
  i: number,
  index: ResourceIndex,
  problems: RouteProblem<RefReason>[],
): ir.StreamRoute {
  const namespace = route.metadata.namespace ?? 'default';
  const from = { kind, namespace };
  const backends: ir.Backend[] = [];
  (rule.backendRefs ?? []).forEach((ref, j) => {
    const weight = ref.weight ?? 1;
    const resolved = resolveStreamBackend(index, from, ref, weight, `spec.rules[${i}].backendRefs[${j}]`);
    if (resolved.problem) problems.push(resolved.problem);
    // BackendRef.Weight: "If weight is set to 0, no traffic should be forwarded for this entry."
    if (weight > 0) backends.push(resolved.backend);
  });
  return {
    name: `${kind.toLowerCase()}/${namespace}/${route.metadata.name}/rule/${i}`,
    route: `${namespace}/${route.metadata.name}`,
    hostnames: [],
    backends,
  };
}

/**
 * resolveBackendRef, except that a Service port's appProtocol does not matter: appProtocol names
 * the application protocol, and an L4 route forwards the bytes whatever they are. A port whose
 * appProtocol the HTTP data plane cannot speak is still a valid L4 backend.
 */
function resolveStreamBackend(
  index: ResourceIndex,
  from: { readonly kind: string; readonly namespace: string },
  ref: api.BackendRef,
  weight: number,
  field: string,
): BackendResolution {
  const resolved = resolveBackendRef(index, from, ref, weight, field);
  if (resolved.problem?.reason !== 'UnsupportedProtocol') return resolved;
  const namespace = ref.namespace ?? from.namespace;
  const service = index.services.get(`${namespace}/${ref.name}`);
  const port = service?.spec?.ports?.find((p) => p.port === ref.port);
  if ((ref.group ?? CORE_GROUP) !== CORE_GROUP || !port) return resolved;
  return {
    backend: {
      kind: 'service',
      name: resolved.backend.name,
      weight,
      protocol: 'http1',
      tls: null,
      endpoints: resolveEndpoints(index, namespace, ref.name, port),
      requestFilters: [],
      redirect: null,
      responseHeaders: null,
    },
    problem: null,
  };
}
