/**
 * The CORS filter: the gateway answers preflight requests itself and decorates actual
 * cross-origin responses.
 *
 * Spec (HTTPCORSFilter.AllowOrigins): "If the request `Origin` matches the configured allowed
 * origins, the gateway must return the given `Origin` and sets value of the header
 * `Access-Control-Allow-Origin` same as the `Origin` header provided by the client." ... "If the
 * request `Origin` does not match the configured allowed origins, the gateway returns 204/200
 * response but doesn't set the relevant cross-origin response headers." ... "`*` is a greedy
 * match to the _left_, including any number of DNS labels to the left of its position." ...
 * "if not included, port `80` is assumed for `http` scheme origins, and port `443` is assumed
 * for `https` origins."
 * With `allowCredentials: true` the gateway "must not return `*`" for origin, methods or
 * headers: we always echo the request's values, which is valid with or without credentials.
 */
import type * as ir from '../../ir/types.js';
import { joinedHeader, type HeaderMap } from '../headers.js';

export interface CompiledCors {
  readonly anyOrigin: boolean;
  readonly exactOrigins: Record<string, true>;
  readonly originPatterns: readonly RegExp[];
  readonly credentials: boolean;
  /** `, `-joined configured methods, or null when none are configured. */
  readonly allowMethods: string | null;
  readonly methodsWildcard: boolean;
  readonly allowHeaders: string | null;
  readonly headersWildcard: boolean;
  readonly exposeHeaders: string | null;
  readonly maxAge: string;
}

/** Lower-cases an origin and drops the scheme's default port. */
export function normalizeOrigin(origin: string): string {
  const o = origin.trim().toLowerCase();
  if (o.startsWith('http://') && o.endsWith(':80')) return o.slice(0, -3);
  if (o.startsWith('https://') && o.endsWith(':443')) return o.slice(0, -4);
  return o;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Compiles the IR filter once per config. */
export function compileCors(c: ir.Cors): CompiledCors {
  const exactOrigins = Object.create(null) as Record<string, true>;
  const originPatterns: RegExp[] = [];
  let anyOrigin = false;
  for (const raw of c.allowOrigins) {
    if (raw === '*') {
      anyOrigin = true;
      continue;
    }
    const o = normalizeOrigin(raw);
    if (o.includes('*')) originPatterns.push(new RegExp(`^${o.split('*').map(escapeRegex).join('.+')}$`));
    else exactOrigins[o] = true;
  }
  const methodsWildcard = c.allowMethods.includes('*');
  const headersWildcard = c.allowHeaders.includes('*');
  const exposeWildcard = c.exposeHeaders.includes('*');
  return {
    anyOrigin,
    exactOrigins,
    originPatterns,
    credentials: c.allowCredentials,
    allowMethods: methodsWildcard || c.allowMethods.length === 0 ? null : c.allowMethods.join(', '),
    methodsWildcard,
    allowHeaders: headersWildcard || c.allowHeaders.length === 0 ? null : c.allowHeaders.join(', '),
    headersWildcard,
    // `*` cannot be echoed for expose headers; with credentials it must not be sent at all.
    exposeHeaders: exposeWildcard
      ? c.allowCredentials
        ? null
        : '*'
      : c.exposeHeaders.length === 0
        ? null
        : c.exposeHeaders.join(', '),
    maxAge: String(c.maxAge),
  };
}

/** True when the request's `Origin` is allowed. */
export function isOriginAllowed(c: CompiledCors, origin: string): boolean {
  if (c.anyOrigin) return true;
  const o = normalizeOrigin(origin);
  if (c.exactOrigins[o] === true) return true;
  const p = c.originPatterns;
  for (let i = 0; i < p.length; i++) if ((p[i] as RegExp).test(o)) return true;
  return false;
}

/** A preflight is an OPTIONS request carrying `Origin` and `Access-Control-Request-Method`. */
export function isPreflight(method: string, rawHeaders: readonly string[]): boolean {
  return (
    method === 'OPTIONS' &&
    joinedHeader(rawHeaders, 'origin') !== null &&
    joinedHeader(rawHeaders, 'access-control-request-method') !== null
  );
}

/**
 * The headers of the gateway's own answer to a preflight, or an empty map when the origin is
 * not allowed (then the answer carries no CORS headers at all).
 */
export function preflightHeaders(c: CompiledCors, rawHeaders: readonly string[], out: HeaderMap): HeaderMap {
  const origin = joinedHeader(rawHeaders, 'origin');
  out['vary'] = 'Origin';
  if (origin === null || !isOriginAllowed(c, origin)) return out;
  out['access-control-allow-origin'] = origin;
  if (c.credentials) out['access-control-allow-credentials'] = 'true';
  const reqMethod = joinedHeader(rawHeaders, 'access-control-request-method');
  if (reqMethod !== null) {
    if (c.methodsWildcard) out['access-control-allow-methods'] = reqMethod.trim();
    else if (c.allowMethods !== null) out['access-control-allow-methods'] = c.allowMethods;
  }
  // "If the `Access-Control-Request-Headers` header is not present in the request, the gateway
  // must omit the `Access-Control-Allow-Headers` response header."
  const reqHeaders = joinedHeader(rawHeaders, 'access-control-request-headers');
  if (reqHeaders !== null) {
    if (c.headersWildcard) out['access-control-allow-headers'] = reqHeaders;
    else if (c.allowHeaders !== null) out['access-control-allow-headers'] = c.allowHeaders;
  }
  if (c.exposeHeaders !== null) out['access-control-expose-headers'] = c.exposeHeaders;
  out['access-control-max-age'] = c.maxAge;
  return out;
}

/**
 * Adds the CORS headers of an actual (non-preflight) cross-origin response to `out`, when the
 * request has an allowed `Origin`. Overwrites what the backend sent for those names.
 */
export function addActualCorsHeaders(c: CompiledCors, origin: string | null, out: HeaderMap): void {
  if (origin === null || !isOriginAllowed(c, origin)) return;
  out['access-control-allow-origin'] = origin;
  if (c.credentials) out['access-control-allow-credentials'] = 'true';
  if (c.exposeHeaders !== null) out['access-control-expose-headers'] = c.exposeHeaders;
  const vary = out['vary'];
  if (vary === undefined) out['vary'] = 'Origin';
  else if (!/(^|,)\s*origin\s*(,|$)/i.test(typeof vary === 'string' ? vary : vary.join(','))) {
    out['vary'] = `${typeof vary === 'string' ? vary : vary.join(', ')}, Origin`;
  }
}
