/**
 * GRPCRoute matches → IR matches on the HTTP/2 request path `/<service>/<method>`, plus the
 * rank the GRPCRoute precedence rules order them by.
 *
 * GRPCMethodMatch: "Method specifies a gRPC request service/method matcher. If this field is
 * not specified, all services and methods will match." Service: "If left empty or omitted,
 * will match any service." Method: "If left empty or omitted, will match all services."
 * Type: "Support: Core (Exact with service and method specified) / Implementation-specific
 * (Exact with method specified but no service specified) / Implementation-specific
 * (RegularExpression)". We support all of them:
 *   Exact, service + method  → path Exact `/<service>/<method>`
 *   Exact, service only      → PathPrefix `/<service>` (element-wise: `/<service>/…`)
 *   Exact, method only       → RegularExpression `/[^/]+/<method>`
 *   RegularExpression        → RegularExpression `/(?:<service>)/(?:<method>)`, an omitted
 *                              part being `[^/]+`; each part validated like HTTPRoute regexes
 *   no method match          → PathPrefix `/` (every call)
 * Exact names are escaped; the CRD's CEL already restricts them to identifier characters.
 * Headers: GRPCHeaderMatch is HTTPHeaderMatch's twin (Exact, RegularExpression, first entry
 * of a name wins), converted by the same code as HTTPRoute's.
 */
import { exact } from './exact-array.js';
import type * as api from '../api/types.js';
import type * as ir from '../ir/types.js';
import { fieldMessage, unsupported, type RouteProblem, type RuleInvalidReason } from './route-conditions.js';
import { checkRegex, convertValueMatches } from './route-matches.js';

/**
 * What GRPCRoute precedence compares for one match (GRPCRouteRule.Matches): "Characters in a
 * matching service. Characters in a matching method. Header matches." A regular expression
 * counts 0 characters (its length says nothing about how specific it is), so it ranks after
 * every exact name of that part, but before an omitted one (`serviceRegex`, `methodRegex`
 * break the tie): a regex service is more specific than "any service".
 */
export interface GrpcMatchRank {
  /** Characters of an exact service name (0: regex or omitted). */
  readonly service: number;
  readonly serviceRegex: boolean;
  /** Characters of an exact method name (0: regex or omitted). */
  readonly method: number;
  readonly methodRegex: boolean;
  readonly headers: number;
}

/** One rule's matches converted, with their ranks (same order and length as `matches`). */
export interface GrpcMatchesResult {
  readonly matches: ir.Match[];
  readonly ranks: GrpcMatchRank[];
  readonly problems: RouteProblem<RuleInvalidReason>[];
}

/** "If no matches are specified, the implementation MUST match every gRPC request." */
export const GRPC_MATCH_ALL: ir.Match = { path: { type: 'PathPrefix', value: '/' }, method: null, headers: [], queryParams: [] };

const ANY_SEGMENT = '[^/]+';
const NO_RANK: GrpcMatchRank = { service: 0, serviceRegex: false, method: 0, methodRegex: false, headers: 0 };

/** Escapes a literal for use inside a regular expression. */
function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Converts `spec.rules[i].matches` of a GRPCRoute; `field` is `spec.rules[i]`. */
export function convertGrpcMatches(matches: readonly api.GRPCRouteMatch[] | undefined, field: string): GrpcMatchesResult {
  if (!matches || matches.length === 0) {
    return { matches: [GRPC_MATCH_ALL], ranks: [{ ...NO_RANK }], problems: [] };
  }
  const out: ir.Match[] = [];
  const ranks: GrpcMatchRank[] = [];
  const problems: RouteProblem<RuleInvalidReason>[] = [];
  matches.forEach((m, j) => {
    const at = `${field}.matches[${j}]`;
    const before = problems.length;
    const headers = convertValueMatches(m.headers, `${at}.headers`, true, problems);
    const method = convertMethod(m.method, `${at}.method`, problems);
    if (method === null || problems.length > before) return;
    out.push({ path: method.path, method: null, headers, queryParams: [] });
    ranks.push({ ...method.rank, headers: headers.length });
  });
  return { matches: exact(out), ranks: exact(ranks), problems };
}

function convertMethod(
  m: api.GRPCMethodMatch | undefined,
  at: string,
  problems: RouteProblem<RuleInvalidReason>[],
): { path: ir.PathMatch; rank: GrpcMatchRank } | null {
  if (m === undefined) return { path: { type: 'PathPrefix', value: '/' }, rank: NO_RANK };
  const type = m.type ?? 'Exact';
  const service = m.service ?? '';
  const method = m.method ?? '';
  if (service === '' && method === '') {
    // CEL: "One or both of 'service' or 'method' must be specified" (when type is set).
    problems.push(unsupported(fieldMessage(at, `one or both of service and method must be specified`)));
    return null;
  }
  if (type === 'Exact') {
    if (/\//.test(service) || /\//.test(method)) {
      problems.push(unsupported(fieldMessage(at, `service and method names cannot contain "/"`)));
      return null;
    }
    if (service !== '' && method !== '') {
      return { path: { type: 'Exact', value: `/${service}/${method}` }, rank: { ...NO_RANK, service: service.length, method: method.length } };
    }
    if (service !== '') return { path: { type: 'PathPrefix', value: `/${service}` }, rank: { ...NO_RANK, service: service.length } };
    return { path: { type: 'RegularExpression', value: `/${ANY_SEGMENT}/${escapeRegex(method)}` }, rank: { ...NO_RANK, method: method.length } };
  }
  if (type === 'RegularExpression') {
    for (const [name, value] of [['service', service], ['method', method]] as const) {
      if (value === '') continue;
      const why = checkRegex(value);
      if (why) {
        problems.push(unsupported(fieldMessage(`${at}.${name}`, why)));
        return null;
      }
    }
    const s = service === '' ? ANY_SEGMENT : `(?:${service})`;
    const me = method === '' ? ANY_SEGMENT : `(?:${method})`;
    const value = `/${s}/${me}`;
    const why = checkRegex(value);
    if (why) {
      problems.push(unsupported(fieldMessage(at, why)));
      return null;
    }
    return { path: { type: 'RegularExpression', value }, rank: { ...NO_RANK, serviceRegex: service !== '', methodRegex: method !== '' } };
  }
  problems.push(unsupported(fieldMessage(`${at}.type`, `method match type "${type}" is not supported`)));
  return null;
}

/**
 * Orders two GRPCRoute matches by the GRPCRouteRule.Matches criteria only (negative: `a`
 * first): service characters, then method characters, then header matches (see GrpcMatchRank
 * for regular expressions).
 */
export function compareGrpcRanks(a: GrpcMatchRank, b: GrpcMatchRank): number {
  if (a.service !== b.service) return b.service - a.service;
  if (a.serviceRegex !== b.serviceRegex) return a.serviceRegex ? -1 : 1;
  if (a.method !== b.method) return b.method - a.method;
  if (a.methodRegex !== b.methodRegex) return a.methodRegex ? -1 : 1;
  return b.headers - a.headers;
}
