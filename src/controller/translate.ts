/**
 * translate(): the controller. Pure, synchronous, deterministic — no I/O, clock or randomness.
 *
 *   translate(snapshot, options) → { statuses, ir, assigned }
 *
 * Stages, in order (see model.ts for the graph they fill):
 *   1. index       lookup tables (index.ts)
 *   2. classes     our GatewayClasses, accepted or not (gateway-class.ts)
 *   3. gateways    Gateways, merged listener sets with ListenerSets, conflicts, addresses
 *                  (gateways.ts, listeners.ts, listener-sets.ts, addresses.ts, certificates.ts)
 *   4. routes      attachment, rules, references (http-routes.ts, grpc-routes.ts; TLS/TCP/UDP: stream-routes.ts)
 *   5. IR          servers and listeners (build-servers.ts, virtual-hosts.ts;
 *                  L4: build-stream-listeners.ts)
 *   6. statuses    conditions stamped with generation and `now` (status.ts)
 *
 * Bad user input becomes status conditions and omissions from the IR; it never throws.
 * The snapshot is already sorted (oldest first, then `ns/name`), which every stage relies on
 * for the spec's tie-breaks.
 */
import type { Snapshot } from '../source/snapshot.js';
import type * as ir from '../ir/types.js';
import { IR_VERSION } from '../ir/types.js';
import { buildResourceIndex } from './index.js';
import { acceptedClassesByName, buildGatewayClassNodes } from './gateway-class.js';
import { buildGateways } from './gateways.js';
import { processHTTPRoutes } from './http-routes.js';
import { processGRPCRoutes } from './grpc-routes.js';
import { buildVirtualHosts } from './virtual-hosts.js';
import { buildServers, compareServerNames } from './build-servers.js';
import { knownParameters } from './parameters-ref.js';
import { buildBackendTLSPolicies } from './backend-tls-policies.js';
import { collectPolicyAncestors, renderBackendTLSPolicyStatuses } from './backend-tls-status.js';
import { finishBackendTLS, resolveBackendClientCertificates } from './backend-client-certificate.js';
import { processStreamRoutes } from './stream-routes.js';
import { buildStreamServers } from './build-stream-listeners.js';
import { renderGatewayClassStatus, renderGatewayStatus, renderListenerSetStatus, renderRouteStatus } from './status.js';
import type { TranslateCache } from './translate-cache.js';
import type { RouteNode } from './model.js';
import { NO_MEMO } from './attachment.js';

export { TranslateCache } from './translate-cache.js';

export interface TranslateOptions {
  /** Our GatewayClass controllerName, e.g. `waygate.dev/gateway-controller`. */
  readonly controllerName: string;
  /** RFC 3339 timestamp used as lastTransitionTime for conditions written in this pass. */
  readonly now: string;
  readonly addresses: AddressOptions;
  /**
   * Reuses per-route work of earlier passes (translate-cache.ts). The result is the same with
   * or without it, except that a reused route's status keeps the lastTransitionTime of the pass
   * that first rendered it; pass the same cache to consecutive passes of one controller.
   */
  readonly cache?: TranslateCache;
  /**
   * Conformance features claimed on top of SUPPORTED_FEATURES (e.g. what provisioning adds),
   * listed in our GatewayClasses' status.supportedFeatures (sorted, no duplicates).
   */
  readonly extraFeatures?: readonly string[];
}

export interface AddressOptions {
  /** IPs handed out, in order, to Gateways that request none (or a type without a value). */
  readonly pool: readonly string[];
  /** Addresses each Gateway (`ns/name`) had after the previous pass, so it keeps them. */
  readonly assigned: Readonly<Record<string, readonly string[]>>;
  /** IPs this host can bind (a static address outside it is not usable). */
  readonly isUsable: (ip: string) => boolean;
}

/** The status one object should have, as the API would store it. */
export interface StatusUpdate {
  readonly kind: string;
  readonly namespace: string | null;
  readonly name: string;
  readonly generation: number;
  readonly status: Record<string, unknown>;
}

export interface TranslateResult {
  /**
   * Only objects we own (our GatewayClasses, their Gateways, routes attached to them). Rendered
   * on first read (a getter; the same array on every read).
   */
  readonly statuses: readonly StatusUpdate[];
  /**
   * The statuses of our GatewayClasses, Gateways and ListenerSets: the same objects that lead
   * `statuses`, without rendering (or walking) thousands of routes' (the provisioner reads them).
   */
  readonly infrastructureStatuses: readonly StatusUpdate[];
  readonly ir: ir.Config;
  /** The addresses assigned to each Gateway (`ns/name`), to pass back in the next pass. */
  readonly assigned: Readonly<Record<string, readonly string[]>>;
}

/** Runs the controller over one snapshot. See the module comment for the stages. */
export function translate(snapshot: Snapshot, options: TranslateOptions): TranslateResult {
  const { controllerName, now, cache } = options;
  cache?.begin(snapshot, controllerName);
  const baseIndex = buildResourceIndex(snapshot);
  // BackendTLSPolicies first: the route stages look them up while resolving backendRefs.
  const backendTLSPolicies = buildBackendTLSPolicies(snapshot.backendTLSPolicies, baseIndex);
  const index = { ...baseIndex, backendTLSPolicies };

  const parameters = knownParameters(snapshot.waygateParameters);
  const classes = buildGatewayClassNodes(snapshot.gatewayClasses, controllerName, parameters);
  const gatewayStage = buildGateways(
    snapshot.gateways,
    snapshot.listenerSets,
    acceptedClassesByName(classes),
    index,
    options.addresses,
    parameters,
  );
  const { gateways, listenerSets } = gatewayStage;
  const clientCertificates = resolveBackendClientCertificates(gateways, index);
  cache?.gatewaysBuilt(gateways);
  const memo = cache ?? NO_MEMO;

  // Route nodes per kind, as the stages return them, never joined: only statuses read them all
  // (a pass at 5k routes would otherwise copy 5k pointers it does not read).
  const httpRoutes = processHTTPRoutes(snapshot.httpRoutes, gateways, index, controllerName, memo);
  const grpcRoutes = processGRPCRoutes(snapshot.grpcRoutes, gateways, index, memo);
  const streams = processStreamRoutes(snapshot, gateways, index);
  const routeLists: readonly (readonly RouteNode[])[] = [httpRoutes, grpcRoutes, streams.routes];

  const servers = buildServers(gateways, cache ? (l) => cache.virtualHosts.build(l) : buildVirtualHosts);
  const streamServers = buildStreamServers(gateways, streams.attachments, (l) => l.tls ?? null);
  // buildServers hands them out sorted; only the stream servers need merging in.
  if (streamServers.length > 0) {
    servers.push(...streamServers);
    servers.sort(compareServerNames);
  }
  const config: ir.Config = { version: IR_VERSION, servers };

  // Backend TLS per Gateway (client certificate), then the policies' ancestors.
  // Only a BackendTLSPolicy gives a backend TLS (backend-refs.ts): without one there is nothing
  // to finish, and walking every rule of every server would cost a pass at thousands of routes.
  const finished = backendTLSPolicies.winners.size > 0 ? finishBackendTLS(config.servers, clientCertificates) : config.servers;
  const served: ir.Config = { ...config, servers: cache ? cache.shareServers(finished) : finished };
  collectPolicyAncestors(backendTLSPolicies, gateways, served.servers, index);

  // Statuses are rendered when first read: a standalone runtime reads them only when someone
  // asks (admin /status), so back-to-back passes do not render statuses of every route (~7 ms
  // at 5k routes whenever `now` moves on). The graph is not changed after this point.
  let statuses: StatusUpdate[] | null = null;
  let infrastructure: StatusUpdate[] | null = null;
  const renderInfrastructure = (): StatusUpdate[] => [
    ...classes.map((c) => renderGatewayClassStatus(c, now, options.extraFeatures)),
    ...gateways.map((g) => renderGatewayStatus(g, now)),
    ...listenerSets.map((s) => renderListenerSetStatus(s, now)),
  ];
  // One array of the exact size, no intermediate lists (Kubernetes mode reads them every pass).
  const renderStatuses = (): StatusUpdate[] => {
    const policyStatuses = renderBackendTLSPolicyStatuses(backendTLSPolicies, controllerName, now);
    let attached = 0;
    for (const list of routeLists) for (let i = 0; i < list.length; i++) if (list[i]!.parents.length > 0) attached++;
    infrastructure ??= renderInfrastructure();
    const out = new Array<StatusUpdate>(infrastructure.length + attached + policyStatuses.length);
    let n = 0;
    for (const s of infrastructure) out[n++] = s;
    const renderRoute = (r: RouteNode): StatusUpdate => renderRouteStatus(r, controllerName, now);
    for (const list of routeLists) {
      for (let i = 0; i < list.length; i++) {
        const r = list[i]!;
        if (r.parents.length === 0) continue;
        out[n++] = cache ? cache.routeStatus(r, renderRoute) : renderRoute(r);
      }
    }
    for (const s of policyStatuses) out[n++] = s;
    return out;
  };
  return {
    get statuses(): StatusUpdate[] {
      statuses ??= renderStatuses();
      return statuses;
    },
    get infrastructureStatuses(): StatusUpdate[] {
      infrastructure ??= renderInfrastructure();
      return infrastructure;
    },
    ir: served,
    assigned: gatewayStage.assigned,
  };
}
