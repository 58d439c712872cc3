/**
 * Listener validation (protocol, route kinds, TLS) and conflict detection over a merged
 * listener set (a Gateway's own listeners, then those of its ListenerSets).
 */
import type * as api from '../api/types.js';
import { GATEWAY_GROUP } from '../api/types.js';
import type { ConditionSpec, ResourceIndex } from './model.js';
import type * as ir from '../ir/types.js';
import { resolveCertificateRefs, type CertificateOwner, type ResolvedCertificate } from './certificates.js';
import { buildListenerTLS, parseListenerTLSOptions } from './listener-tls.js';
import {
  listenerAccepted,
  listenerConflicted,
  listenerInvalidRouteKinds,
  listenerInvalidTLSConfig,
  listenerNotProgrammedInvalid,
  listenerNotProgrammedPending,
  listenerResolvedRefs,
  listenerUnsupportedProtocol,
  listenerUnsupportedValue,
  type ConflictReason,
} from './conditions.js';

/** How a protocol uses its port: listeners of different transports cannot share one. */
type Transport = 'http' | 'tls' | 'tcp' | 'udp';

interface ProtocolInfo {
  readonly transport: Transport;
  /** Route kinds valid on this protocol (group gateway.networking.k8s.io). */
  readonly kinds: readonly string[];
  /** Whether waygate implements the protocol (accepts such listeners). */
  readonly implemented: boolean;
}

/**
 * The protocols of the spec. HTTP and HTTPS take HTTPRoute and GRPCRoute (gRPC needs h2c with
 * prior knowledge on HTTP and h2 via ALPN on HTTPS, which the data plane serves). TLS listeners take
 * only TLSRoute: "TCPRoute on TLS listeners" was removed in v1.5, so it is InvalidRouteKinds.
 */
const PROTOCOLS: Readonly<Record<string, ProtocolInfo>> = {
  HTTP: { transport: 'http', kinds: ['HTTPRoute', 'GRPCRoute'], implemented: true },
  HTTPS: { transport: 'tls', kinds: ['HTTPRoute', 'GRPCRoute'], implemented: true },
  TLS: { transport: 'tls', kinds: ['TLSRoute'], implemented: true },
  TCP: { transport: 'tcp', kinds: ['TCPRoute'], implemented: true },
  UDP: { transport: 'udp', kinds: ['UDPRoute'], implemented: true },
};

/**
 * Does the listener terminate TLS with certificateRefs? HTTPS always does; a TLS listener does
 * in mode Terminate (ListenerTLSConfig.Mode defaults to Terminate; TLSRouteModeTerminate).
 */
function terminatesTLS(listener: api.Listener): boolean {
  if (listener.protocol === 'HTTPS') return true;
  return listener.protocol === 'TLS' && listener.tls !== undefined && (listener.tls.mode ?? 'Terminate') === 'Terminate';
}

/** What validation decided about one listener, before conflicts and the Gateway's own state. */
export interface ListenerValidation {
  readonly supportedKinds: api.RouteGroupKind[];
  readonly accepted: ConditionSpec;
  readonly resolvedRefs: ConditionSpec;
  /** Programmed=False decided by validation, or null when the listener can be served. */
  readonly notProgrammed: ConditionSpec | null;
  /** Certificates of an HTTPS listener whose refs resolved (empty otherwise). */
  readonly certificates: readonly ResolvedCertificate[];
  /** TLS termination settings (listener-tls.ts) when the certificates resolved, else null. */
  readonly tls: ir.ListenerTLS | null;
}

/** Validates one listener on its own (no knowledge of its neighbours). */
export function validateListener(listener: api.Listener, owner: CertificateOwner, index: ResourceIndex): ListenerValidation {
  const info = PROTOCOLS[listener.protocol];
  const kinds = resolveRouteKinds(listener, info);

  // "a Listener with an unsupported protocol will never generate any data plane config, and so
  // will have Accepted set to `false.`" (ListenerConditionAccepted)
  let accepted = listenerAccepted();
  if (!info) {
    accepted = listenerUnsupportedProtocol(`Protocol ${listener.protocol} is not supported.`);
  } else if (!info.implemented) {
    accepted = listenerUnsupportedProtocol(`Protocol ${listener.protocol} is not implemented yet.`);
  } else if (listener.protocol === 'HTTPS' && listener.tls?.mode !== undefined && listener.tls.mode !== 'Terminate') {
    accepted = listenerUnsupportedValue(`TLS mode ${listener.tls.mode} is not supported on HTTPS listeners; use Terminate.`);
  }

  let resolvedRefs = listenerResolvedRefs();
  let certificates: readonly ResolvedCertificate[] = [];
  let certificatesOk = true;
  let tls: ir.ListenerTLS | null = null;
  if (terminatesTLS(listener) && listener.tls && accepted.status === 'True') {
    const result = resolveCertificateRefs(listener.tls.certificateRefs ?? [], owner, index);
    if (result.ok) certificates = result.certificates;
    else {
      resolvedRefs = result.condition;
      certificatesOk = false;
    }
    const options = parseListenerTLSOptions(listener.tls.options);
    if (!options.ok) accepted = listenerUnsupportedValue(options.message);
    else if (result.ok) tls = buildListenerTLS(result.certificates, options.options, null);
  }
  // "If kinds are specified in Spec that are not supported, they MUST NOT appear in this list
  // and an implementation MUST set the "ResolvedRefs" condition to "False" with the
  // "InvalidRouteKinds" reason." (ListenerStatus.SupportedKinds)
  if (certificatesOk && kinds.invalid.length > 0) {
    resolvedRefs = listenerInvalidRouteKinds(
      `Route kinds not supported on ${listener.protocol} listeners: ${kinds.invalid.join(', ')}.`,
    );
  }

  let notProgrammed: ConditionSpec | null = null;
  if (accepted.status !== 'True') {
    notProgrammed = listenerNotProgrammedInvalid('The listener is not accepted.');
  } else if (!certificatesOk) {
    notProgrammed = listenerNotProgrammedInvalid('The listener has invalid certificateRefs.');
  } else if (kinds.valid.length === 0) {
    notProgrammed = listenerNotProgrammedInvalid('The listener supports no route kinds.');
  } else if (listener.protocol === 'HTTPS' && !listener.tls) {
    notProgrammed = listenerInvalidTLSConfig('An HTTPS listener needs tls.certificateRefs.');
  } else if (listener.protocol === 'TLS' && !listener.tls) {
    notProgrammed = listenerInvalidTLSConfig('A TLS listener needs tls.mode (Passthrough or Terminate).');
  }
  return { supportedKinds: kinds.valid, accepted, resolvedRefs, notProgrammed, certificates, tls };
}

function resolveRouteKinds(
  listener: api.Listener,
  info: ProtocolInfo | undefined,
): { valid: api.RouteGroupKind[]; invalid: string[] } {
  const allowed = info?.kinds ?? [];
  const requested = listener.allowedRoutes?.kinds;
  if (!requested || requested.length === 0) {
    const valid = info?.implemented ? allowed.map((kind) => ({ group: GATEWAY_GROUP, kind })) : [];
    return { valid, invalid: [] };
  }
  const valid: api.RouteGroupKind[] = [];
  const invalid: string[] = [];
  for (const k of requested) {
    const group = k.group ?? GATEWAY_GROUP;
    if (group === GATEWAY_GROUP && allowed.includes(k.kind)) {
      if (info?.implemented && !valid.some((v) => v.kind === k.kind)) valid.push({ group, kind: k.kind });
    } else {
      invalid.push(group === '' ? k.kind : `${group}/${k.kind}`);
    }
  }
  return { valid, invalid };
}

// ---------------------------------------------------------------- conflicts

/** One listener of a merged set, as conflict detection sees it. */
export interface ConflictCandidate {
  readonly listener: api.Listener;
  /** The object it belongs to, as messages name it: `Gateway ns/name` or `ListenerSet ns/name`. */
  readonly owner: string;
  /** Gateway listeners have no precedence among themselves; ListenerSet listeners do. */
  readonly fromGateway: boolean;
}

export interface Conflict {
  readonly reason: ConflictReason;
  readonly message: string;
}

/**
 * Finds the conflicted listeners of a merged set (Gateway listeners first, then ListenerSet
 * listeners in precedence order). Returns one entry per candidate: the conflict, or null.
 *
 * Gateway listeners — "The implementation MUST NOT pick one conflicting Listener as the winner.
 * ALL indistinct Listeners must not be accepted for processing." (GatewaySpec.Listeners)
 *
 * ListenerSet listeners — conflicts are resolved by precedence: Gateway listeners first, then
 * ListenerSets oldest first, then by `{namespace}/{name}`; a listener that conflicts with a
 * listener accepted before it is Conflicted, the earlier one stays (GEP-1713).
 *
 * Distinctness — "each listener in a set MUST have a unique combination of Port, Protocol, and,
 * if supported by the protocol, Hostname" (HTTP, HTTPS, TLS: Port, Hostname; TCP, UDP: Port).
 * Different protocols on one port conflict when they need different handling of the same
 * socket (HTTP, TLS-based and TCP listeners); UDP uses its own socket. HTTPS and TLS both
 * start with a TLS handshake, but waygate serves them from different sockets (the HTTPS server
 * and the L4 data plane), so an HTTPS and a TLS listener on one port are a ProtocolConflict
 * ("compatible listeners" are implementation-specific). TLS listeners in Passthrough and
 * Terminate mode share a port (TLSRouteModeMixed), chosen by SNI.
 * Listeners with an unknown protocol take no part (they are UnsupportedProtocol anyway).
 */
export function detectConflicts(candidates: readonly ConflictCandidate[]): (Conflict | null)[] {
  const result: (Conflict | null)[] = candidates.map(() => null);
  const gateway = candidates.map((c, i) => ({ c, i })).filter((x) => x.c.fromGateway);
  for (const { c, i } of gateway) {
    for (const other of gateway) {
      if (other.i === i) continue;
      const conflict = conflictBetween(c, other.c);
      if (conflict && (!result[i] || conflict.reason === 'ProtocolConflict')) result[i] = conflict;
    }
  }
  const winners = gateway.filter((x) => result[x.i] === null).map((x) => x.c);
  candidates.forEach((c, i) => {
    if (c.fromGateway) return;
    let found: Conflict | null = null;
    for (const w of winners) {
      const conflict = conflictBetween(c, w);
      if (conflict && (!found || conflict.reason === 'ProtocolConflict')) found = conflict;
    }
    result[i] = found;
    if (!found) winners.push(c);
  });
  return result;
}

function conflictBetween(a: ConflictCandidate, b: ConflictCandidate): Conflict | null {
  const la = a.listener;
  const lb = b.listener;
  const other = a.owner === b.owner ? lb.name : `${lb.name} of ${b.owner}`;
  if (la.port !== lb.port) return null;
  const ta = PROTOCOLS[la.protocol]?.transport;
  const tb = PROTOCOLS[lb.protocol]?.transport;
  if (!ta || !tb) return null;
  if (ta !== tb || (ta === 'tls' && la.protocol !== lb.protocol)) {
    if (ta === 'udp' || tb === 'udp') return null;
    return {
      reason: 'ProtocolConflict',
      message: `Listener ${other} uses port ${lb.port} with protocol ${lb.protocol}, which cannot share a port with ${la.protocol}.`,
    };
  }
  const ha = (la.hostname ?? '').toLowerCase();
  const hb = (lb.hostname ?? '').toLowerCase();
  if (ta === 'tcp' || ta === 'udp' || ha === hb) {
    const host = ta === 'tcp' || ta === 'udp' ? '' : ha === '' ? ' and no hostname' : ` and hostname ${ha}`;
    return {
      reason: 'HostnameConflict',
      message: `Listener ${other} also uses port ${lb.port} with protocol ${lb.protocol}${host}.`,
    };
  }
  return null;
}

/**
 * The final conditions of a listener, in status order: Accepted, Programmed, ResolvedRefs and,
 * when conflicted, Conflicted ("[Conflicted] False = NoConflicts; [...] If this condition is not
 * set, it is assumed that there are no conflicts.").
 */
export function listenerConditions(
  validation: ListenerValidation,
  conflict: Conflict | null,
  programmed: ConditionSpec,
): ConditionSpec[] {
  if (conflict) {
    const c = listenerConflicted(conflict.reason, conflict.message);
    return [c.accepted, c.programmed, validation.resolvedRefs, c.conflicted];
  }
  return [validation.accepted, programmed, validation.resolvedRefs];
}
