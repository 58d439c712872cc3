/**
 * Kubernetes-flavoured CEL for the CRD `x-kubernetes-validations` rules, on top of
 * @marcbachmann/cel-js.
 *
 * What the API server's CEL environment adds and the plain library does not have, and how we
 * provide it here (small shims, so that every rule of the imported CRDs compiles and runs):
 * - `isIP(string)` (Kubernetes IP library): a pure IPv4/IPv6 literal check below.
 * - `matches()` uses RE2 syntax, which allows an inline `(?i)` flag JavaScript cannot parse;
 *   rules are rewritten to call `k8sMatches()`, which turns `(?i)` into the `i` flag.
 * - `has(e.f)` where `e` is not a plain identifier chain (e.g. `has(self[0].matches)`) is valid
 *   CEL the library rejects; such calls are rewritten to `k8sHasField(e, 'f')`.
 * - Property names are escaped as the API server escapes them: `namespace` is a CEL reserved
 *   word, so rules say `self.__namespace__`; `toCelValue()` renames object properties the same way.
 * Transition rules (those that read `oldSelf`) need the stored object and are never evaluated
 * for files: `isTransitionRule()` tells them apart.
 */
import { Environment } from '@marcbachmann/cel-js';
import { certainPassFor, isCelMap } from './cel-certain.js';
import type { CelRule, SchemaNode } from './crds/crd-types.js';
import { isIPAddress } from './ip-syntax.js';

/** The outcome of evaluating one rule against one value. */
export type RuleOutcome =
  | { readonly status: 'pass' }
  | { readonly status: 'fail'; readonly message: string }
  | { readonly status: 'error'; readonly message: string };

/** A rule compiled once and evaluated against many values. */
export interface CompiledRule {
  readonly rule: CelRule;
  /** `self` is the value at the schema node that carries the rule, already `toCelValue()`d. */
  evaluate(self: unknown): RuleOutcome;
}

const env = new Environment({ unlistedVariablesAreDyn: false, homogeneousAggregateLiterals: false })
  .registerVariable('self', 'dyn')
  .registerFunction('isIP(string): bool', (s: string) => isIPAddress(s))
  .registerFunction('string.k8sMatches(string): bool', (s: string, re: string) => compileRegex(re).test(s))
  .registerFunction('k8sMatches(string, string): bool', (s: string, re: string) => compileRegex(re).test(s))
  .registerFunction('k8sHasField(dyn, string): bool', (obj: unknown, field: string) => hasField(obj, field));

function hasField(obj: unknown, field: string): boolean {
  if (obj instanceof Map) return obj.has(field);
  return obj !== null && typeof obj === 'object' && Object.prototype.hasOwnProperty.call(obj, field);
}

const regexCache = new Map<string, RegExp>();

/** RE2 → JavaScript: an inline `(?i)` flag group becomes the `i` flag. */
function compileRegex(source: string): RegExp {
  let re = regexCache.get(source);
  if (re) return re;
  let flags = '';
  let body = source;
  if (body.includes('(?i)')) {
    body = body.split('(?i)').join('');
    flags = 'i';
  }
  re = new RegExp(body, flags);
  regexCache.set(source, re);
  return re;
}

/** True for a rule that compares against the old object (`oldSelf`); files have no old object. */
export function isTransitionRule(rule: CelRule): boolean {
  return /\boldSelf\b/.test(rule.rule);
}

/** Rewrites a rule's source to use our shims (see the module comment). */
export function rewriteRuleSource(source: string): string {
  return rewriteHas(source).replace(/(^|[^A-Za-z0-9_.])matches\(/g, '$1k8sMatches(').replace(/\.matches\(/g, '.k8sMatches(');
}

const IDENT_CHAIN = /^\s*[A-Za-z_][A-Za-z0-9_]*(\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*\s*$/;
const LAST_FIELD = /^([\s\S]*)\.\s*([A-Za-z_][A-Za-z0-9_]*)\s*$/;

/** `has(<expr>.f)` with a non-identifier `<expr>` → `k8sHasField(<expr>, 'f')`. */
function rewriteHas(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const lit = stringLiteralEnd(source, i);
    if (lit > i) {
      out += source.slice(i, lit);
      i = lit;
      continue;
    }
    const isHas = source.startsWith('has(', i) && (i === 0 || !/[A-Za-z0-9_.]/.test(source[i - 1] ?? ''));
    if (!isHas) {
      out += source[i];
      i += 1;
      continue;
    }
    const close = matchingParen(source, i + 3);
    const inner = rewriteHas(source.slice(i + 4, close));
    const m = LAST_FIELD.exec(inner);
    out += m && !IDENT_CHAIN.test(inner) ? `k8sHasField(${m[1]}, '${m[2]}')` : `has(${inner})`;
    i = close + 1;
  }
  return out;
}

/** If a CEL string literal starts at `i`, the index just past it; else `i`. */
function stringLiteralEnd(s: string, i: number): number {
  let j = i;
  if ((s[j] === 'r' || s[j] === 'R') && (s[j + 1] === '"' || s[j + 1] === "'") && !/[A-Za-z0-9_]/.test(s[i - 1] ?? '')) j += 1;
  const q = s[j];
  if (q !== '"' && q !== "'") return i;
  const raw = j > i;
  const triple = s.startsWith(q.repeat(3), j);
  const end = triple ? q.repeat(3) : q;
  let k = j + end.length;
  while (k < s.length) {
    if (!raw && s[k] === '\\') k += 2;
    else if (s.startsWith(end, k)) return k + end.length;
    else k += 1;
  }
  return s.length;
}

/** Index of the `)` matching the `(` at `open`, skipping string literals. */
function matchingParen(s: string, open: number): number {
  let depth = 0;
  let k = open;
  while (k < s.length) {
    const lit = stringLiteralEnd(s, k);
    if (lit > k) {
      k = lit;
      continue;
    }
    if (s[k] === '(') depth += 1;
    else if (s[k] === ')' && --depth === 0) return k;
    k += 1;
  }
  throw new Error(`unbalanced parentheses in CEL expression: ${s}`);
}

const compiled = new Map<string, CompiledRule>();

let interpreterEvaluations = 0;

/** How many rule evaluations so far went to the CEL interpreter (no fast pass answered them). */
export function celInterpreterEvaluations(): number {
  return interpreterEvaluations;
}

/** The outcome of every passing evaluation (outcomes are read-only). */
const PASS: RuleOutcome = Object.freeze({ status: 'pass' });

/**
 * Compiles a rule (and its messageExpression, if any). Throws if the library cannot parse or
 * type-check it: the CRD coverage test relies on that.
 */
export function compileRule(rule: CelRule): CompiledRule {
  // Schema rule objects are long-lived: look them up by identity before building the text key.
  const byObject = compiledByRule.get(rule);
  if (byObject) return byObject;
  const result = compileRuleText(rule);
  compiledByRule.set(rule, result);
  return result;
}

const compiledByRule = new WeakMap<CelRule, CompiledRule>();

function compileRuleText(rule: CelRule): CompiledRule {
  const cacheKey = `${rule.rule}\u0000${rule.messageExpression ?? ''}\u0000${rule.message ?? ''}`;
  const hit = compiled.get(cacheKey);
  if (hit) return hit;
  const result = compileUncached(rule, true);
  compiled.set(cacheKey, result);
  return result;
}

/**
 * Compiles a rule without the caches; `fastPass: false` leaves out the fast passes (the
 * hand-written fastPassFor, else the compiled certainPassFor of ./cel-certain.ts), so tests can
 * compare them with CEL alone.
 */
export function compileUncached(rule: CelRule, fastPass: boolean): CompiledRule {
  const program = env.parse(rewriteRuleSource(rule.rule));
  const checked = program.check();
  if (!checked.valid) throw new Error(`CEL rule does not type-check: ${checked.error?.message ?? 'unknown error'}: ${rule.rule}`);
  const messageProgram = rule.messageExpression ? env.parse(rewriteRuleSource(rule.messageExpression)) : null;
  const fallback = rule.message ?? `failed rule: ${rule.rule}`;
  const fast = fastPass ? (fastPassFor(rule.rule) ?? certainPassFor(rule.rule)) : undefined;
  const context: { self: unknown } = { self: undefined };
  const result: CompiledRule = {
    rule,
    evaluate(self: unknown): RuleOutcome {
      if (fast !== undefined && fast(self)) return PASS;
      let value: unknown;
      // One context object per rule, refilled per call (evaluation is synchronous and keeps no
      // reference to it), and emptied after, so it holds no document.
      context.self = self;
      interpreterEvaluations += 1;
      try {
        value = program(context);
      } catch (err) {
        return { status: 'error', message: `${fallback} (rule could not be evaluated: ${firstLine(err)})` };
      } finally {
        context.self = undefined;
      }
      if (value === true) return PASS;
      if (value !== false) return { status: 'error', message: `${fallback} (rule did not return a bool)` };
      if (messageProgram) {
        try {
          const m = messageProgram({ self });
          if (typeof m === 'string' && m !== '') return { status: 'fail', message: m };
        } catch {
          // The API server falls back to `message` when messageExpression fails.
        }
      }
      return { status: 'fail', message: fallback };
    },
  };
  return result;
}

// ---------------------------------------------------------------- fast passes

/**
 * A plain check that answers `true` only when the rule certainly evaluates to `true` on `self`
 * (well-typed input, the common case); on `false` the rule is evaluated by CEL as always, so
 * every failure, error and message still comes from CEL. For the rule shapes every route runs
 * many times that ./cel-certain.ts cannot compile (path value checks: string methods and
 * regexes; the total-matches sum: `+`), where CEL's dyn-typed evaluation allocates on each
 * call. Recognised by the rule's exact source text, so a re-imported CRD with other text just
 * loses its fast pass. cel.test.ts checks each one against CEL on random values.
 */
export function fastPassFor(source: string): ((self: unknown) => boolean) | undefined {
  const path = PATH_VALUE_RULE.exec(source);
  if (path) {
    const [, not, method, arg, regex] = path;
    let check: (value: string) => boolean;
    try {
      check = valueCheck(method!, arg ?? regex!, not === '!');
    } catch {
      return undefined; // a pattern the shim cannot compile: CEL evaluates (and reports) it
    }
    return (self) => {
      if (!isCelMap(self)) return false;
      const type = own(self, 'type');
      if (typeof type !== 'string') return false;
      if (type !== 'Exact' && type !== 'PathPrefix') return true;
      const value = own(self, 'value');
      return typeof value === 'string' && check(value);
    };
  }
  if (source === TOTAL_MATCHES_RULE) {
    return (self) => {
      if (!Array.isArray(self)) return false;
      let total = 0;
      for (let i = 0; i < self.length && i < 16; i++) {
        const r: unknown = self[i];
        const matches = isCelMap(r) ? own(r, 'matches') : undefined;
        if (!Array.isArray(matches)) return false;
        total += matches.length;
      }
      return total <= 128;
    };
  }
  return undefined;
}

/** `(self.type in ['Exact','PathPrefix']) ? [!]self.value.<startsWith|endsWith|contains>('lit') : true`, or `.matches(r"""re""")`. */
const PATH_VALUE_RULE = /^\(self\.type in \['Exact','PathPrefix'\]\) \? (!?)self\.value\.(startsWith|endsWith|contains|matches)\((?:'([^'\\]*)'|r"""((?:(?!""")[\s\S])*)""")\) : true$/;
/** "the total number of matches across all rules in a route must be less than 128" */
const TOTAL_MATCHES_RULE = `${Array.from({ length: 16 }, (_, i) => `(self.size() > ${i} ? self[${i}].matches.size() : 0)`).join(' + ')} <= 128`;

function valueCheck(method: string, arg: string, negate: boolean): (value: string) => boolean {
  let test: (value: string) => boolean;
  if (method === 'startsWith') test = (v) => v.startsWith(arg);
  else if (method === 'endsWith') test = (v) => v.endsWith(arg);
  else if (method === 'contains') test = (v) => v.includes(arg);
  else {
    // The same RE2 shim k8sMatches() uses, compiled here: a pattern it cannot take throws now,
    // and the rule then has no fast pass (CEL reports the error on evaluation).
    const re = compileRegex(arg);
    test = (v) => re.test(v);
  }
  return negate ? (v) => !test(v) : test;
}

/** A field as CEL's field access reads it (own properties only). */
function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

// ---------------------------------------------------------------- values

/** Identifiers the API server escapes as `__<word>__` when they name a property. */
const CEL_RESERVED = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function',
  'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while',
]);

const PLAIN_NAME = /^(?!.*__)[A-Za-z0-9_]*$/;

/** The name a property has inside CEL, as the API server escapes it. */
export function escapePropertyName(name: string): string {
  if (CEL_RESERVED.has(name)) return `__${name}__`;
  if (PLAIN_NAME.test(name)) return name; // nothing to escape (the common case)
  return name
    .replace(/__/g, '__underscores__')
    .replace(/\./g, '__dot__')
    .replace(/-/g, '__dash__')
    .replace(/\//g, '__slash__');
}

/**
 * Converts a (validated) JSON value to what a rule sees as `self`: objects described by
 * `properties` get escaped property names; maps (`additionalProperties`) keep their keys.
 * Copy on write: a list or object none of whose names or values change is returned as is (rules
 * only read their input), so only the path down to an escaped name (`namespace`) is copied.
 */
export function toCelValue(value: unknown, schema: SchemaNode | undefined): unknown {
  if (Array.isArray(value)) {
    const items = schema?.items;
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const c = toCelValue(v, items);
      if (out) out.push(c);
      else if (c !== v) {
        out = value.slice(0, i);
        out.push(c);
      }
    }
    return out ?? value;
  }
  if (value === null || typeof value !== 'object') return value;
  const src = value as Record<string, unknown>;
  const props = schema?.properties;
  const extra = typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  let out: Record<string, unknown> | undefined;
  for (const key in src) {
    const v = src[key];
    const name = props ? escapePropertyName(key) : key;
    const c = toCelValue(v, props ? props[key] : extra);
    if (out) out[name] = c;
    else if (name !== key || c !== v) {
      out = {};
      for (const before in src) {
        if (before === key) break;
        out[before] = src[before]; // unchanged so far: same name, same value
      }
      out[name] = c;
    }
  }
  return out ?? value;
}
