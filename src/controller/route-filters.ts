/**
 * HTTPRoute filters → IR (spec digest §d.8); timeouts and retry are in route-timeouts.ts.
 *
 * HTTPRouteRule.Filters: "All filters are expected to be compatible with each other except for
 * the URLRewrite and RequestRedirect filters, which may not be combined. […] To reject an
 * invalid combination or order of filters, implementations SHOULD consider the Route Rules with
 * this configuration invalid." And HTTPRouteFilter.Type: "If a reference to a custom filter
 * type cannot be resolved, the filter MUST NOT be skipped. Instead, requests that would have
 * been processed by that filter MUST receive a HTTP error response."
 *
 * So a filter we cannot apply never silently disappears: ExtensionRef (we have no extensions)
 * turns the rule into a direct 500 with ResolvedRefs=False InvalidKind; an unsupported filter
 * type or combination makes the rule invalid (reported) and it answers 500 — it is not dropped
 * so that its requests cannot fall through to a broader rule without the filter (fail closed).
 */
import type * as api from '../api/types.js';
import type * as ir from '../ir/types.js';
import type { ResourceIndex } from './model.js';
import { exact } from './exact-array.js';
import { fieldMessage, unsupported, type RefReason, type RouteProblem, type RuleInvalidReason } from './route-conditions.js';
import { resolveBackendRef, type ReferrerInfo } from './backend-refs.js';
import { normalizePrefix } from './route-matches.js';

/** HTTPCORSFilter.MaxAge default (seconds). */
export const DEFAULT_CORS_MAX_AGE = 5;
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
/** Filters that may appear more than once in a rule. */
const REPEATABLE = new Set(['RequestMirror', 'ExtensionRef']);

/** Context shared by the filter converters of one rule. */
export interface FilterContext {
  readonly index: ResourceIndex;
  readonly from: ReferrerInfo;
  /** The rule's matches as written (ReplacePrefixMatch needs its single PathPrefix match). */
  readonly matches: readonly api.HTTPRouteMatch[] | undefined;
}

/** Everything the rule-level filters contribute to an IR rule. */
export interface RuleFilters {
  readonly requestFilters: ir.RequestFilter[];
  readonly responseHeaders: ir.HeaderModifier | null;
  readonly cors: ir.Cors | null;
  readonly mirrors: ir.Mirror[];
  readonly redirect: ir.Redirect | null;
  /** Requests must get a 500 (unresolvable ExtensionRef). */
  readonly respond500: boolean;
  readonly invalid: RouteProblem<RuleInvalidReason>[];
  readonly refProblems: RouteProblem<RefReason>[];
}

/** Converts `spec.rules[i].filters`; `field` is `spec.rules[i]`. */
export function convertRuleFilters(
  ctx: FilterContext,
  filters: readonly api.HTTPRouteFilter[] | undefined,
  field: string,
): RuleFilters {
  const out = {
    requestFilters: [] as ir.RequestFilter[],
    responseHeaders: null as ir.HeaderModifier | null,
    cors: null as ir.Cors | null,
    mirrors: [] as ir.Mirror[],
    redirect: null as ir.Redirect | null,
    respond500: false,
    invalid: [] as RouteProblem<RuleInvalidReason>[],
    refProblems: [] as RouteProblem<RefReason>[],
  };
  const list = filters ?? [];
  checkCombination(list, `${field}.filters`, out.invalid);
  list.forEach((f, k) => {
    const at = `${field}.filters[${k}]`;
    switch (f.type) {
      case 'RequestHeaderModifier':
        out.requestFilters.push({ type: 'RequestHeaderModifier', headers: toHeaderModifier(f.requestHeaderModifier) });
        break;
      case 'ResponseHeaderModifier':
        out.responseHeaders = toHeaderModifier(f.responseHeaderModifier);
        break;
      case 'URLRewrite': {
        const rewrite = toUrlRewrite(ctx, f.urlRewrite, `${at}.urlRewrite`, out.invalid);
        if (rewrite) out.requestFilters.push(rewrite);
        break;
      }
      case 'RequestRedirect':
        out.redirect = toRedirect(ctx, f.requestRedirect, `${at}.requestRedirect`, out.invalid);
        break;
      case 'RequestMirror': {
        const mirror = toMirror(ctx, f.requestMirror, `${at}.requestMirror`, out.invalid, out.refProblems);
        if (mirror) out.mirrors.push(mirror);
        break;
      }
      case 'CORS':
        out.cors = toCors(f.cors);
        break;
      case 'ExtensionRef': {
        const ref = f.extensionRef;
        const gk = ref ? `${ref.kind}.${ref.group || 'core'} "${ref.name}"` : 'an unnamed object';
        out.respond500 = true;
        out.refProblems.push({
          reason: 'InvalidKind',
          message: fieldMessage(`${at}.extensionRef`, `ExtensionRef to ${gk} is not supported; requests matching the rule get a 500`),
        });
        break;
      }
      default:
        out.invalid.push(unsupported(fieldMessage(`${at}.type`, `filter type "${f.type}" is not supported`)));
    }
  });
  out.requestFilters = exact(out.requestFilters);
  out.mirrors = exact(out.mirrors);
  return out;
}

/** What backend-level filters contribute to an IR backend. */
export interface BackendFilters {
  readonly requestFilters: ir.RequestFilter[];
  readonly redirect: ir.Redirect | null;
  readonly responseHeaders: ir.HeaderModifier | null;
}

/**
 * Converts `spec.rules[i].backendRefs[j].filters` (applied only when that backend is chosen).
 * RequestHeaderModifier, ResponseHeaderModifier, URLRewrite and RequestRedirect are supported
 * there; any other filter makes the rule invalid.
 */
export function convertBackendFilters(
  ctx: FilterContext,
  filters: readonly api.HTTPRouteFilter[] | undefined,
  field: string,
  invalid: RouteProblem<RuleInvalidReason>[],
): BackendFilters {
  const out = { requestFilters: [] as ir.RequestFilter[], redirect: null as ir.Redirect | null, responseHeaders: null as ir.HeaderModifier | null };
  const list = filters ?? [];
  checkCombination(list, `${field}.filters`, invalid);
  list.forEach((f, k) => {
    const at = `${field}.filters[${k}]`;
    if (f.type === 'RequestHeaderModifier') {
      out.requestFilters.push({ type: 'RequestHeaderModifier', headers: toHeaderModifier(f.requestHeaderModifier) });
    } else if (f.type === 'ResponseHeaderModifier') {
      out.responseHeaders = toHeaderModifier(f.responseHeaderModifier);
    } else if (f.type === 'URLRewrite') {
      const rewrite = toUrlRewrite(ctx, f.urlRewrite, `${at}.urlRewrite`, invalid);
      if (rewrite) out.requestFilters.push(rewrite);
    } else if (f.type === 'RequestRedirect') {
      out.redirect = toRedirect(ctx, f.requestRedirect, `${at}.requestRedirect`, invalid);
    } else {
      invalid.push(unsupported(fieldMessage(`${at}.type`, `filter type "${f.type}" is not supported on a backendRef`)));
    }
  });
  out.requestFilters = exact(out.requestFilters);
  return out;
}

// ---------------------------------------------------------------- helpers

function checkCombination(filters: readonly api.HTTPRouteFilter[], at: string, invalid: RouteProblem<RuleInvalidReason>[]): void {
  const types = filters.map((f) => f.type);
  if (types.includes('RequestRedirect') && types.includes('URLRewrite')) {
    invalid.push(incompatible(fieldMessage(at, `RequestRedirect and URLRewrite cannot be combined`)));
  }
  const again = types.filter((t, i) => !REPEATABLE.has(t) && types.indexOf(t) !== i);
  if (again.length === 0) return;
  for (const t of new Set(again)) invalid.push(incompatible(fieldMessage(at, `${t} may appear only once`)));
}

/** Header names are case-insensitive: lower-cased once here. */
function toHeaderModifier(m: api.HTTPHeaderFilter | undefined): ir.HeaderModifier {
  return {
    set: (m?.set ?? []).map((h) => ({ name: h.name.toLowerCase(), value: h.value })),
    add: (m?.add ?? []).map((h) => ({ name: h.name.toLowerCase(), value: h.value })),
    remove: (m?.remove ?? []).map((n) => n.toLowerCase()),
  };
}

function toUrlRewrite(
  ctx: FilterContext,
  f: api.HTTPURLRewriteFilter | undefined,
  at: string,
  invalid: RouteProblem<RuleInvalidReason>[],
): ir.RequestFilter | null {
  if (!f) {
    invalid.push(unsupported(fieldMessage(at, `the filter configuration is missing`)));
    return null;
  }
  const path = f.path ? toPathRewrite(ctx, f.path, `${at}.path`, invalid) : null;
  if (f.path && !path) return null;
  return { type: 'URLRewrite', hostname: f.hostname ?? null, path };
}

/**
 * RequestRedirect. HTTPRequestRedirectFilter.StatusCode defaults to 302; the port is left null
 * for the data plane to derive ("If no port is specified, the redirect port MUST be derived
 * using the following rules: * If redirect scheme is not-empty, the redirect port MUST be the
 * well-known port associated with the redirect scheme. […] * If redirect scheme is empty, the
 * redirect port MUST be the Gateway Listener port.").
 */
function toRedirect(
  ctx: FilterContext,
  f: api.HTTPRequestRedirectFilter | undefined,
  at: string,
  invalid: RouteProblem<RuleInvalidReason>[],
): ir.Redirect | null {
  if (!f) {
    invalid.push(unsupported(fieldMessage(at, `the filter configuration is missing`)));
    return null;
  }
  let ok = true;
  let scheme: 'http' | 'https' | null = null;
  if (f.scheme !== undefined) {
    if (f.scheme === 'http' || f.scheme === 'https') scheme = f.scheme;
    else {
      invalid.push(unsupported(fieldMessage(`${at}.scheme`, `scheme "${f.scheme}" is not supported`)));
      ok = false;
    }
  }
  const statusCode = f.statusCode ?? 302;
  if (!REDIRECT_CODES.has(statusCode)) {
    invalid.push(unsupported(fieldMessage(`${at}.statusCode`, `${statusCode} is not a supported redirect status`)));
    ok = false;
  }
  const path = f.path ? toPathRewrite(ctx, f.path, `${at}.path`, invalid) : null;
  if (f.path && !path) ok = false;
  return ok ? { scheme, hostname: f.hostname ?? null, port: f.port ?? null, path, statusCode } : null;
}

/**
 * HTTPPathModifier. ReplacePrefixMatch needs the rule's match: "When using […] path.
 * replacePrefixMatch, exactly one PathPrefix match must be specified" (CEL on HTTPRouteRule).
 */
function toPathRewrite(
  ctx: FilterContext,
  p: api.HTTPPathModifier,
  at: string,
  invalid: RouteProblem<RuleInvalidReason>[],
): ir.PathRewrite | null {
  if (p.type === 'ReplaceFullPath') {
    if (p.replaceFullPath === undefined) {
      invalid.push(unsupported(fieldMessage(`${at}.replaceFullPath`, `required for type ReplaceFullPath`)));
      return null;
    }
    return { type: 'ReplaceFullPath', value: p.replaceFullPath };
  }
  if (p.type === 'ReplacePrefixMatch') {
    if (p.replacePrefixMatch === undefined) {
      invalid.push(unsupported(fieldMessage(`${at}.replacePrefixMatch`, `required for type ReplacePrefixMatch`)));
      return null;
    }
    const matches = ctx.matches && ctx.matches.length > 0 ? ctx.matches : [{ path: { type: 'PathPrefix', value: '/' } }];
    const only = matches.length === 1 ? matches[0] : undefined;
    const type = only?.path?.type ?? 'PathPrefix';
    if (!only || type !== 'PathPrefix') {
      invalid.push(unsupported(fieldMessage(at, `ReplacePrefixMatch needs exactly one PathPrefix match in the rule`)));
      return null;
    }
    return { type: 'ReplacePrefixMatch', prefix: normalizePrefix(only.path?.value ?? '/'), value: p.replacePrefixMatch };
  }
  invalid.push(unsupported(fieldMessage(`${at}.type`, `path modifier type "${p.type}" is not supported`)));
  return null;
}

/**
 * RequestMirror. HTTPRequestMirrorFilter: percent (0-100) or fraction (denominator default 100),
 * not both; neither mirrors everything. A backendRef that does not resolve reports
 * ResolvedRefs=False and the mirror is left out.
 */
function toMirror(
  ctx: FilterContext,
  f: api.HTTPRequestMirrorFilter | undefined,
  at: string,
  invalid: RouteProblem<RuleInvalidReason>[],
  refProblems: RouteProblem<RefReason>[],
): ir.Mirror | null {
  if (!f) {
    invalid.push(unsupported(fieldMessage(at, `the filter configuration is missing`)));
    return null;
  }
  let fraction = 1;
  if (f.percent !== undefined && f.fraction !== undefined) {
    invalid.push(unsupported(fieldMessage(at, `percent and fraction cannot both be set`)));
    return null;
  }
  if (f.percent !== undefined) fraction = f.percent / 100;
  if (f.fraction !== undefined) {
    const denominator = f.fraction.denominator ?? 100;
    fraction = denominator > 0 ? f.fraction.numerator / denominator : NaN;
  }
  if (!(fraction >= 0 && fraction <= 1)) {
    invalid.push(unsupported(fieldMessage(at, `the mirrored share must be between 0 and 100%`)));
    return null;
  }
  const resolved = resolveBackendRef(ctx.index, ctx.from, f.backendRef, 1, `${at}.backendRef`);
  if (resolved.problem) {
    refProblems.push(resolved.problem);
    return null;
  }
  return { backend: resolved.backend, fraction };
}

function toCors(f: api.HTTPCORSFilter | undefined): ir.Cors {
  return {
    allowOrigins: f?.allowOrigins ?? [],
    allowCredentials: f?.allowCredentials ?? false,
    allowMethods: f?.allowMethods ?? [],
    allowHeaders: f?.allowHeaders ?? [],
    exposeHeaders: f?.exposeHeaders ?? [],
    maxAge: f?.maxAge ?? DEFAULT_CORS_MAX_AGE,
  };
}

function incompatible(message: string): RouteProblem<RuleInvalidReason> {
  return { reason: 'IncompatibleFilters', message };
}
