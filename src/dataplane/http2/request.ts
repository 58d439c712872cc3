/**
 * HTTP/2 requests through the HTTP/1.1 path: the compatibility API's request carries the
 * pseudo-headers in `rawHeaders`; routing and forwarding want plain headers and the authority.
 *
 * RFC 9113 §8.3.1: ":authority [...] Clients that generate HTTP/2 requests directly MUST use the
 * :authority pseudo-header field to convey authority information, unless there is no authority
 * information to convey". A `host` header, when also present, must agree; `:authority` wins.
 * Pseudo-headers never travel to an HTTP/1.1 backend.
 */

/** The request's raw headers without pseudo-headers (`:method`, `:path`, …). */
export function withoutPseudoHeaders(rawHeaders: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.charCodeAt(0) === 58 /* ':' */) continue;
    out.push(name, rawHeaders[i + 1] as string);
  }
  return out;
}

/** The authority of a request: `:authority` for HTTP/2, else the Host header. */
export function requestAuthority(headers: Readonly<Record<string, string | string[] | undefined>>): string {
  const authority = headers[':authority'];
  if (typeof authority === 'string' && authority !== '') return authority;
  const host = headers['host'];
  return typeof host === 'string' ? host : '';
}
