/**
 * Decides what to do with one request, without any I/O: answer it directly (404, redirect,
 * direct status, invalid backend, no endpoints, CORS preflight) or forward it to a chosen
 * backend with the upstream request already rewritten by the filters. The golden tests run this
 * function; the server runs it and then performs the plan.
 */
import type * as ir from '../ir/types.js';
import { GW_ERR, statusText, type ErrorCode } from './errors.js';
import { addActualCorsHeaders, isPreflight, preflightHeaders } from './filters/cors.js';
import { applyHeaderModifier } from './filters/header-modifier.js';
import { rewritePath } from './filters/path-rewrite.js';
import { buildLocation } from './filters/redirect.js';
import { emptyHeaders, forwardableHeaders, headerValue, joinedHeader, type HeaderMap } from './headers.js';
import { toGrpcReplyHeaders } from './grpc/status.js';
import { parseGrpcTimeout } from './grpc/timeout.js';
import { toRouteRequest, type RouteRequest } from './router/match.js';
import { routeRequest } from './router/route.js';
import type {
  CompiledBackend,
  CompiledListener,
  CompiledMirror,
  CompiledRule,
  CompiledServer,
  CompiledServiceBackend,
} from './router/types.js';
import { pickWeighted } from './router/weighted.js';

/** What the plan needs to know about an incoming request. */
export interface IncomingRequest {
  readonly method: string;
  /** The request target as received: raw path and query. */
  readonly target: string;
  /** `[name, value, ...]` as received. */
  readonly rawHeaders: readonly string[];
  /** Host header (HTTP/1) or `:authority`. */
  readonly host: string;
  readonly clientIp: string;
}

/** The gateway answers itself. */
export interface ReplyPlan {
  readonly kind: 'reply';
  readonly status: number;
  readonly headers: HeaderMap;
  readonly body: string;
  readonly code: ErrorCode | null;
  readonly rule: CompiledRule | null;
  readonly listener: CompiledListener | null;
}

/** The request goes to `backend` as `method target` with `headers` (including `host`). */
export interface ForwardPlan {
  readonly kind: 'forward';
  readonly rule: CompiledRule;
  readonly listener: CompiledListener;
  readonly backend: CompiledServiceBackend;
  readonly method: string;
  /** Rewritten path plus the original query. */
  readonly target: string;
  readonly headers: HeaderMap;
  /** Client `Origin` when the rule has CORS, for the actual-request headers. */
  readonly origin: string | null;
  /** Mirrors selected for this request (fractions already sampled). */
  readonly mirrors: readonly CompiledMirror[];
  /** A gRPC call on a GRPCRoute rule: failures are answered with gRPC statuses. */
  readonly grpc: boolean;
  /** The call's `grpc-timeout` (any gRPC call), enforced as its deadline; null: none. */
  readonly grpcTimeoutMs: number | null;
}

export type Plan = ReplyPlan | ForwardPlan;

function reply(
  status: number,
  code: ErrorCode | null,
  rule: CompiledRule | null,
  listener: CompiledListener | null,
  headers: HeaderMap = emptyHeaders(),
): ReplyPlan {
  const body = code === null ? '' : `${statusText(status)}\n`;
  if (body !== '') headers['content-type'] = 'text/plain; charset=utf-8';
  return { kind: 'reply', status, headers, body, code, rule, listener };
}

/**
 * Applies the response-side filters of the rule (and backend) to a response header map:
 * ResponseHeaderModifier, then the CORS headers of an actual request.
 */
export function decorateResponse(
  headers: HeaderMap,
  rule: CompiledRule,
  backend: CompiledServiceBackend | null,
  origin: string | null,
): void {
  if (rule.responseHeaders !== null) applyHeaderModifier(headers, rule.responseHeaders);
  if (backend !== null && backend.responseHeaders !== null) applyHeaderModifier(headers, backend.responseHeaders);
  if (rule.cors !== null) addActualCorsHeaders(rule.cors, origin, headers);
}

function redirectReply(
  r: ir.Redirect,
  rule: CompiledRule,
  listener: CompiledListener,
  backend: CompiledServiceBackend | null,
  host: string,
  path: string,
  query: string,
  origin: string | null,
): ReplyPlan {
  const headers = emptyHeaders();
  headers['location'] = buildLocation(r, { listenerScheme: listener.scheme, listenerPort: listener.port, host, path, query });
  decorateResponse(headers, rule, backend, origin);
  return reply(r.statusCode, null, rule, listener, headers);
}

function failReply(status: number, code: ErrorCode, rule: CompiledRule, listener: CompiledListener, origin: string | null): ReplyPlan {
  const headers = emptyHeaders();
  decorateResponse(headers, rule, null, origin);
  return reply(status, code, rule, listener, headers);
}

/** Request filters (header modifier, URL rewrite) on the upstream request being built. */
function applyRequestFilters(filters: readonly ir.RequestFilter[], headers: HeaderMap, path: string): string {
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i] as ir.RequestFilter;
    if (f.type === 'RequestHeaderModifier') applyHeaderModifier(headers, f.headers);
    else {
      // Spec (HTTPURLRewriteFilter.Hostname): "Hostname is the value to be used to replace the
      // Host header value during forwarding."
      if (f.hostname !== null) headers['host'] = f.hostname;
      if (f.path !== null) path = rewritePath(path, f.path);
    }
  }
  return path;
}

/**
 * Plans `req` against `server`. `random` returns numbers in [0, 1) (Math.random in production,
 * fixed sequences in tests); it picks the weighted backend and samples mirrors.
 */
export function planRequest(server: CompiledServer, req: IncomingRequest, random: () => number): Plan {
  const rr = toRouteRequest(req.method, req.target, req.rawHeaders);
  const plan = planRouted(server, req, rr, random);
  return rr.grpc ? toGrpcPlan(plan, req.rawHeaders) : plan;
}

/**
 * gRPC calls: answers the gateway makes itself become gRPC statuses (Trailers-Only, HTTP 200)
 * when no route matched or the rule is a GRPCRoute's — unmatched → UNIMPLEMENTED, invalid or
 * missing backend → UNAVAILABLE (see grpc/status.ts). A gRPC call through an HTTPRoute keeps
 * HTTPRoute's answers. Forwarded calls carry their `grpc-timeout` deadline, and `te: trailers`
 * to HTTP/2 backends (gRPC servers may require it; it is hop-by-hop, so it was not copied).
 */
function toGrpcPlan(plan: Plan, rawHeaders: readonly string[]): Plan {
  if (plan.kind === 'reply') {
    if (plan.code === null || (plan.rule !== null && plan.rule.kind !== 'GRPCRoute')) return plan;
    return { ...plan, status: 200, headers: toGrpcReplyHeaders(plan.status, plan.code, plan.headers), body: '' };
  }
  if (plan.backend.protocol === 'h2c' || plan.backend.protocol === 'h2') plan.headers['te'] = 'trailers';
  return {
    ...plan,
    grpc: plan.rule.kind === 'GRPCRoute',
    grpcTimeoutMs: parseGrpcTimeout(joinedHeader(rawHeaders, 'grpc-timeout')),
  };
}

function planRouted(server: CompiledServer, req: IncomingRequest, rr: RouteRequest, random: () => number): Plan {
  const { listener, rule } = routeRequest(server, req.host, rr);
  if (listener === null || rule === null) return reply(404, GW_ERR.NO_ROUTE, null, listener);

  const origin = rule.cors === null ? null : joinedHeader(req.rawHeaders, 'origin');
  if (rule.cors !== null && isPreflight(req.method, req.rawHeaders)) {
    // The gateway answers the preflight itself; the backend never sees it.
    return reply(204, null, rule, listener, preflightHeaders(rule.cors, req.rawHeaders, emptyHeaders()));
  }

  const action = rule.action;
  if (action.kind === 'redirect') {
    return redirectReply(action.redirect, rule, listener, null, req.host, rr.path, rr.query, origin);
  }
  if (action.kind === 'direct') {
    return failReply(action.status, action.status >= 400 ? GW_ERR.INVALID_BACKEND : GW_ERR.INTERNAL, rule, listener, origin);
  }

  // Spec (HTTPRouteRule.BackendRefs): "If *all* entries in BackendRefs are invalid, and there are
  // also no filters specified in this route rule, *all* traffic which matches this rule MUST
  // receive a 500 status code." Invalid entries keep their weighted share of 500s.
  const index = pickWeighted(action.cumulative, action.totalWeight, random());
  const chosen: CompiledBackend | undefined = index === -1 ? undefined : action.backends[index];
  if (chosen === undefined) return failReply(500, GW_ERR.INVALID_BACKEND, rule, listener, origin);
  if (chosen.kind === 'invalid') return failReply(chosen.status, GW_ERR.INVALID_BACKEND, rule, listener, origin);

  const headers = forwardableHeaders(req.rawHeaders);
  if (headers['host'] === undefined && req.host !== '') headers['host'] = req.host;
  // X-Forwarded-* first, so request filters may still edit them.
  const xff = headerValue(headers, 'x-forwarded-for');
  headers['x-forwarded-for'] = xff === null ? req.clientIp : `${xff}, ${req.clientIp}`;
  headers['x-forwarded-proto'] = listener.scheme;
  headers['x-forwarded-host'] = req.host;

  let path = applyRequestFilters(rule.requestFilters, headers, rr.path);
  // Backend-level filters run only when that backend is chosen, after the rule's.
  path = applyRequestFilters(chosen.requestFilters, headers, path);
  if (chosen.redirect !== null) {
    return redirectReply(chosen.redirect, rule, listener, chosen, req.host, path, rr.query, origin);
  }
  if (chosen.endpoints.length === 0) return failReply(503, GW_ERR.NO_ENDPOINTS, rule, listener, origin);

  let mirrors: CompiledMirror[] | readonly CompiledMirror[] = rule.mirrors;
  if (mirrors.length > 0) {
    const picked: CompiledMirror[] = [];
    for (let i = 0; i < mirrors.length; i++) {
      const m = mirrors[i] as CompiledMirror;
      if (m.fraction >= 1 || (m.fraction > 0 && random() < m.fraction)) picked.push(m);
    }
    mirrors = picked;
  }
  return {
    kind: 'forward',
    rule,
    listener,
    backend: chosen,
    method: req.method,
    target: rr.query === '' ? path : `${path}?${rr.query}`,
    headers,
    origin,
    mirrors,
    grpc: false,
    grpcTimeoutMs: null,
  };
}
