/**
 * Request matching: one compiled `CompiledMatch` per IR match, evaluated with a plain function
 * (no closures). Regular expressions are compiled once here and anchored to a full match.
 *
 * Spec (HTTPRouteMatch): "Multiple match types are ANDed together, i.e. the match will
 * evaluate to true only if all conditions are satisfied."
 */
import type * as ir from '../../ir/types.js';
import { isGrpcContentType } from '../grpc/status.js';
import { joinedHeader } from '../headers.js';
import { PATH_EXACT, PATH_PREFIX, PATH_REGEX, type CompiledMatch, type CompiledValueMatch } from './types.js';

/** What matching needs from a request. Built once per request by `toRouteRequest`. */
export interface RouteRequest {
  readonly method: string;
  /** Raw path before `?`, not decoded. */
  readonly path: string;
  /** Raw query after `?` (without it), `''` when absent. */
  readonly query: string;
  readonly rawHeaders: readonly string[];
  /** First value of each query parameter, parsed lazily on the first query match. */
  parsedQuery: Record<string, string> | null;
  /** A gRPC call (content-type application/grpc…): matched against GRPCRoute entries. */
  readonly grpc: boolean;
}

/** Splits a request target into path and query without building a URL. */
export function toRouteRequest(method: string, target: string, rawHeaders: readonly string[]): RouteRequest {
  const q = target.indexOf('?');
  return {
    method,
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? '' : target.slice(q + 1),
    rawHeaders,
    parsedQuery: null,
    grpc: isGrpcContentType(joinedHeader(rawHeaders, 'content-type')),
  };
}

/** Anchored, compiled once. Throws SyntaxError on an invalid pattern (caught by compile). */
export function compileRegex(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

function compileValueMatch(m: ir.ValueMatch, lowerName: boolean): CompiledValueMatch {
  return {
    name: lowerName ? m.name.toLowerCase() : m.name,
    exact: m.type === 'Exact' ? m.value : null,
    regex: m.type === 'RegularExpression' ? compileRegex(m.value) : null,
  };
}

/** Compiles one IR match. Throws on an invalid regular expression. */
export function compileMatch(m: ir.Match): CompiledMatch {
  const p = m.path;
  let pathValue = p.value;
  if (p.type === 'PathPrefix') {
    // Element-wise prefix: keep it without trailing slashes, the root prefix becomes ''.
    while (pathValue.endsWith('/')) pathValue = pathValue.slice(0, -1);
  }
  return {
    pathKind: p.type === 'Exact' ? PATH_EXACT : p.type === 'PathPrefix' ? PATH_PREFIX : PATH_REGEX,
    pathValue,
    pathRegex: p.type === 'RegularExpression' ? compileRegex(p.value) : null,
    method: m.method,
    headers: m.headers.map((h) => compileValueMatch(h, true)),
    queryParams: m.queryParams.map((q) => compileValueMatch(q, false)),
  };
}

/**
 * Spec (HTTPPathMatch PathPrefix): "Matches based on a URL path prefix split by `/`. Matching is
 * done on a path element by element basis. A path element refers to the list of labels in the
 * path split by the `/` separator. When specified, a trailing `/` is ignored. For example, the
 * paths `/abc`, `/abc/`, and `/abc/def` would all match the prefix `/abc`, but the path `/abcd`
 * would not."
 */
export function matchesPrefix(path: string, prefix: string): boolean {
  if (prefix === '') return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 47; /* / */
}

function decodeComponent(s: string): string {
  if (s.indexOf('+') !== -1) s = s.replace(/\+/g, ' ');
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Spec (HTTPQueryParamMatch): "If multiple entries specify equivalent query param names, only
 * the first entry with an equivalent name MUST be considered for a match." and for repeated
 * parameters in the request "it is RECOMMENDED ... to match only the first value".
 */
function parseQuery(query: string): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  if (query === '') return out;
  const parts = query.split('&');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq === -1 ? part : part.slice(0, eq));
    if (out[name] !== undefined) continue;
    out[name] = eq === -1 ? '' : decodeComponent(part.slice(eq + 1));
  }
  return out;
}

function valueMatches(m: CompiledValueMatch, value: string): boolean {
  return m.exact !== null ? m.exact === value : (m.regex as RegExp).test(value);
}

/** True when every condition of `m` holds for `req`. */
export function matches(m: CompiledMatch, req: RouteRequest): boolean {
  switch (m.pathKind) {
    case PATH_EXACT:
      if (req.path !== m.pathValue) return false;
      break;
    case PATH_PREFIX:
      if (!matchesPrefix(req.path, m.pathValue)) return false;
      break;
    default:
      if (!(m.pathRegex as RegExp).test(req.path)) return false;
  }
  if (m.method !== null && m.method !== req.method) return false;
  const hs = m.headers;
  for (let i = 0; i < hs.length; i++) {
    const h = hs[i] as CompiledValueMatch;
    // Repeated request headers are compared as one `,`-joined value.
    const v = joinedHeader(req.rawHeaders, h.name);
    if (v === null || !valueMatches(h, v)) return false;
  }
  const qs = m.queryParams;
  if (qs.length > 0) {
    const parsed = (req.parsedQuery ??= parseQuery(req.query));
    for (let i = 0; i < qs.length; i++) {
      const q = qs[i] as CompiledValueMatch;
      const v = parsed[q.name];
      if (v === undefined || !valueMatches(q, v)) return false;
    }
  }
  return true;
}
