/**
 * Compiling the L4 part of the IR (ir.Server with streamListeners) into lookup structures, once
 * per config: SNI tables for listeners and routes, cumulative weights, secure contexts for
 * Terminate listeners. Connections read the table once when they start.
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type * as ir from '../../ir/types.js';
import { DataPlaneError, GW_ERR } from '../errors.js';
import { buildHostTable, lookupHost } from '../router/host-table.js';
import type { HostTable } from '../router/types.js';
import { cumulativeWeights, pickWeighted } from '../router/weighted.js';

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
}

export interface CompiledStreamServer {
  readonly name: string;
  readonly gateway: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: 'TLS' | 'TCP' | 'UDP';
  /** Listeners by SNI (TLS); TCP/UDP servers have exactly one listener under `any`. */
  readonly listeners: HostTable<CompiledStreamListener>;
}

/** Compiles one L4 server. Throws GW_ERR_INVALID_CONFIG when TLS material does not load. */
export function compileStreamServer(s: ir.Server): CompiledStreamServer {
  if (s.protocol !== 'TLS' && s.protocol !== 'TCP' && s.protocol !== 'UDP') {
    throw new DataPlaneError(GW_ERR.INVALID_CONFIG, `server ${s.name} is not an L4 server`);
  }
  const items = s.streamListeners.map((l) => ({ hostname: s.protocol === 'TLS' ? l.hostname : null, value: compileListener(s, l) }));
  return { name: s.name, gateway: s.gateway, address: s.address, port: s.port, protocol: s.protocol, listeners: buildHostTable(items) };
}

function compileListener(s: ir.Server, l: ir.StreamListener): CompiledStreamListener {
  const routes = l.routes.map(compileRoute);
  const items: { hostname: string | null; value: CompiledStreamRoute }[] = [];
  routes.forEach((r, i) => {
    const hostnames = l.routes[i]?.hostnames ?? [];
    if (hostnames.length === 0) items.push({ hostname: null, value: r });
    else for (const h of hostnames) items.push({ hostname: h, value: r });
  });
  let contexts: CompiledStreamListener['contexts'] = [];
  if (l.mode === 'terminate') {
    if (!l.tls || l.tls.certificates.length === 0) {
      throw new DataPlaneError(GW_ERR.INVALID_CONFIG, `listener ${l.name} of ${s.name} terminates TLS without certificates`);
    }
    contexts = l.tls.certificates.map((c) => compileCertificate(l, c, l.tls as ir.ListenerTLS));
  }
  return { name: l.name, mode: l.mode, routes: buildHostTable(items), first: routes[0] ?? null, contexts };
}

function compileCertificate(l: ir.StreamListener, c: ir.Certificate, tls: ir.ListenerTLS): { context: SecureContext; names: string[] } {
  try {
    const context = createSecureContext({
      cert: c.certPem,
      key: c.keyPem,
      minVersion: tls.minVersion,
      ...(tls.ciphers !== null ? { ciphers: tls.ciphers } : {}),
    });
    return { context, names: certificateNames(c.certPem) };
  } catch (err) {
    throw new DataPlaneError(GW_ERR.INVALID_CONFIG, `listener ${l.name}: certificate ${c.name} does not load: ${(err as Error).message}`, { cause: err });
  }
}

/** DNS names of the leaf certificate (SAN dNSName, else the CN), lower-cased. */
function certificateNames(pem: string): string[] {
  try {
    const x = new X509Certificate(pem);
    const san = x.subjectAltName ?? '';
    const names = san
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e.startsWith('DNS:'))
      .map((e) => e.slice(4).toLowerCase());
    if (names.length > 0) return names;
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject)?.[1];
    return cn ? [cn.toLowerCase()] : [];
  } catch {
    return [];
  }
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
  if (contexts.length === 0) return null;
  let best: SecureContext | null = null;
  let bestScore = -1;
  if (sni !== null) {
    for (const c of contexts) {
      for (const n of c.names) {
        const score = n === sni ? 10_000 : n.startsWith('*.') && sni.endsWith(n.slice(1)) && sni.length > n.length - 1 ? n.length : -1;
        if (score > bestScore) {
          bestScore = score;
          best = c.context;
        }
      }
    }
  }
  return best ?? (contexts[0] as { context: SecureContext }).context;
}
