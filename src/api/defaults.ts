/**
 * Structural defaulting and pruning, as the API server does them before validation.
 *
 * Kubernetes (apiextensions, "Defaulting"): "Defaulting happens on the object ... Default
 * values for fields are applied when the field is absent and its parent object is present";
 * arrays' items and map values are defaulted too, and a defaulted value is itself defaulted
 * (so an HTTPRoute rule without matches gets `[{path: {type: PathPrefix, value: /}}]`).
 * "Null values for fields that either don't specify nullable or specify nullable: false are
 * pruned before defaulting." Unknown fields are pruned ("pruning"), unless the schema node says
 * `x-kubernetes-preserve-unknown-fields`; a file has no API server to warn, so we return a
 * warning for each pruned field.
 */
import type { SchemaNode } from './crds/crd-types.js';
import type { SchemaIssue } from './schema-core.js';
import { joinPath } from './schema-errors.js';

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Prunes unknown fields and nulls, then applies every schema `default`, in place.
 * Returns a warning per pruned unknown field (paths relative to `base`).
 */
export function pruneAndDefault(value: unknown, schema: SchemaNode, base = ''): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  walk(value, schema, { base, keys: [], issues }, true);
  return issues;
}

/** Applies every schema `default` in place (no pruning). Useful on already-pruned data. */
export function applyDefaults(value: unknown, schema: SchemaNode): void {
  walk(value, schema, { base: '', keys: [], issues: [] }, false);
}

/**
 * Where the walk is: the keys from `base` down to the current node. The field path is only
 * joined when a warning is reported (most documents have none), not once per node.
 */
interface WalkState {
  readonly base: string;
  readonly keys: (string | number)[];
  readonly issues: SchemaIssue[];
}

function pathOf(state: WalkState, last: string): string {
  let path = state.base;
  for (const k of state.keys) path = joinPath(path, k);
  return joinPath(path, last);
}

/** Per schema node: its properties that carry a `default` (most carry none). */
const defaultedProps = new WeakMap<SchemaNode, readonly (readonly [string, SchemaNode])[]>();

function defaultsOf(schema: SchemaNode, props: Record<string, SchemaNode>): readonly (readonly [string, SchemaNode])[] {
  let list = defaultedProps.get(schema);
  if (!list) {
    list = Object.entries(props).filter(([, sub]) => sub.default !== undefined);
    defaultedProps.set(schema, list);
  }
  return list;
}

function walk(value: unknown, schema: SchemaNode, state: WalkState, prune: boolean): void {
  if (Array.isArray(value)) {
    const items = schema.items;
    if (!items) return;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || typeof item !== 'object') continue; // nothing to prune or default in a scalar
      state.keys.push(i);
      walk(item, items, state, prune);
      state.keys.pop();
    }
    return;
  }
  if (!isObject(value)) return;
  const props = schema.properties;
  const extra = isObject(schema.additionalProperties) ? (schema.additionalProperties as SchemaNode) : undefined;
  // Deleting the key being visited is safe in for-in (plain objects from a parser: no inherited keys).
  for (const key in value) {
    const sub = props?.[key] ?? extra;
    if (value[key] === null && !sub?.nullable) {
      delete value[key];
      continue;
    }
    if (prune && props && !sub && !schema['x-kubernetes-preserve-unknown-fields']) {
      delete value[key];
      state.issues.push({ path: pathOf(state, key), message: 'unknown field, ignored', severity: 'warning' });
    }
  }
  if (props) {
    for (const [key, sub] of defaultsOf(schema, props)) {
      if (!(key in value)) {
        const d = sub.default;
        value[key] = d !== null && typeof d === 'object' ? structuredClone(d) : d;
      }
    }
  }
  for (const key in value) {
    const sub = props?.[key] ?? extra;
    const child = value[key];
    if (!sub || child === null || typeof child !== 'object') continue;
    state.keys.push(key);
    walk(child, sub, state, prune);
    state.keys.pop();
  }
}

/**
 * Defaults of core kinds that are not plain schema defaults: a Service port's `targetPort`
 * defaults to its `port` (core/v1: "If this is not specified, the value of the 'port' field
 * is used").
 */
export function applyCoreDefaults(kind: string, obj: Obj): void {
  if (kind !== 'Service' || !isObject(obj.spec) || !Array.isArray(obj.spec.ports)) return;
  for (const port of obj.spec.ports) {
    const n = isObject(port) ? port.port : undefined;
    // Only a valid port is copied, so an out-of-range port is reported once, not twice.
    if (isObject(port) && port.targetPort === undefined && typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535) port.targetPort = n;
  }
}
