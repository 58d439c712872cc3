/**
 * IR servers for the L4 listeners: one ir.Server per (Gateway address, port, transport) holding
 * the programmed TLS, TCP or UDP listeners of that Gateway (its own and its ListenerSets') as
 * `streamListeners`. build-servers.ts does the same for HTTP listeners; translate() joins both.
 *
 * - TLS listeners on one port share a socket: the ClientHello's SNI selects the listener
 *   (most specific hostname first, as for HTTP) and so its mode — Passthrough and Terminate
 *   listeners can share a port (TLSRouteModeMixed).
 * - A TCP and a UDP listener may use the same port number (different sockets): UDP servers are
 *   named `<ns>/<gateway>/<address>:<port>/udp` so the names stay unique.
 * - "The implementation MUST bind all Listeners to every GatewayAddress that it assigns to the
 *   Gateway" — every programmed listener appears on every address of its Gateway.
 */
import type * as ir from '../ir/types.js';
import { objectKey } from '../source/snapshot.js';
import { compareListenerSpecificity, serverName } from './build-servers.js';
import type { GatewayNode, ListenerNode } from './model.js';
import type { StreamAttachment } from './stream-routes.js';

/** The ListenerTLS of a Terminate listener (translate passes the one listener-tls.ts built). */
export type ListenerTLSBuilder = (listener: ListenerNode) => ir.ListenerTLS | null;

const STREAM_PROTOCOLS = new Set(['TLS', 'TCP', 'UDP']);

/** Builds every L4 server of the IR (unsorted; translate sorts all servers by name). */
export function buildStreamServers(
  gateways: readonly GatewayNode[],
  attachments: ReadonlyMap<ListenerNode, readonly StreamAttachment[]>,
  buildTLS: ListenerTLSBuilder,
): ir.Server[] {
  const servers: ir.Server[] = [];
  for (const gw of gateways) {
    const listeners = gw.listeners.filter((l) => l.programmed && STREAM_PROTOCOLS.has(l.listener.protocol));
    if (listeners.length === 0 || gw.addresses.length === 0) continue;
    const groups = new Map<string, { protocol: 'TLS' | 'TCP' | 'UDP'; port: number; listeners: ListenerNode[] }>();
    for (const l of listeners) {
      const protocol = l.listener.protocol as 'TLS' | 'TCP' | 'UDP';
      const key = `${protocol === 'UDP' ? 'udp' : 'tcp'}|${l.listener.port}`;
      const group = groups.get(key);
      if (group) group.listeners.push(l);
      else groups.set(key, { protocol, port: l.listener.port, listeners: [l] });
    }
    const built = new Map<ListenerNode, ir.StreamListener>();
    for (const l of listeners) built.set(l, buildStreamListener(l, attachments.get(l) ?? [], buildTLS));
    for (const address of gw.addresses) {
      for (const group of groups.values()) {
        const name = serverName(objectKey(gw.gateway), address, group.port);
        servers.push({
          name: group.protocol === 'UDP' ? `${name}/udp` : name,
          gateway: objectKey(gw.gateway),
          address,
          port: group.port,
          protocol: group.protocol,
          listeners: [],
          streamListeners: [...group.listeners].sort(compareListenerSpecificity).map((l) => built.get(l)!),
        });
      }
    }
  }
  return servers;
}

/** One programmed L4 listener with its routes (in attachment order: oldest route first). */
function buildStreamListener(
  l: ListenerNode,
  attachments: readonly StreamAttachment[],
  buildTLS: ListenerTLSBuilder,
): ir.StreamListener {
  const protocol = l.listener.protocol;
  const mode: ir.StreamListener['mode'] =
    protocol === 'TCP' ? 'tcp' : protocol === 'UDP' ? 'udp' : l.listener.tls?.mode === 'Passthrough' ? 'passthrough' : 'terminate';
  const routes: ir.StreamRoute[] = [];
  for (const a of attachments) {
    for (const rule of a.rules) routes.push({ ...rule, hostnames: protocol === 'TLS' ? a.hostnames : [] });
  }
  return {
    name: l.key,
    hostname: protocol === 'TLS' && l.listener.hostname ? l.listener.hostname.toLowerCase() : null,
    port: l.listener.port,
    mode,
    tls: mode === 'terminate' ? buildTLS(l) : null,
    routes,
  };
}
