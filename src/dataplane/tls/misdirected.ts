/**
 * Misdirected requests on HTTPS (GEP-3567, connection coalescing).
 *
 * Spec (Listener.Hostname, HTTPS): the implementation SHOULD match the request's `:authority`
 * against all listener hostnames of the port: "if the SNI-selected listener does not match the
 * Host but another listener does", the request is misdirected and answered 421; "if no listener
 * matches the Host" the answer MUST be 404 (the normal routing path gives it). A connection
 * without SNI selected no listener by name, so nothing is misdirected on it.
 */
import { lookupHost, normalizeHost } from '../router/host-table.js';
import type { CompiledListener, HostTable } from '../router/types.js';

/** True when `host` selects a listener other than the one `servername` selected. */
export function isMisdirected(listeners: HostTable<CompiledListener>, servername: string | false | null | undefined, host: string): boolean {
  if (!servername) return false;
  const byHost = lookupHost(listeners, normalizeHost(host));
  if (byHost === null) return false;
  return lookupHost(listeners, normalizeHost(servername)) !== byHost;
}
