/**
 * Compiling the L4 part of the IR (ir.Server with streamListeners) into lookup structures, once
 * per config: SNI tables for listeners and routes, cumulative weights, secure contexts for
 * Terminate listeners. Connections read the table once when they start.
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import type * as ir from '../../ir/types.js';
import { DataPlaneError, GW_ERR } from '../errors.js';
import { buildHostTable, lookupHost } from '../router/host-table.js';
import type { HostTable } from '../router/types.js';
import { cumulativeWeights, pickWeighted } from '../router/weighted.js';
import { bestNameScore, certificateNames } from '../tls/cert-names.js';
import { DEFAULT_CIPHERS } from '../tls/server-tls.js';

/** A backend a connection or UDP session can be sent to. */
export type L4Backend =
  | {
      readonly kind: 'service';
      readonly name: string;
      readonly endpoints: readonly ir.Endpoint[];
      /** TLS to the backend (BackendTLSPolicy), or null for plain TCP. */
      readonly tls: ir.BackendTLS | null;
      /** Round-robin cursor over endpoints (mutable, per compiled config). */
      cursor: number;
    }
  /** Its share of connections is rejected (closed/reset), of UDP sessions dropped. */
  | { readonly kind: 'invalid'; readonly name: string; readonly reason: string };

export interface CompiledStreamRoute {
  readonly name: string;
  readonly route: string;
  readonly backends: readonly L4Backend[];
  readonly cumulative: readonly number[];
  readonly total: number;
}

export interface CompiledStreamListener {
  readonly name: string;
  readonly mode: ir.StreamListener['mode'];
  /** TLS: routes by SNI (exact, longest wildcard, any); first route in IR order wins a name. */
  readonly routes: HostTable<CompiledStreamRoute>;
  /** TCP/UDP: the route that gets traffic (the oldest), or null. */
  readonly first: CompiledStreamRoute | null;
  /** Terminate: secure contexts with the names their certificate covers, in IR order. */
  readonly contexts: readonly { readonly context: SecureContext; readonly names: readonly string[] }[];
  /** Terminate: frontend client-certificate validation, or null. */
  readonly clientValidation: ir.ClientValidation | null;
}

export interface CompiledStreamServer {
  readonly name: string;
  readonly gateway: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: 'TLS' | 'TCP' | 'UDP';
  /** Listeners by SNI (TLS); TCP/UDP servers have exactly one listener under `any`. */
  readonly listeners: HostTable<CompiledStreamListener>;
  /** Certificates that could not be loaded (their listener rejects handshakes), for the log. */
  readonly problems: readonly string[];
}

/**
 * Compiles one L4 server. Certificate material the controller could only check structurally
 * and that does not load is skipped with a problem (that listener's handshakes fail) instead of
 * failing the whole config.
 */
export function compileStreamServer(s: ir.Server): CompiledStreamServer {
  if (s.protocol !== 'TLS' && s.protocol !== 'TCP' && s.protocol !== 'UDP') {
    throw new DataPlaneError(GW_ERR.INVALID_CONFIG, `server ${s.name} is not an L4 server`);
  }
  const problems: string[] = [];
  const items = s.streamListeners.map((l) => ({ hostname: s.protocol === 'TLS' ? l.hostname : null, value: compileListener(l, problems) }));
  return { name: s.name, gateway: s.gateway, address: s.address, port: s.port, protocol: s.protocol, listeners: buildHostTable(items), problems };
}

function compileListener(l: ir.StreamListener, problems: string[]): CompiledStreamListener {
  const routes = l.routes.map(compileRoute);
  const items: { hostname: string | null; value: CompiledStreamRoute }[] = [];
  routes.forEach((r, i) => {
    const hostnames = l.routes[i]?.hostnames ?? [];
    if (hostnames.length === 0) items.push({ hostname: null, value: r });
    else for (const h of hostnames) items.push({ hostname: h, value: r });
  });
  const contexts: { context: SecureContext; names: string[] }[] = [];
  const tls = l.mode === 'terminate' ? l.tls : null;
  if (l.mode === 'terminate' && (tls === null || tls.certificates.length === 0)) problems.push(`listener ${l.name} terminates TLS without certificates`);
  for (const c of tls?.certificates ?? []) {
    try {
      const context = createSecureContext({
        cert: c.certPem,
        key: c.keyPem,
        minVersion: tls!.minVersion,
        ciphers: tls!.ciphers ?? DEFAULT_CIPHERS,
        honorCipherOrder: true,
        ...(tls!.clientValidation !== null ? { ca: [...tls!.clientValidation.caPems] } : {}),
      });
      contexts.push({ context, names: certificateNames(c.certPem) });
    } catch (err) {
      problems.push(`listener ${l.name}: certificate ${c.name} cannot be used: ${(err as Error).message}`);
    }
  }
  return { name: l.name, mode: l.mode, routes: buildHostTable(items), first: routes[0] ?? null, contexts, clientValidation: tls?.clientValidation ?? null };
}

function compileRoute(r: ir.StreamRoute): CompiledStreamRoute {
  const backends: L4Backend[] = r.backends.map((b) =>
    b.kind === 'service'
      ? { kind: 'service', name: b.name, endpoints: b.endpoints, tls: b.tls, cursor: 0 }
      : { kind: 'invalid', name: b.name, reason: b.reason },
  );
  const { cumulative, total } = cumulativeWeights(r.backends.map((b) => b.weight));
  return { name: r.name, route: r.route, backends, cumulative, total };
}

/** The listener a connection belongs to, by SNI (TLS) or the only one (TCP/UDP); null: none. */
export function selectListener(server: CompiledStreamServer, sni: string | null): CompiledStreamListener | null {
  return lookupHost(server.listeners, sni ?? '');
}

/** The route serving a connection on a listener: by SNI for TLS, else the oldest. */
export function selectRoute(listener: CompiledStreamListener, sni: string | null): CompiledStreamRoute | null {
  if (listener.mode === 'tcp' || listener.mode === 'udp') return listener.first;
  return lookupHost(listener.routes, sni ?? '');
}

/** Weighted choice of a backend (null when every weight is 0 or there is none: reject). */
export function pickBackend(route: CompiledStreamRoute, random: () => number): L4Backend | null {
  const i = pickWeighted(route.cumulative, route.total, random());
  return i < 0 ? null : (route.backends[i] ?? null);
}

/**
 * The secure context for a Terminate handshake: the certificate whose names cover the SNI
 * best (exact, else the longest wildcard), else the first one.
 */
export function selectContext(listener: CompiledStreamListener, sni: string | null): SecureContext | null {
  const contexts = listener.contexts;
  const first = contexts[0];
  if (first === undefined) return null;
  if (sni === null || contexts.length === 1) return first.context;
  let best = first;
  let bestScore = bestNameScore(first.names, sni);
  for (let i = 1; i < contexts.length; i++) {
    const c = contexts[i]!;
    const score = bestNameScore(c.names, sni);
    if (score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best.context;
}
