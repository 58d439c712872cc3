/**
 * Header maps used between the router, the filters and the upstream clients.
 *
 * A `HeaderMap` is a prototype-less object keyed by lower-cased header name; a value is a string
 * or, when the header was repeated and is not safely joinable, a list sent as repeated lines.
 * Prototype-less keeps `__proto__` or `constructor` headers harmless.
 */

/** Lower-cased name → value(s). */
export type HeaderMap = Record<string, string | string[]>;

/** A new empty, prototype-less header map. */
export function emptyHeaders(): HeaderMap {
  return Object.create(null) as HeaderMap;
}

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) and headers undici refuses: never forwarded. Any name
 * starting with `proxy-` is hop-by-hop too. `expect` is not hop-by-hop, but Node answers
 * `100-continue` itself and undici cannot forward it; `http2-settings` never travels as an
 * HTTP/1 header. A switch on the first character: most names leave after one comparison (this
 * runs for every request and response header).
 */
export function isHopByHop(lowerName: string): boolean {
  switch (lowerName.charCodeAt(0)) {
    case 99: // c
      return lowerName === 'connection';
    case 101: // e
      return lowerName === 'expect';
    case 104: // h
      return lowerName === 'http2-settings';
    case 107: // k
      return lowerName === 'keep-alive';
    case 112: // p
      return lowerName.startsWith('proxy-');
    case 116: // t
      return lowerName === 'te' || lowerName === 'trailer' || lowerName === 'transfer-encoding';
    case 117: // u
      return lowerName === 'upgrade';
    default:
      return false;
  }
}

/** The tokens of a `Connection` header that name more hop-by-hop headers. */
function connectionTokens(rawHeaders: readonly string[]): string[] | null {
  let tokens: string[] | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue;
    const parts = (rawHeaders[i + 1] as string).split(',');
    for (let j = 0; j < parts.length; j++) {
      const t = (parts[j] as string).trim().toLowerCase();
      if (t !== '' && t !== 'close' && t !== 'keep-alive' && t !== 'upgrade') (tokens ??= []).push(t);
    }
  }
  return tokens;
}

/**
 * Builds the header map to forward from a raw header list (`[name, value, ...]`, as Node gives
 * it): names lower-cased, hop-by-hop headers and those named in `Connection` dropped, repeated
 * headers kept as lists (except `cookie`, joined with `; ` as RFC 9113 §8.2.3 allows).
 */
export function forwardableHeaders(rawHeaders: readonly string[]): HeaderMap {
  const out = emptyHeaders();
  const extra = connectionTokens(rawHeaders);
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    if (isHopByHop(name)) continue;
    if (extra !== null && extra.includes(name)) continue;
    const value = rawHeaders[i + 1] as string;
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (name === 'cookie') out[name] = `${prev as string}; ${value}`;
    else if (name === 'host' || name === 'content-length') continue; // first one wins
    else if (typeof prev === 'string') out[name] = [prev, value];
    else prev.push(value);
  }
  return out;
}

/**
 * The value of a request header for matching: every occurrence joined with `,` (no space), or
 * null when absent. `lowerName` must be lower-cased.
 */
export function joinedHeader(rawHeaders: readonly string[], lowerName: string): string | null {
  let out: string | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length !== lowerName.length || name.toLowerCase() !== lowerName) continue;
    const v = rawHeaders[i + 1] as string;
    out = out === null ? v : `${out},${v}`;
  }
  return out;
}

/** The first value of a request header, or null when absent. `lowerName` must be lower-cased. */
export function firstHeader(rawHeaders: readonly string[], lowerName: string): string | null {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return rawHeaders[i + 1] as string;
  }
  return null;
}

/** A header map value as one string (`,`-joined), or null. */
export function headerValue(headers: HeaderMap, lowerName: string): string | null {
  const v = headers[lowerName];
  if (v === undefined) return null;
  return typeof v === 'string' ? v : v.join(',');
}

/**
 * Copies a backend's response headers for the client: hop-by-hop headers dropped (Node frames
 * the body to the client itself), everything else kept, lists preserved (`set-cookie`).
 */
export function responseHeadersFromUpstream(
  upstream: Record<string, string | string[] | undefined>,
): HeaderMap {
  const out = emptyHeaders();
  for (const name in upstream) {
    const v = upstream[name];
    if (v === undefined) continue;
    const lower = name.toLowerCase();
    if (isHopByHop(lower) || lower.charCodeAt(0) === 58 /* ':' pseudo-header */) continue;
    out[lower] = v;
  }
  return out;
}

/**
 * A backend's raw response headers (undici: `[name, value, ...]` buffers) as a flat list for
 * `writeHead`: hop-by-hop headers dropped (Node frames the body to the client itself), names as
 * received, repeated lines kept. Bytes pass through unchanged (latin1 both ways).
 */
export function rawResponseHeaders(raw: readonly Buffer[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1');
    if (isHopByHop(name.toLowerCase())) continue;
    out.push(name, (raw[i + 1] as Buffer).toString('latin1'));
  }
  return out;
}

/**
 * A backend's raw response headers as a header map (for response filters): names lower-cased,
 * hop-by-hop headers dropped, repeated headers kept as lists (`set-cookie`).
 */
export function responseHeadersFromRaw(raw: readonly Buffer[]): HeaderMap {
  const out = emptyHeaders();
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1').toLowerCase();
    if (isHopByHop(name)) continue;
    const value = (raw[i + 1] as Buffer).toString('latin1');
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (typeof prev === 'string') out[name] = [prev, value];
    else prev.push(value);
  }
  return out;
}
