/**
 * HTTPRoute matches → IR matches, with the validation the CRD schema cannot do (regular
 * expressions). Part of the route side of the controller (see http-routes.ts).
 */
import type * as api from '../api/types.js';
import type * as ir from '../ir/types.js';
import { exact } from './exact-array.js';
import { fieldMessage, unsupported, type RouteProblem, type RuleInvalidReason } from './route-conditions.js';

/** HTTPRouteMatch.Method enum. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** Longest regular expression we accept, in characters. */
export const MAX_REGEX_LENGTH = 1024;

/** HTTPRouteRule.Matches: "If no matches are specified, the default is a prefix path match on "/"". */
export const DEFAULT_MATCH: ir.Match = { path: { type: 'PathPrefix', value: '/' }, method: null, headers: [], queryParams: [] };

/** Result of converting one rule's matches. */
export interface MatchesResult {
  readonly matches: ir.Match[];
  readonly problems: RouteProblem<RuleInvalidReason>[];
}

/** Converts `spec.rules[i].matches`; `field` is `spec.rules[i]`. */
export function convertMatches(matches: readonly api.HTTPRouteMatch[] | undefined, field: string): MatchesResult {
  if (!matches || matches.length === 0) return { matches: [DEFAULT_MATCH], problems: [] };
  const out: ir.Match[] = [];
  const problems: RouteProblem<RuleInvalidReason>[] = [];
  matches.forEach((m, j) => {
    const at = `${field}.matches[${j}]`;
    const path = convertPath(m.path, `${at}.path`, problems);
    const headers = convertValueMatches(m.headers, `${at}.headers`, true, problems);
    const queryParams = convertValueMatches(m.queryParams, `${at}.queryParams`, false, problems);
    let method: string | null = null;
    if (m.method !== undefined) {
      if (METHODS.has(m.method)) method = m.method;
      else problems.push(unsupported(fieldMessage(`${at}.method`, `method "${m.method}" is not supported`)));
    }
    if (path) out.push({ path, method, headers, queryParams });
  });
  return { matches: exact(out), problems };
}

/** PathPrefix values lose trailing slashes (element-wise matching), except the root `/`. */
export function normalizePrefix(value: string): string {
  const trimmed = value.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

function convertPath(
  path: api.HTTPPathMatch | undefined,
  at: string,
  problems: RouteProblem<RuleInvalidReason>[],
): ir.PathMatch | null {
  const type = path?.type ?? 'PathPrefix';
  const value = path?.value ?? '/';
  switch (type) {
    case 'Exact':
    case 'PathPrefix':
      if (!value.startsWith('/')) {
        problems.push(unsupported(fieldMessage(`${at}.value`, `path "${value}" must start with "/"`)));
        return null;
      }
      return type === 'Exact' ? { type, value } : { type, value: normalizePrefix(value) };
    case 'RegularExpression': {
      const why = checkRegex(value);
      if (why) {
        problems.push(unsupported(fieldMessage(`${at}.value`, why)));
        return null;
      }
      return { type, value };
    }
    default:
      problems.push(unsupported(fieldMessage(`${at}.type`, `path match type "${type}" is not supported`)));
      return null;
  }
}

/**
 * Header and query parameter matches. HTTPHeaderMatch.Name: "If multiple entries specify
 * equivalent header names, only the first entry with an equivalent name MUST be considered for a
 * match. Subsequent entries with an equivalent header name MUST be ignored." Header names are
 * case-insensitive (lower-cased here); query parameter names are compared exactly.
 */
export function convertValueMatches(
  list: readonly api.HTTPHeaderMatch[] | undefined,
  at: string,
  isHeader: boolean,
  problems: RouteProblem<RuleInvalidReason>[],
): ir.ValueMatch[] {
  if (list === undefined || list.length === 0) return []; // most matches: no Set to allocate
  const out: ir.ValueMatch[] = [];
  const seen = new Set<string>();
  list.forEach((h, k) => {
    const name = isHeader ? h.name.toLowerCase() : h.name;
    if (seen.has(name)) return;
    seen.add(name);
    const type = h.type ?? 'Exact';
    if (type === 'Exact') out.push({ name, type, value: h.value });
    else if (type === 'RegularExpression') {
      const why = checkRegex(h.value);
      if (why) problems.push(unsupported(fieldMessage(`${at}[${k}].value`, why)));
      else out.push({ name, type, value: h.value });
    } else problems.push(unsupported(fieldMessage(`${at}[${k}].type`, `match type "${type}" is not supported`)));
  });
  return exact(out);
}

/**
 * Why a regular expression is refused, or null when it is usable. The spec leaves the dialect
 * implementation-specific; users write RE2 (what most implementations use), the data plane
 * runs JavaScript RegExp anchored as `^(?:v)$` (full match). We accept the common subset and
 * refuse:
 * - anything longer than MAX_REGEX_LENGTH or that does not compile the way the data plane
 *   compiles it;
 * - what RE2 does not have: lookarounds, backreferences, atomic groups;
 * - what JavaScript does not have: `(?P<name>…)` groups, inline flags such as `(?i)`;
 * - nested quantifiers such as `(a+)+` or `(\w*)*`, the usual catastrophic-backtracking
 *   shape (JavaScript backtracks; RE2 does not), which also refuses some harmless patterns.
 */
export function checkRegex(value: string): string | null {
  if (value.length > MAX_REGEX_LENGTH) return `regular expression is longer than ${MAX_REGEX_LENGTH} characters.`;
  const why = scanRegex(value);
  if (why) return why;
  try {
    new RegExp(`^(?:${value})$`);
  } catch {
    return `"${value}" is not a supported regular expression`;
  }
  return null;
}

function scanRegex(re: string): string | null {
  const groups: { quantified: boolean }[] = [{ quantified: false }];
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '\\') {
      const n = re[i + 1] ?? '';
      if (/[1-9]/.test(n) || n === 'k') return 'backreferences are not supported.';
      i++;
      continue;
    }
    if (c === '[') {
      i = skipClass(re, i);
      continue;
    }
    if (c === '(') {
      const head = re.slice(i, i + 4);
      if (/^\(\?[=!]/.test(head) || /^\(\?<[=!]/.test(head)) return 'lookaround assertions are not supported.';
      if (head.startsWith('(?>')) return 'atomic groups are not supported.';
      if (head.startsWith('(?P')) return 'named groups must be written (?<name>…).';
      groups.push({ quantified: false });
      // Skip the group prefix so its `?` is not read as a quantifier: `(?:` or `(?<name>`.
      if (re[i + 1] === '?') {
        if (re[i + 2] === '<') i = Math.max(re.indexOf('>', i), i + 2);
        else i += 2;
      }
      continue;
    }
    if (c === ')') {
      const inner = groups.pop() ?? { quantified: false };
      const top = groups[groups.length - 1] ?? { quantified: false };
      const q = quantifierAt(re, i + 1);
      if (q === 'unbounded' && inner.quantified) return 'nested quantifiers such as (a+)+ are not supported.';
      if (q !== null || inner.quantified) top.quantified = true;
      continue;
    }
    const q = quantifierAt(re, i);
    if (q !== null) {
      const top = groups[groups.length - 1];
      if (top) top.quantified = true;
    }
  }
  return null;
}

/** The quantifier starting at `i`: `?` is 'optional'; `*`, `+` and `{n,…}` are 'unbounded'. */
function quantifierAt(re: string, i: number): 'optional' | 'unbounded' | null {
  const c = re[i];
  if (c === '*' || c === '+') return 'unbounded';
  if (c === '?') return 'optional';
  if (c === '{' && /^\{\d+(,\d*)?\}/.test(re.slice(i))) return 'unbounded';
  return null;
}

function skipClass(re: string, start: number): number {
  let i = start + 1;
  if (re[i] === '^') i++;
  if (re[i] === ']') i++;
  for (; i < re.length; i++) {
    if (re[i] === '\\') i++;
    else if (re[i] === ']') return i;
  }
  return re.length;
}
