/**
 * Route attachment: parentRefs → listeners (spec digest §d.3).
 *
 * ParentReference: group defaults to gateway.networking.k8s.io, kind to Gateway, namespace to
 * the route's. "SectionName is the name of a section within the target resource. […] When both
 * Port (experimental) and SectionName are specified, the name and port of the selected listener
 * must match both specified values." and "When unspecified (empty string), this will reference
 * the entire resource." A Gateway parentRef reaches only the Gateway's own listeners, a
 * ListenerSet parentRef only that ListenerSet's (GEP-1713 "Route Attachment").
 *
 * Each candidate listener is then checked for allowedRoutes (kinds, namespaces) and hostname
 * intersection. ListenerStatus.AttachedRoutes: "Successful attachment of a Route to a Listener
 * is based solely on the combination of the AllowedRoutes field on the corresponding Listener
 * and the Route's ParentRefs field. […] Listener or Route status does not impact successful
 * attachment" — so a listener that is not Accepted still takes (and counts) routes; it just
 * serves no traffic.
 */
import { GATEWAY_GROUP } from '../api/types.js';
import type * as api from '../api/types.js';
import type {
  AttachedRule,
  RouteAttachment,
  ConditionSpec,
  GatewayNode,
  ListenerNode,
  ListenerSetNode,
  ResourceIndex,
  RouteNode,
  RouteParentResult,
} from './model.js';
import { intersectHostnames } from './hostnames.js';
import { exact } from './exact-array.js';
import { namespaceLabels } from './index.js';
import {
  routeAccepted,
  routeAllRulesInvalid,
  routeNoMatchingListenerHostname,
  routeNoMatchingParent,
  routeNotAllowedByListeners,
  routePartiallyInvalid,
  routeRefsNotResolved,
  routeResolvedRefs,
  type RefReason,
  type RouteProblem,
  type RuleInvalidReason,
} from './route-conditions.js';
import { matchesLabelSelector } from './label-selector.js';
import { placeAll, updatePlacements, type KindPlacements } from './route-placements.js';

/** A parentRef that names one of our parents. */
export interface ResolvedParent {
  readonly kind: 'Gateway' | 'ListenerSet';
  /** `ns/name` of the parent, for messages. */
  readonly key: string;
  readonly gateway: GatewayNode;
  readonly listenerSet: ListenerSetNode | null;
  /** The parent's own listeners. */
  readonly listeners: readonly ListenerNode[];
}

/** The route as attachment sees it. */
export interface AttachingRoute {
  readonly kind: string;
  readonly namespace: string;
  readonly hostnames: readonly string[] | undefined;
}

/** One listener a parentRef attached the route to, with the effective hostnames there. */
export interface ListenerAttachment {
  readonly listener: ListenerNode;
  /** `[]` = any host. */
  readonly hostnames: readonly string[];
}

export type AttachmentResult =
  | { readonly ok: true; readonly attachments: readonly ListenerAttachment[] }
  | { readonly ok: false; readonly condition: ConditionSpec };

/** The parentRef as status echoes it: as written, with the group and kind defaults filled in. */
function echoParentRef(ref: api.ParentReference): api.ParentReference {
  const out: api.ParentReference = { group: ref.group ?? GATEWAY_GROUP, kind: ref.kind ?? 'Gateway', name: ref.name };
  if (ref.namespace !== undefined) out.namespace = ref.namespace;
  if (ref.sectionName !== undefined) out.sectionName = ref.sectionName;
  if (ref.port !== undefined) out.port = ref.port;
  return out;
}

/**
 * Finds the parent a parentRef names among our Gateways (and their ListenerSets), or null when
 * it is not ours — a kind we do not serve, a missing object, another controller's Gateway.
 * RouteStatus.Parents: "parent references that cannot be resolved by an implementation of this
 * API will not be added to this list."
 */
function resolveParentRef(
  ref: api.ParentReference,
  routeNamespace: string,
  gateways: readonly GatewayNode[],
): ResolvedParent | null {
  const group = ref.group ?? GATEWAY_GROUP;
  const kind = ref.kind ?? 'Gateway';
  const namespace = ref.namespace ?? routeNamespace;
  if (group !== GATEWAY_GROUP) return null;
  const key = `${namespace}/${ref.name}`;
  if (kind === 'Gateway') {
    const gateway = gateways.find((g) => g.gateway.metadata.namespace === namespace && g.gateway.metadata.name === ref.name);
    if (!gateway) return null;
    const listeners = gateway.listeners.filter((l) => l.listenerSet === null);
    return { kind, key, gateway, listenerSet: null, listeners };
  }
  if (kind === 'ListenerSet') {
    for (const gateway of gateways) {
      const ls = gateway.listenerSets.find(
        (s) => s.listenerSet.metadata.namespace === namespace && s.listenerSet.metadata.name === ref.name,
      );
      if (ls) return { kind, key, gateway, listenerSet: ls, listeners: ls.listeners };
    }
  }
  return null;
}

/** One rule of an HTTP-family route (HTTPRoute, GRPCRoute) after conversion to IR. */
export interface ConvertedRule {
  readonly index: number;
  /** Null when the rule is dropped. */
  readonly attached: AttachedRule | null;
  readonly invalid: readonly RouteProblem<RuleInvalidReason>[];
  readonly refProblems: readonly RouteProblem<RefReason>[];
}

/** An HTTP-family route whose rules are converted, ready to attach. */
export interface RouteToAttach {
  /** `HTTPRoute`, `GRPCRoute`. */
  readonly kind: string;
  readonly route: api.KubeObject & { readonly spec?: { readonly parentRefs?: api.ParentReference[]; readonly hostnames?: string[] } };
  readonly rules: readonly ConvertedRule[];
}

/** One listener an HTTP-family route is Accepted on, and what it brings there. */
export interface Placement {
  /** The listener's slot (listenerSlots): stable across passes over the same Gateways. */
  readonly slot: string;
  readonly attachment: RouteAttachment;
}

/** The outcome of attaching one HTTP-family route: its status entries and its placements. */
export interface AttachedRoute {
  readonly node: RouteNode;
  readonly placements: readonly Placement[];
}

/**
 * Attaches an HTTP-family route to the listeners its parentRefs select. Listeners are not
 * touched: attachRoutes places the returned placements (route-placements.ts), so an unchanged
 * route's result can be kept for later passes (translate-cache.ts). The RouteNode has one result
 * per parentRef that names one of our Gateways or ListenerSets (others are not reported).
 *
 * Validity (RouteConditionPartiallyInvalid, "Drop Rule(s)"): Accepted=True + PartiallyInvalid=True
 * when some rules are valid, Accepted=False when none is ("A Route MUST be considered
 * "Accepted" if at least one of the Route's rules is implemented by the Gateway").
 */
export function attachRoute(r: RouteToAttach, gateways: readonly GatewayNode[], index: ResourceIndex): AttachedRoute {
  const { kind, route, rules } = r;
  const namespace = route.metadata.namespace ?? 'default';
  const served: AttachedRule[] = [];
  for (const x of rules) if (x.attached) served.push(x.attached);
  const invalidRules = rules.filter((x) => x.invalid.length > 0);
  const invalidProblems = invalidRules.flatMap((x) => x.invalid);
  const validCount = rules.length - invalidRules.length;
  const refProblems = rules.flatMap((x) => x.refProblems);
  const resolvedRefs = refProblems.length > 0 ? routeRefsNotResolved(refProblems) : routeResolvedRefs();

  const allInvalid = validCount === 0 ? routeAllRulesInvalid(invalidProblems) : null;
  const partiallyInvalid =
    validCount > 0 && invalidRules.length > 0
      ? routePartiallyInvalid(invalidRules.map((x) => `spec.rules[${x.index}]`), invalidProblems)
      : null;
  const placements: Placement[] = [];
  const servedRules = exact(served); // one array shared by every listener the route lands on
  const parents = attachParentRefs(
    { kind, namespace, hostnames: route.spec?.hostnames },
    route.spec?.parentRefs ?? [],
    gateways,
    index,
    { notAccepted: allInvalid, resolvedRefs, partiallyInvalid },
    ({ listener, hostnames }) => placements.push({ slot: listener.slot, attachment: { routeKind: kind, route, hostnames, rules: servedRules } }),
  );
  return { node: { kind, route, parents }, placements: exact(placements) };
}

/**
 * Reuses per-route results of an earlier pass (translate-cache.ts); the default computes. A
 * route's converted rules depend on the route and the resource index, its attachment also on
 * the Gateways and their listeners.
 */
export interface RouteMemo {
  rules(route: object, compute: () => ConvertedRule[]): readonly ConvertedRule[];
  /** The attachment remembered for `route`, if any (a lookup: no closure per route and pass). */
  attachedOf(route: object): AttachedRoute | undefined;
  rememberAttached(route: object, attached: AttachedRoute): void;
  /** The placements of `kind`'s routes in the previous pass, while its attachments are still valid. */
  placementsOf(kind: string): KindPlacements | undefined;
  /**
   * `updated`: built from the previous placements rather than by placing every route;
   * `unvisited`: the routes kept from them without being looked at (reused as they were).
   */
  rememberPlacements(kind: string, placements: KindPlacements, how: { readonly updated: boolean; readonly unvisited: number }): void;
}

export const NO_MEMO: RouteMemo = {
  rules: (_, compute) => compute(),
  attachedOf: () => undefined,
  rememberAttached: () => undefined,
  placementsOf: () => undefined,
  rememberPlacements: () => undefined,
};

/**
 * Converts and attaches HTTP-family routes of one kind, in snapshot order (oldest first), and
 * places them on the listeners: each listener's `attachments` gets the routes' attachments in
 * route order and `attachedRoutes` counts them. Where the memo has the previous pass's
 * placements, only what changed is placed (route-placements.ts). Returns one RouteNode per route.
 */
export function attachRoutes<R extends RouteToAttach['route']>(
  kind: string,
  routes: readonly R[],
  convert: (route: R) => ConvertedRule[],
  gateways: readonly GatewayNode[],
  index: ResourceIndex,
  memo: RouteMemo,
): readonly RouteNode[] {
  let attached = 0;
  const attach = (route: object): AttachedRoute => {
    attached++;
    return memo.attachedOf(route) ?? attachAndRemember(kind, route as R, convert, gateways, index, memo);
  };
  const prev = memo.placementsOf(kind);
  const updated = prev === undefined ? null : updatePlacements(prev, routes, attach);
  const placed = updated ?? placeAll(routes, attach);
  memo.rememberPlacements(kind, placed, { updated: updated !== null, unvisited: routes.length - attached });
  const listeners = listenerSlots(gateways);
  for (const [slot, { attachments }] of placed.slots) {
    const listener = listeners.get(slot);
    if (listener === undefined) throw new Error(`internal: no listener in slot ${slot}`);
    listener.attachments = listener.attachments.length === 0 ? attachments : listener.attachments.concat(attachments);
    listener.attachedRoutes += attachments.length;
  }
  return placed.nodes;
}

/**
 * A route the memo does not know, attached and remembered. A function of its own so that
 * attachRoutes' `attach`, called for every route when all are placed, creates no closure over
 * the route (which made each call allocate a context, hit or not).
 */
function attachAndRemember<R extends RouteToAttach['route']>(
  kind: string,
  route: R,
  convert: (route: R) => ConvertedRule[],
  gateways: readonly GatewayNode[],
  index: ResourceIndex,
  memo: RouteMemo,
): AttachedRoute {
  const attached = attachRoute({ kind, route, rules: memo.rules(route, () => convert(route)) }, gateways, index);
  memo.rememberAttached(route, attached);
  return attached;
}

/**
 * Everything about the listeners that attachment reads (slots, names, ports, hostnames, kinds,
 * allowedRoutes, owners and whether a ListenerSet is accepted), as one string: an attachment
 * computed in a pass with the same signature (and the same resource index) is still right.
 */
export function attachmentSignature(gateways: readonly GatewayNode[]): string {
  const parts: string[] = [];
  for (const g of gateways) {
    for (const l of g.listeners) {
      const ls = l.listenerSet;
      parts.push(JSON.stringify([
        l.slot, l.key, l.listener.name, l.listener.port, l.listener.hostname ?? null, l.supportedKinds, l.listener.allowedRoutes ?? null,
        ls === null ? null : [ls.listenerSet.metadata.namespace, ls.listenerSet.metadata.name, ls.accepted],
      ]));
    }
    parts.push(JSON.stringify([g.gateway.metadata.namespace, g.gateway.metadata.name, g.listenerSets.map((s) => [s.listenerSet.metadata.namespace, s.listenerSet.metadata.name, s.accepted])]));
  }
  return parts.join('\n');
}

/** Every listener of every Gateway (its own and its ListenerSets') by slot. */
function listenerSlots(gateways: readonly GatewayNode[]): Map<string, ListenerNode> {
  const out = new Map<string, ListenerNode>();
  for (const g of gateways) for (const l of g.listeners) out.set(l.slot, l);
  return out;
}

/** What a route's rules decided, the same for every parentRef. */
export interface RuleVerdict {
  /** Accepted=False when no rule can be served (null: some can). */
  readonly notAccepted: ConditionSpec | null;
  readonly resolvedRefs: ConditionSpec;
  /** PartiallyInvalid=True when some rules were dropped (null: none). */
  readonly partiallyInvalid: ConditionSpec | null;
}

/**
 * Attaches a route through each of its parentRefs that names one of our parents (others are
 * not reported): `attach` is called once per listener the route is Accepted on (a listener two
 * parentRefs select counts the route once); it records the attachment and counts it in the
 * listener's `attachedRoutes`.
 * Returns one status entry per such parentRef: Accepted (or why not), ResolvedRefs and, when
 * rules were dropped, PartiallyInvalid.
 */
export function attachParentRefs(
  route: AttachingRoute,
  parentRefs: readonly api.ParentReference[],
  gateways: readonly GatewayNode[],
  index: ResourceIndex,
  verdict: RuleVerdict,
  attach: (attachment: ListenerAttachment) => void,
): RouteParentResult[] {
  const parents: RouteParentResult[] = [];
  // One parentRef selects each listener once: only several can select one twice.
  const attachedTo = parentRefs.length > 1 ? new Set<ListenerNode>() : null;
  parentRefs.forEach((ref, i) => {
    const parent = resolveParentRef(ref, route.namespace, gateways);
    if (!parent) return;
    const result = attachToParent(route, ref, parent, index, `spec.parentRefs[${i}]`);
    const conditions: ConditionSpec[] = [];
    if (!result.ok) conditions.push(result.condition);
    else if (verdict.notAccepted) conditions.push(verdict.notAccepted);
    else {
      conditions.push(routeAccepted());
      for (const a of result.attachments) {
        if (attachedTo !== null) {
          if (attachedTo.has(a.listener)) continue; // two parentRefs selecting the same listener
          attachedTo.add(a.listener);
        }
        attach(a);
      }
    }
    conditions.push(verdict.resolvedRefs);
    if (result.ok && !verdict.notAccepted && verdict.partiallyInvalid) conditions.push(verdict.partiallyInvalid);
    parents.push({ parentRef: echoParentRef(ref), conditions: exact(conditions) });
  });
  return exact(parents);
}

/** Attaches a route to the listeners one parentRef selects. `field` is `spec.parentRefs[i]`. */
function attachToParent(
  route: AttachingRoute,
  ref: api.ParentReference,
  parent: ResolvedParent,
  index: ResourceIndex,
  field: string,
): AttachmentResult {
  const what = `${parent.kind} ${parent.key}`;
  if (parent.listenerSet && !parent.listenerSet.accepted) {
    return fail(routeNotAllowedByListeners(`${what} is not accepted by its parent Gateway (${field}).`));
  }
  const candidates = parent.listeners.filter(
    (l) => (ref.sectionName === undefined || l.listener.name === ref.sectionName) && (ref.port === undefined || l.listener.port === ref.port),
  );
  if (candidates.length === 0) {
    const wanted = [
      ref.sectionName !== undefined ? `named "${ref.sectionName}"` : '',
      ref.port !== undefined ? `on port ${ref.port}` : '',
    ].filter(Boolean).join(' ');
    return fail(routeNoMatchingParent(`${what} has no listener${wanted ? ` ${wanted}` : ''} (${field}).`));
  }
  const kindOk = candidates.filter((l) => isKindAllowed(l, route.kind));
  if (kindOk.length === 0) {
    return fail(routeNotAllowedByListeners(`No selected listener of ${what} allows ${route.kind} (${field}).`));
  }
  const allowed = kindOk.filter((l) => isNamespaceAllowed(l, route.namespace, index));
  if (allowed.length === 0) {
    return fail(
      routeNotAllowedByListeners(`No selected listener of ${what} allows routes from namespace ${route.namespace} (${field}).`),
    );
  }
  const attachments: ListenerAttachment[] = [];
  for (const listener of allowed) {
    const hostnames = intersectHostnames(listener.listener.hostname, route.hostnames);
    if (hostnames !== null) attachments.push({ listener, hostnames });
  }
  if (attachments.length === 0) {
    return fail(
      routeNoMatchingListenerHostname(`No hostname of the route intersects a listener hostname of ${what} (${field}).`),
    );
  }
  return { ok: true, attachments };
}

/** Does the listener's supportedKinds include this route kind (group gateway.networking.k8s.io)? */
function isKindAllowed(listener: ListenerNode, kind: string): boolean {
  return listener.supportedKinds.some((k) => (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && k.kind === kind);
}

/**
 * allowedRoutes.namespaces. RouteNamespaces.From: "Same: Only Routes in the same namespace may
 * be used by this Gateway" (for a ListenerSet listener, the ListenerSet's namespace); "All:
 * Routes in all namespaces"; "Selector: Routes in namespaces selected by the selector".
 */
function isNamespaceAllowed(listener: ListenerNode, routeNamespace: string, index: ResourceIndex): boolean {
  const from = listener.listener.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') {
    const owner = listener.listenerSet ? listener.listenerSet.listenerSet.metadata.namespace : listener.gateway.gateway.metadata.namespace;
    return owner === routeNamespace;
  }
  if (from === 'Selector') {
    const selector = listener.listener.allowedRoutes?.namespaces?.selector;
    if (!selector) return false;
    return matchesLabelSelector(selector, namespaceLabels(index, routeNamespace));
  }
  return false;
}


function fail(condition: ConditionSpec): AttachmentResult {
  return { ok: false, condition };
}
