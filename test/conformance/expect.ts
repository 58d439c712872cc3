/**
 * Comparing one captured HTTP round trip with a request expectation, following the upstream
 * suite's comparison (conformance/utils/http CompareRequest): status first (408 and 504 are
 * interchangeable "timeout" statuses); for a 200 the echoed request, namespace, headers and
 * pod-name prefix; for a redirect the Location's scheme/host/port/path.
 */
import type { EchoBody } from './echo/echo.js';
import type { ExpectSpec, RequestSpec } from './types.js';

/** What a round trip produced. */
export interface Captured {
  /** Set when the round trip failed (connect error, reset, TLS failure, timeout). */
  error?: string;
  status?: number;
  /** Response headers, lower-case names, values in order. */
  headers: Record<string, string[]>;
  body: string;
  /** The echo JSON when the body is one. */
  echo?: EchoBody;
}

/** True for the statuses the upstream suite treats as "timed out". */
export function isTimeoutStatus(s: number | undefined): boolean {
  return s === 408 || s === 504;
}

/** True for 3xx redirect statuses. */
export function isRedirect(s: number | undefined): boolean {
  return s === 300 || s === 301 || s === 302 || s === 303 || s === 307 || s === 308;
}

/** Parses a response body as the echo JSON, if it is one. */
export function parseEcho(body: string): EchoBody | undefined {
  try {
    const v = JSON.parse(body) as unknown;
    if (v && typeof v === 'object' && 'path' in v && 'pod' in v) return v as EchoBody;
  } catch {
    // not JSON
  }
  return undefined;
}

/** Splits a Location into scheme, host, explicit port and path (port kept as written). */
export function parseLocation(location: string, base: { scheme: string; host: string }): { scheme: string; host: string; port: string; path: string } {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(location);
  if (!m) {
    const path = location.split(/[?#]/)[0] ?? '';
    const [h, p = ''] = splitHostPort(base.host);
    return { scheme: base.scheme, host: h, port: p, path };
  }
  const [host, port = ''] = splitHostPort(m[2] ?? '');
  return { scheme: m[1] ?? '', host, port, path: m[3] ?? '' };
}

function splitHostPort(authority: string): [string, string?] {
  const at = authority.lastIndexOf('@');
  const a = at >= 0 ? authority.slice(at + 1) : authority;
  if (a.startsWith('[')) {
    const end = a.indexOf(']');
    const host = a.slice(1, end);
    const rest = a.slice(end + 1);
    return rest.startsWith(':') ? [host, rest.slice(1)] : [host];
  }
  const i = a.lastIndexOf(':');
  return i >= 0 ? [a.slice(0, i), a.slice(i + 1)] : [a];
}

function joined(headers: Record<string, string[]>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v.join(',');
  return undefined;
}

/** The details of the sent request that the comparison needs. */
export interface SentRequest {
  scheme: string;
  /** The Host the request carried (for relative Locations). */
  host: string;
  /** The path+query sent (placeholders filled). */
  path: string;
  method: string;
}

/**
 * Compares a captured round trip with the expectation. `expectedPath` is the backend path
 * expected (placeholders and request id already applied). Returns null or what differs.
 */
export function compareHttp(sent: SentRequest, expect: ExpectSpec, cap: Captured, expectedPath?: string): string | null {
  if (expect.failure === 'request-error' || expect.failure === 'connection-rejected') {
    if (cap.error) return null;
    return `expected the request to fail, got HTTP ${cap.status}`;
  }
  if (cap.error) return `request failed: ${cap.error}`;
  if (expect.failure === 'non-200') {
    return cap.status !== 200 ? null : 'expected a non-200 response, got 200';
  }
  const wanted = expect.status === undefined ? [200] : Array.isArray(expect.status) ? expect.status : [expect.status];
  const status = cap.status;
  const timeoutOk = isTimeoutStatus(status) && wanted.some(isTimeoutStatus);
  if (!timeoutOk && !wanted.includes(status ?? -1)) return `expected status ${wanted.join(' or ')}, got ${status}`;
  if (timeoutOk) return null;

  const valid = expect.response?.validHeaderValues;
  if (valid) {
    const strip = expect.response?.ignoreWhitespace ? (s: string) => s.replace(/\s+/g, '') : (s: string) => s;
    for (const [name, options] of Object.entries(valid)) {
      const got = joined(cap.headers, name);
      if (got === undefined) return `expected response header ${name}, absent`;
      if (!options.some((o) => strip(o) === strip(got))) return `expected response header ${name} to be one of ${JSON.stringify(options)}, got ${JSON.stringify(got)}`;
    }
  }

  if (status === 200) {
    const req = expect.request ?? {};
    const echo = cap.echo;
    const gotPath = echo?.path ?? '';
    const wantPath = expectedPath ?? req.path ?? sent.path;
    if (req.host && req.host !== (echo?.host ?? '')) return `expected host ${req.host}, got ${echo?.host ?? ''}`;
    if (wantPath !== gotPath) return `expected path ${JSON.stringify(wantPath)}, got ${JSON.stringify(gotPath)}`;
    const wantMethod = req.method || (wantPath === '' ? '' : 'GET');
    if (echo && wantMethod !== echo.method) return `expected method ${wantMethod}, got ${echo.method}`;
    const wantNs = expect.namespace ?? '';
    if (wantNs !== (echo?.namespace ?? '')) return `expected namespace ${JSON.stringify(wantNs)}, got ${JSON.stringify(echo?.namespace ?? '')}`;
    if (req.headers) {
      if (!echo) return 'no request headers captured';
      for (const [name, value] of Object.entries(req.headers)) {
        const got = joined(echo.headers, name);
        if (got === undefined) return `expected request header ${name} to be set, backend got ${JSON.stringify(echo.headers)}`;
        if (got !== value) return `expected request header ${name}: ${JSON.stringify(value)}, got ${JSON.stringify(got)}`;
      }
    }
    for (const name of expect.response?.headers ? Object.keys(expect.response.headers) : []) {
      const value = expect.response?.headers?.[name] ?? '';
      const got = joined(cap.headers, name);
      if (got === undefined) return `expected response header ${name} to be set`;
      if (got !== value) return `expected response header ${name}: ${JSON.stringify(value)}, got ${JSON.stringify(got)}`;
    }
    for (const name of expect.response?.absentHeaders ?? []) {
      const got = joined(cap.headers, name);
      if (got !== undefined) return `expected response header ${name} to be absent, got ${JSON.stringify(got)}`;
    }
    for (const name of req.absentHeaders ?? []) {
      const got = echo ? joined(echo.headers, name) : undefined;
      if (got !== undefined) return `expected request header ${name} to be absent, got ${JSON.stringify(got)}`;
    }
    if (req.sni !== undefined && (echo?.sni ?? echo?.tls?.serverName ?? '') !== req.sni) return `expected backend SNI ${req.sni}, got ${JSON.stringify(echo?.sni ?? '')}`;
    const pod = echo?.pod ?? '';
    if (expect.backend && !pod.startsWith(expect.backend)) return `expected pod name to start with ${expect.backend}, got ${JSON.stringify(pod)}`;
    return null;
  }

  if (isRedirect(status) && expect.redirect) {
    const location = joined(cap.headers, 'location');
    if (location === undefined) return `expected a Location header with the ${status}`;
    const got = parseLocation(location, { scheme: sent.scheme, host: sent.host });
    const want = expect.redirect;
    const wantHost = want.host ?? got.host;
    if (wantHost !== got.host) return `expected redirect host ${JSON.stringify(wantHost)}, got ${JSON.stringify(got.host)} (Location ${location})`;
    const wantScheme = want.scheme ?? sent.scheme;
    if (want.port === undefined || want.port === '') {
      const scheme = got.scheme.toLowerCase();
      if (scheme === 'http' && got.port !== '80' && got.port !== '') return `for http redirects expected port 80 or none, got ${JSON.stringify(got.port)} (Location ${location})`;
      if (scheme === 'https' && got.port !== '443' && got.port !== '') return `for https redirects expected port 443 or none, got ${JSON.stringify(got.port)} (Location ${location})`;
    } else if (String(want.port) !== got.port) {
      return `expected redirect port ${want.port}, got ${JSON.stringify(got.port)} (Location ${location})`;
    }
    if (wantScheme !== got.scheme) return `expected redirect scheme ${wantScheme}, got ${got.scheme} (Location ${location})`;
    const wantPath = want.path ?? sent.path.split('?')[0];
    if (wantPath !== got.path) return `expected redirect path ${wantPath}, got ${got.path} (Location ${location})`;
  }
  return null;
}

/** Fills `<placeholder>` markers of a path (e.g. `<uuid>`). */
export function fillPlaceholders(path: string, values: Record<string, string>): string {
  let out = path;
  for (const [k, v] of Object.entries(values)) out = out.replaceAll(k, v);
  return out;
}

/** Appends the mirror request id query parameter upstream adds. */
export function withRequestId(path: string, id: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}gateway-api-conformance-request-id=${id}`;
}

/** The headers the client sends, including upstream's always-present X-Echo-Set-Header. */
export function requestHeaders(spec: RequestSpec): Record<string, string> {
  const out: Record<string, string> = { ...(spec.headers ?? {}) };
  const set = Object.entries(spec.backendSetResponseHeaders ?? {}).map(([k, v]) => `${k}:${v}`);
  out['X-Echo-Set-Header'] = set.join(',');
  return out;
}
