/**
 * RequestRedirect: builds the `Location` of a redirect answer.
 *
 * Spec (HTTPRequestRedirectFilter.Port): "If no port is specified, the redirect port MUST be
 * derived using the following rules: * If redirect scheme is not-empty, the redirect port MUST
 * be the well-known port associated with the redirect scheme. Specifically "http" to port 80
 * and "https" to port 443. If the redirect scheme does not have a well-known port, the listener
 * port of the Gateway SHOULD be used. * If redirect scheme is empty, the redirect port MUST be
 * the Gateway Listener port. Implementations SHOULD NOT add the port number in the 'Location'
 * header in the following cases: * A Location header that will use HTTP (whether that is
 * determined via the Listener protocol or the Scheme field) _and_ use port 80. * A Location
 * header that will use HTTPS (whether that is determined via the Listener protocol or the
 * Scheme field) _and_ use port 443."
 * Hostname: "Hostname is the hostname to be used in the value of the `Location` header in the
 * response. When empty, the hostname in the `Host` header of the request is used."
 * Path: "Path defines parameters used to modify the path of the incoming request. The modified
 * path is then used to construct the `Location` header. When empty, the request path is used
 * as-is." The query string is kept.
 */
import type * as ir from '../../ir/types.js';
import { rewritePath } from './path-rewrite.js';

/** The parts of the request a redirect is derived from. */
export interface RedirectSource {
  readonly listenerScheme: 'http' | 'https';
  readonly listenerPort: number;
  /** Host header value as received (may carry a port). */
  readonly host: string;
  /** Raw path before `?`. */
  readonly path: string;
  /** Raw query without `?`, `''` when absent. */
  readonly query: string;
}

/** The request host without its port (IPv6 literals keep brackets). */
export function hostWithoutPort(host: string): string {
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf(']');
    return close === -1 ? host : host.slice(0, close + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** Builds the absolute `Location` URL for `r` applied to `src`. */
export function buildLocation(r: ir.Redirect, src: RedirectSource): string {
  const scheme = r.scheme ?? src.listenerScheme;
  const port = r.port !== null ? r.port : r.scheme !== null ? (r.scheme === 'https' ? 443 : 80) : src.listenerPort;
  let host = r.hostname ?? hostWithoutPort(src.host);
  if (host.includes(':') && host.charCodeAt(0) !== 91) host = `[${host}]`; // bare IPv6
  const defaultPort = (scheme === 'http' && port === 80) || (scheme === 'https' && port === 443);
  const path = r.path === null ? src.path : rewritePath(src.path, r.path);
  const query = src.query === '' ? '' : `?${src.query}`;
  return `${scheme}://${host}${defaultPort || port === 0 ? '' : `:${port}`}${path}${query}`;
}
