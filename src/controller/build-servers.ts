/**
 * IR servers from the Gateway graph: one ir.Server per (Gateway address, port) holding the
 * programmed HTTP listeners of that Gateway (its own and its ListenerSets') on that port.
 *
 * "The implementation MUST bind all Listeners to every GatewayAddress that it assigns to the
 * Gateway" — every programmed listener appears on every address of its Gateway.
 */
import type * as ir from '../ir/types.js';
import { objectKey } from '../source/snapshot.js';
import type { GatewayNode, ListenerNode } from './model.js';

/** Builds a listener's rules and virtual hosts (virtual-hosts.ts, injected for testing). */
export type VirtualHostBuilder = (listener: ListenerNode) => { rules: ir.Rule[]; virtualHosts: ir.VirtualHost[] };

/** Builds every server of the IR, sorted by name. Only programmed HTTP listeners are served. */
export function buildServers(gateways: readonly GatewayNode[], buildVirtualHosts: VirtualHostBuilder): ir.Server[] {
  const servers: ir.Server[] = [];
  for (const gw of gateways) {
    const listeners = gw.listeners.filter((l) => l.programmed && isHttpFamily(l));
    if (listeners.length === 0 || gw.addresses.length === 0) continue;
    const byPort = new Map<number, ListenerNode[]>();
    for (const l of listeners) {
      const list = byPort.get(l.listener.port);
      if (list) list.push(l);
      else byPort.set(l.listener.port, [l]);
    }
    // Built once per listener and shared by every address it is bound to.
    const built = new Map<ListenerNode, ir.Listener>();
    for (const l of listeners) built.set(l, toIrListener(l, buildVirtualHosts));
    for (const address of gw.addresses) {
      for (const [port, group] of byPort) {
        servers.push({
          name: serverName(objectKey(gw.gateway), address, port),
          gateway: objectKey(gw.gateway),
          address,
          port,
          protocol: group.some((l) => l.listener.protocol === 'HTTPS') ? 'HTTPS' : 'HTTP',
          listeners: [...group].sort(compareListenerSpecificity).map((l) => built.get(l)!),
          streamListeners: [],
        });
      }
    }
  }
  return servers.sort(compareServerNames);
}

/** `<ns>/<gateway>/<address>:<port>`, with IPv6 addresses in brackets (`[::1]:80`). */
export function serverName(gatewayKey: string, address: string, port: number): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `${gatewayKey}/${host}:${port}`;
}

/** HTTP and HTTPS listeners are served by the HTTP data plane (HTTPS listeners share a port only with HTTPS). */
function isHttpFamily(l: ListenerNode): boolean {
  return l.listener.protocol === 'HTTP' || l.listener.protocol === 'HTTPS';
}

function toIrListener(l: ListenerNode, buildVirtualHosts: VirtualHostBuilder): ir.Listener {
  const { rules, virtualHosts } = buildVirtualHosts(l);
  return {
    name: l.key,
    hostname: l.listener.hostname ? l.listener.hostname.toLowerCase() : null,
    port: l.listener.port,
    scheme: l.listener.protocol === 'HTTPS' ? 'https' : 'http',
    tls: l.listener.protocol === 'HTTPS' ? (l.tls ?? null) : null,
    rules,
    virtualHosts,
  };
}

/**
 * Most specific hostname first: "Exact matches MUST be processed before wildcard matches, and
 * wildcard matches MUST be processed before fallback (empty Hostname value) matches. [...] the
 * higher the number of dots in the hostname to the right of the wildcard character, the higher
 * the precedence." (GatewaySpec.Listeners) Ties (impossible among distinct listeners except by
 * label count) fall back to the hostname, so the order is total.
 */
export function compareListenerSpecificity(a: ListenerNode, b: ListenerNode): number {
  return compareHostnameSpecificity(a.listener.hostname ?? '', b.listener.hostname ?? '');
}

/** The comparator behind compareListenerSpecificity, on bare hostnames (`''` = any host). */
export function compareHostnameSpecificity(a: string, b: string): number {
  const rank = (h: string): number => (h === '' ? 2 : h.startsWith('*.') ? 1 : 0);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1) {
    const la = a.split('.').length;
    const lb = b.split('.').length;
    if (la !== lb) return lb - la;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The order of a config's servers: by name. */
export function compareServerNames(a: ir.Server, b: ir.Server): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
