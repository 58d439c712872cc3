/**
 * Finds the rule that serves a request on one server: listener by Host, then virtual host, then
 * the first entry whose match holds. No fallback at any level: a listener or virtual host that
 * is selected but has no matching entry answers 404.
 *
 * Spec (Listener.Hostname, GatewayHTTPListenerIsolation): "a request MUST be routed by the most
 * specific listener that matches its hostname; it MUST NOT be routed by a less specific
 * listener" — the IR orders listeners most specific first, we keep the first hit.
 *
 * GRPCRoute rules are not merged with HTTPRoute rules ("Merging MUST not be done between
 * GRPCRoutes and HTTPRoutes"): a gRPC call is matched against the virtual host's GRPCRoute
 * entries (or its HTTPRoute entries when it has no GRPCRoute entry); other requests only
 * against HTTPRoute entries.
 */
import { lookupHost, normalizeHost } from './host-table.js';
import { matches, type RouteRequest } from './match.js';
import type { CompiledEntry, CompiledListener, CompiledRule, CompiledServer } from './types.js';

/** The outcome of routing. `rule` is null for a 404; `listener` is null when none matched. */
export interface RouteResult {
  readonly listener: CompiledListener | null;
  readonly rule: CompiledRule | null;
}

const NO_LISTENER: RouteResult = { listener: null, rule: null };

/** Routes `req` with Host header `rawHost` on `server`. */
export function routeRequest(server: CompiledServer, rawHost: string, req: RouteRequest): RouteResult {
  const host = normalizeHost(rawHost);
  const listener = lookupHost(server.listeners, host);
  if (listener === null) return NO_LISTENER;
  const vhost = lookupHost(listener.vhosts, host);
  if (vhost === null) return { listener, rule: null };
  // gRPC calls go to the GRPCRoute entries when the virtual host has any; never mixed.
  const entries = req.grpc && vhost.grpcEntries.length > 0 ? vhost.grpcEntries : vhost.entries;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as CompiledEntry;
    if (matches(e.match, req)) return { listener, rule: e.rule };
  }
  return { listener, rule: null };
}
