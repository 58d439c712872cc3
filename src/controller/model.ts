/**
 * The controller's working graph: one node per object we reconcile, carrying the decisions made
 * about it (valid, accepted, conditions). Stages fill it in order (see translate.ts):
 *
 *   index → classes → gateways/listeners (+ ListenerSets) → routes (attachment, rules, refs)
 *         → IR → statuses
 *
 * Problems are data here: conditions on nodes, never exceptions.
 */
import type * as api from '../api/types.js';
import type * as ir from '../ir/types.js';
import type { BackendTLSPolicyTable } from './backend-tls-policies.js';
import type { GrpcMatchRank } from './grpc-matches.js';

/** A condition before timestamps and observedGeneration are added (see status.ts). */
export interface ConditionSpec {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

/** Lookup tables built once per pass from the Snapshot (see index.ts). Keys are `ns/name`. */
export interface ResourceIndex {
  readonly namespaces: ReadonlyMap<string, api.Namespace>;
  readonly services: ReadonlyMap<string, api.Service>;
  /** EndpointSlices by the `ns/service` they belong to (label kubernetes.io/service-name). */
  readonly endpointSlicesByService: ReadonlyMap<string, readonly api.EndpointSlice[]>;
  readonly secrets: ReadonlyMap<string, api.Secret>;
  readonly configMaps: ReadonlyMap<string, api.ConfigMap>;
  /** ReferenceGrants by the namespace they live in (the target namespace). */
  readonly referenceGrantsByNamespace: ReadonlyMap<string, readonly api.ReferenceGrant[]>;
  /** BackendTLSPolicies in effect (backend-tls-policies.ts); absent: no backend gets TLS. */
  readonly backendTLSPolicies?: BackendTLSPolicyTable;
}

export interface GatewayClassNode {
  readonly gatewayClass: api.GatewayClass;
  /** controllerName is ours and the class is Accepted. */
  readonly accepted: boolean;
  readonly conditions: ConditionSpec[];
}

/**
 * A listener of the merged listener set of a Gateway: its own listeners first, then those of
 * its allowed ListenerSets (oldest first, then `ns/name`).
 */
export interface ListenerNode {
  /** IR name: `<ns>/<gateway>/<listener>` or `<ns>/<listenerset>/<listener>`. */
  readonly key: string;
  /**
   * `<ns>/<gateway>#<position in the merged listener set>`: unique within a pass and the same in
   * every pass over the same Gateways and ListenerSets (attachment.ts placements).
   */
  readonly slot: string;
  readonly gateway: GatewayNode;
  /** Set when the listener comes from a ListenerSet. */
  readonly listenerSet: ListenerSetNode | null;
  readonly listener: api.Listener;
  /** Valid route kinds, as reported in status.supportedKinds (explicit group). */
  readonly supportedKinds: readonly api.RouteGroupKind[];
  /** TLS termination (HTTPS, TLS Terminate) when the certificates resolved (listener-tls.ts). */
  readonly tls?: ir.ListenerTLS | null;
  /**
   * Routes may attach and the listener is served (Accepted=True). A listener that is not
   * accepted still counts attachedRoutes but gets no traffic.
   */
  accepted: boolean;
  /** Programmed=True: accepted and all references resolved, so it is in the IR. */
  programmed: boolean;
  readonly conditions: ConditionSpec[];
  /** Routes with Accepted=True attached to this listener; incremented by the route stage. */
  attachedRoutes: number;
  /**
   * Rules the route stage attached, with the hostnames they serve on this listener, in route
   * order. Replaced, never mutated: the route stage may hand in an array kept across passes
   * (route-placements.ts).
   */
  attachments: readonly RouteAttachment[];
}

export interface GatewayNode {
  readonly gateway: api.Gateway;
  readonly gatewayClass: GatewayClassNode;
  /** Gateway Accepted=True (it has at least one valid listener and valid spec). */
  accepted: boolean;
  /** Addresses the Gateway serves on, as reported in status.addresses. */
  addresses: readonly string[];
  readonly conditions: ConditionSpec[];
  /** Merged listener set: own listeners, then ListenerSet listeners. */
  readonly listeners: ListenerNode[];
  readonly listenerSets: ListenerSetNode[];
}

export interface ListenerSetNode {
  readonly listenerSet: api.ListenerSet;
  /** The parent Gateway when it exists and is ours; null otherwise. */
  readonly gateway: GatewayNode | null;
  /** Allowed by the parent's allowedListeners and has at least one valid listener. */
  accepted: boolean;
  readonly conditions: ConditionSpec[];
  readonly listeners: ListenerNode[];
}

/** One route rule's presence on one listener. */
export interface RouteAttachment {
  /** `HTTPRoute`, `GRPCRoute`, … */
  readonly routeKind: string;
  readonly route: api.KubeObject;
  /** Effective hostnames on this listener after intersection; empty = any host. */
  readonly hostnames: readonly string[];
  /** The route's valid rules, already converted to IR (matches kept separately for ordering). */
  readonly rules: readonly AttachedRule[];
}

export interface AttachedRule {
  readonly rule: ir.Rule;
  readonly matches: readonly ir.Match[];
  /** Position of the rule in the route, for the "first rule in list order" tie-break. */
  readonly index: number;
  /** GRPCRoute rules: the precedence rank of each match (same order as `matches`). */
  readonly grpcRanks?: readonly GrpcMatchRank[];
}

/** Per-parentRef outcome for a route, rendered into status.parents. */
export interface RouteParentResult {
  readonly parentRef: api.ParentReference;
  readonly conditions: ConditionSpec[];
}

export interface RouteNode {
  readonly kind: string;
  readonly route: api.KubeObject;
  /** Only parentRefs that name a parent we own (our Gateway or ListenerSet). */
  readonly parents: RouteParentResult[];
}
