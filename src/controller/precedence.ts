/**
 * Request matching precedence across the routes of one virtual host (spec digest §d.5).
 *
 * HTTPRouteSpec.Hostnames: "In the event that multiple HTTPRoutes specify intersecting
 * hostnames (e.g. overlapping wildcard matching and exact matching hostnames), precedence must
 * be given to rules from the HTTPRoute with the largest number of:
 *   * Characters in a matching non-wildcard hostname.
 *   * Characters in a matching hostname.
 * If ties exist across multiple Routes, the matching precedence rules for HTTPRouteMatches
 * takes over."
 *
 * HTTPRouteRule.Matches: "Proxy or Load Balancer routing configuration generated from
 * HTTPRoutes MUST prioritize matches based on the following criteria, continuing on ties.
 * Across all rules specified on applicable Routes, precedence must be given to the match
 * having:
 *   * "Exact" path match.
 *   * "Prefix" path match with largest number of characters.
 *   * Method match.
 *   * Largest number of header matches.
 *   * Largest number of query param matches.
 * Note: The precedence of RegularExpression path matches are implementation-specific.
 * If ties still exist across multiple Routes, matching precedence MUST be determined in order
 * of the following criteria, continuing on ties:
 *   * The oldest Route based on creation timestamp.
 *   * The Route appearing first in alphabetical order by "{namespace}/{name}".
 * If ties still exist within an HTTPRoute, matching precedence MUST be granted to the FIRST
 * matching rule (in list order) with a match meeting the above criteria."
 *
 * Our choice for RegularExpression paths: they rank after every Exact and PathPrefix match
 * (even `PathPrefix /`), and tie with each other on the path (the length of a pattern says
 * nothing about how specific it is), so method, headers, query params, age and name decide. *
 * GRPCRouteRule.Matches: "Proxy or Load Balancer routing configuration generated from
 * GRPCRoutes MUST prioritize rules based on the following criteria, continuing on ties.
 * Merging MUST not be done between GRPCRoutes and HTTPRoutes. Precedence MUST be given to the
 * rule with the largest number of:
 *   * Characters in a matching non-wildcard hostname.
 *   * Characters in a matching hostname.
 *   * Characters in a matching service.
 *   * Characters in a matching method.
 *   * Header matches.
 * If ties still exist across multiple Routes, matching precedence MUST be determined in order
 * of the following criteria, continuing on ties: […] oldest […] alphabetical order by
 * "{namespace}/{name}". If ties still exist within the Route that has been given precedence,
 * matching precedence MUST be granted to the first matching rule meeting the above criteria."
 *
 * Our choice to never merge the two kinds: in a virtual host every GRPCRoute entry comes
 * before every HTTPRoute entry, each kind ordered by its own criteria; the data plane matches
 * gRPC requests against the GRPCRoute entries and other requests against the HTTPRoute ones
 * (see grpc-routes.ts).
 */
import type * as api from '../api/types.js';
import type * as ir from '../ir/types.js';
import { compareGrpcRanks, type GrpcMatchRank } from './grpc-matches.js';
import { hostnameCovers, isWildcard } from './hostnames.js';
import { compareByAgeThenKey } from '../source/snapshot.js';

/** How well a route's effective hostnames match one virtual host name. */
export interface HostnamePrecedence {
  /** Characters in a matching non-wildcard hostname (0 if none). */
  readonly exact: number;
  /** Characters in a matching hostname, wildcard or not (0 for "any host"). */
  readonly any: number;
}

/** One (rule, match) of one route, as ordered inside a virtual host. */
export interface PrecedenceEntry {
  readonly route: api.KubeObject;
  readonly host: HostnamePrecedence;
  readonly match: ir.Match;
  readonly ruleIndex: number;
  readonly matchIndex: number;
  /** Set for GRPCRoute entries: the GRPCRoute precedence rank of `match`. */
  readonly grpc?: GrpcMatchRank;
}

/** The route's hostname precedence for virtual host `vhost` (`*` = any host). */
export function computeHostnamePrecedence(effective: readonly string[], vhost: string): HostnamePrecedence {
  let exact = 0;
  let any = 0;
  for (const h of effective) {
    if (vhost === '*' || !hostnameCovers(h, vhost)) continue;
    if (!isWildcard(h)) exact = Math.max(exact, h.length);
    any = Math.max(any, h.length);
  }
  return { exact, any };
}

/** Exact > PathPrefix > RegularExpression. */
function pathRank(p: ir.PathMatch): number {
  return p.type === 'Exact' ? 2 : p.type === 'PathPrefix' ? 1 : 0;
}

/** Orders two matches by the HTTPRouteMatch criteria only (negative: `a` first). */
export function compareMatches(a: ir.Match, b: ir.Match): number {
  const rank = pathRank(b.path) - pathRank(a.path);
  if (rank !== 0) return rank;
  if (a.path.type === 'PathPrefix' && b.path.type === 'PathPrefix') {
    const len = b.path.value.length - a.path.value.length;
    if (len !== 0) return len;
  }
  const method = Number(b.method !== null) - Number(a.method !== null);
  if (method !== 0) return method;
  const headers = b.headers.length - a.headers.length;
  if (headers !== 0) return headers;
  return b.queryParams.length - a.queryParams.length;
}

/** The full order of entries in a virtual host (negative: `a` is tried first). */
export function compareEntries(a: PrecedenceEntry, b: PrecedenceEntry): number {
  // GRPCRoute entries first, never interleaved with HTTPRoute entries.
  const kind = Number(b.grpc !== undefined) - Number(a.grpc !== undefined);
  if (kind !== 0) return kind;
  if (a.host.exact !== b.host.exact) return b.host.exact - a.host.exact;
  if (a.host.any !== b.host.any) return b.host.any - a.host.any;
  const m = a.grpc !== undefined && b.grpc !== undefined ? compareGrpcRanks(a.grpc, b.grpc) : compareMatches(a.match, b.match);
  if (m !== 0) return m;
  // Ties across routes: oldest creationTimestamp, then `{namespace}/{name}`.
  const age = compareByAgeThenKey(a.route, b.route);
  if (age !== 0) return age;
  if (a.ruleIndex !== b.ruleIndex) return a.ruleIndex - b.ruleIndex;
  return a.matchIndex - b.matchIndex;
}

/** Virtual host order: exact names (alphabetical), wildcards longest first, `*` last. */
export function compareVirtualHostNames(a: string, b: string): number {
  const ra = a === '*' ? 2 : isWildcard(a) ? 1 : 0;
  const rb = b === '*' ? 2 : isWildcard(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  if (ra === 1 && a.length !== b.length) return b.length - a.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
