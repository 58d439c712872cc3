/**
 * Turns ajv's errors into short, sentence-case messages on dotted field paths
 * (`spec.rules[0].matches[0].path.value: must be one of Exact, PathPrefix, RegularExpression`).
 */
import type { ErrorObject } from 'ajv';
import type { SchemaIssue } from './schema-core.js';

/** Appends a key to a field path: `a.b`, `a[0]`, `a["x/y"]`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}

/** A JSON pointer (`/spec/rules/0`) as a field path, using the data to tell indexes from keys. */
function pointerToPath(pointer: string, data: unknown): string {
  if (pointer === '') return '';
  let path = '';
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path = joinPath(path, Number(key));
      node = node[Number(key)];
    } else {
      path = joinPath(path, key);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

const FORMAT_NAMES: Record<string, string> = {
  ipv4: 'IPv4 address',
  ipv6: 'IPv6 address',
  'date-time': 'RFC 3339 date-time',
  int32: '32-bit integer',
  int64: '64-bit integer',
};

const ARTICLE: Record<string, string> = {
  string: 'a string', integer: 'an integer', number: 'a number', boolean: 'a boolean',
  object: 'an object', array: 'a list', null: 'null',
};

function describe(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The message for one ajv error (its path is handled by the caller). */
function messageFor(e: ErrorObject): string {
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map(describe).join(', ')}`;
    case 'const':
      return `must be ${describe(p.allowedValue)}`;
    case 'type': {
      const types = String(p.type).split(',');
      return `must be ${types.map((t) => ARTICLE[t] ?? t).join(' or ')}`;
    }
    case 'pattern':
      return `must match the pattern ${p.pattern}`;
    case 'format':
      return `must be a valid ${FORMAT_NAMES[p.format] ?? p.format}`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters long`;
    case 'maxLength':
      return `must be at most ${p.limit} characters long`;
    case 'minItems':
      return `must have at least ${p.limit} item${p.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `must have at most ${p.limit} item${p.limit === 1 ? '' : 's'}`;
    case 'minProperties':
      return `must have at least ${p.limit} entr${p.limit === 1 ? 'y' : 'ies'}`;
    case 'maxProperties':
      return `must have at most ${p.limit} entr${p.limit === 1 ? 'y' : 'ies'}`;
    case 'minimum':
      return `must be at least ${p.limit}`;
    case 'maximum':
      return `must be at most ${p.limit}`;
    case 'exclusiveMinimum':
      return `must be greater than ${p.limit}`;
    case 'exclusiveMaximum':
      return `must be less than ${p.limit}`;
    case 'propertyNames':
      return `has an invalid key "${p.propertyName}"`;
    case 'not':
      return 'has a value that is not allowed here';
    default:
      return e.message ?? `fails ${e.keyword}`;
  }
}

/**
 * Converts ajv errors to issues. `oneOf`/`anyOf` failures are collapsed to the branch that got
 * furthest into the data, so the user reads one relevant message instead of every branch's.
 */
export function toSchemaIssues(errors: readonly ErrorObject[], data: unknown): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of collapseAlternatives(errors)) {
    let path = pointerToPath(e.instancePath, data);
    if (e.keyword === 'required') path = joinPath(path, String((e.params as { missingProperty: string }).missingProperty));
    if (e.keyword === 'propertyNames') continue; // reported by its inner pattern error below
    let message = messageFor(e);
    if (e.keyword === 'pattern' && e.propertyName !== undefined) {
      path = pointerToPath(e.instancePath, data);
      message = `key "${e.propertyName}" must match the pattern ${(e.params as { pattern: string }).pattern}`;
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path, message, severity: 'error' });
  }
  return issues;
}

function collapseAlternatives(errors: readonly ErrorObject[]): ErrorObject[] {
  const alternatives = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  if (alternatives.length === 0) return [...errors];
  // Work on the outermost alternative first; inner ones are handled by the recursion.
  const outer = alternatives.reduce((a, b) => (b.schemaPath.length < a.schemaPath.length ? b : a));
  const prefix = outer.schemaPath + '/';
  const inside = errors.filter((e) => e.schemaPath.startsWith(prefix));
  const rest = errors.filter((e) => e !== outer && !e.schemaPath.startsWith(prefix));
  const branches = new Map<string, ErrorObject[]>();
  for (const e of inside) {
    const branch = e.schemaPath.slice(prefix.length).split('/')[0] ?? '';
    const list = branches.get(branch) ?? [];
    list.push(e);
    branches.set(branch, list);
  }
  const depth = (list: ErrorObject[]): number => Math.max(...list.map((e) => e.instancePath.split('/').length));
  let best: ErrorObject[][] = [];
  let bestDepth = -1;
  for (const list of branches.values()) {
    const d = depth(list);
    if (d > bestDepth) {
      best = [list];
      bestDepth = d;
    } else if (d === bestDepth) {
      best.push(list);
    }
  }
  const formats = best.flat().filter((e) => e.keyword === 'format');
  if (best.length > 1 && formats.length === best.flat().filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf').length) {
    // e.g. "anyOf: [format ipv4, format ipv6]" → "must be a valid IPv4 address or IPv6 address"
    const names = [...new Set(formats.map((e) => FORMAT_NAMES[(e.params as { format: string }).format] ?? (e.params as { format: string }).format))];
    const first = formats[0]!;
    return collapseAlternatives([...rest, { ...first, params: { format: names.join(' or ') } }]);
  }
  const chosen = best[0] ?? [];
  if (chosen.length === 0) return collapseAlternatives([...rest, { ...outer, keyword: 'not', params: {} }]);
  return collapseAlternatives([...rest, ...chosen]);
}
