/**
 * Schema validation of Gateway API and core objects, as the API server would do it:
 * the CRD's OpenAPI v3 schema (types, required, enum, pattern, limits, formats) through ajv,
 * `x-kubernetes-list-type` uniqueness, and every `x-kubernetes-validations` CEL rule through
 * ./cel.ts. Objects are expected to be pruned and defaulted first (./defaults.ts), as the API
 * server defaults before it validates.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { compileRule, escapePropertyName, isTransitionRule, toCelValue, type CompiledRule } from './cel.js';
import { CRD_SCHEMAS } from './crds/index.js';
import type { CelRule, CrdVersionSchema, SchemaNode } from './crds/crd-types.js';
import { CORE_SCHEMAS, OBJECT_META_SCHEMA, validateCoreKind, type SchemaIssue } from './schema-core.js';
import { joinPath, toSchemaIssues } from './schema-errors.js';

export type { SchemaIssue } from './schema-core.js';

/** Everything needed to default and validate one kind at one apiVersion. */
export interface KindSchema {
  readonly apiVersion: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Whether the kind has a `spec` (generation then follows spec changes only). */
  readonly hasSpec: boolean;
  readonly schema: SchemaNode;
  readonly source: 'crd' | 'core';
}

/** The result of looking up an apiVersion/kind pair. */
export type KindLookup =
  | { readonly status: 'ok'; readonly kind: KindSchema }
  | { readonly status: 'unknown-kind' }
  | { readonly status: 'unknown-version'; readonly served: readonly string[] };

function withMetadata(schema: SchemaNode): SchemaNode {
  return { ...schema, properties: { ...schema.properties, metadata: OBJECT_META_SCHEMA } };
}

function fromCrd(c: CrdVersionSchema): KindSchema {
  return {
    apiVersion: `${c.group}/${c.version}`,
    group: c.group,
    version: c.version,
    kind: c.kind,
    namespaced: c.scope === 'Namespaced',
    hasSpec: true,
    schema: withMetadata(c.schema),
    source: 'crd',
  };
}

const REGISTRY = new Map<string, KindSchema[]>();
for (const c of CRD_SCHEMAS) {
  const list = REGISTRY.get(c.kind) ?? [];
  list.push(fromCrd(c));
  REGISTRY.set(c.kind, list);
}
for (const [kind, core] of Object.entries(CORE_SCHEMAS)) {
  const [group, version] = core.apiVersion.includes('/') ? core.apiVersion.split('/') : ['', core.apiVersion];
  REGISTRY.set(kind, [
    {
      apiVersion: core.apiVersion,
      group: group ?? '',
      version: version ?? '',
      kind,
      namespaced: core.namespaced,
      hasSpec: core.schema.properties?.spec !== undefined,
      schema: core.schema,
      source: 'core',
    },
  ]);
}

/** Finds the schema for an apiVersion/kind, or says why there is none. */
export function lookupKind(apiVersion: string, kind: string): KindLookup {
  const versions = REGISTRY.get(kind);
  if (!versions) return { status: 'unknown-kind' };
  const hit = versions.find((v) => v.apiVersion === apiVersion);
  if (hit) return { status: 'ok', kind: hit };
  // Same kind name in another API group (e.g. networking.istio.io Gateway): not ours at all.
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  if (!versions.some((v) => v.group === group)) return { status: 'unknown-kind' };
  return { status: 'unknown-version', served: versions.map((v) => v.apiVersion) };
}

/** Every kind and served version we validate. */
export function listKindSchemas(): KindSchema[] {
  return [...REGISTRY.values()].flat();
}

// ---------------------------------------------------------------- ajv

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, validateSchema: false });
const addFormats = addFormatsModule as unknown as (a: Ajv, formats: string[]) => Ajv;
addFormats(ajv, ['date-time', 'ipv4', 'ipv6']);
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });

const validators = new WeakMap<SchemaNode, ValidateFunction>();

function validatorFor(schema: SchemaNode): ValidateFunction {
  let v = validators.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    validators.set(schema, v);
  }
  return v;
}

// ---------------------------------------------------------------- validate

/**
 * Validates a pruned and defaulted object against its kind's schema. Never throws for bad
 * input; returns one issue per problem, with a dotted field path.
 */
export function validateObject(obj: unknown, kind: KindSchema): SchemaIssue[] {
  const validate = validatorFor(kind.schema);
  const issues: SchemaIssue[] = validate(obj) ? [] : toSchemaIssues(validate.errors ?? [], obj);
  const structural = issues.length > 0;
  walkRules(obj, kind.schema, issues, structural);
  if (kind.source === 'core' && obj !== null && typeof obj === 'object') {
    issues.push(...validateCoreKind(kind.kind, obj as Record<string, unknown>));
  }
  return issues;
}

/** Where the rule walk is, and what it reports into. */
interface RuleWalk {
  /** The keys from the document root down to the current node; joined into a path only for an issue. */
  readonly keys: (string | number)[];
  readonly issues: SchemaIssue[];
  readonly structural: boolean;
}

function pathOf(w: RuleWalk): string {
  let path = '';
  for (const k of w.keys) path = joinPath(path, k);
  return path;
}

/** A node whose CEL value is not built yet: values are converted at the first node with rules. */
const UNCONVERTED = Symbol('unconverted');

/**
 * Evaluates CEL rules and list-type uniqueness at every node present in the data.
 * When the document already has schema errors, a rule that cannot even be evaluated (for
 * example because a field it reads has the wrong type) is not reported on top of them.
 */
function walkRules(value: unknown, schema: SchemaNode, issues: SchemaIssue[], structural: boolean): void {
  walkRulesWith(value, UNCONVERTED, schema, schema, { keys: [], issues, structural });
}

/**
 * `cel` is toCelValue(value, celSchema), or UNCONVERTED above the first node with rules (it is
 * then converted there, once, and walked in step with `value` below). `celSchema` is the schema
 * toCelValue uses for this node: `schema` itself, or undefined under a key that only the
 * parent's `additionalProperties` describes (toCelValue converts such values without a schema).
 */
function walkRulesWith(value: unknown, cel: unknown, schema: SchemaNode, celSchema: SchemaNode | undefined, w: RuleWalk): void {
  if (value === undefined) return;
  const rules = schema['x-kubernetes-validations'];
  if (rules && rules.length > 0) {
    if (cel === UNCONVERTED) cel = toCelValue(value, celSchema);
    for (const rule of rules) evaluateRule(rule, cel, w);
  }
  if (Array.isArray(value)) {
    checkListType(value, schema, w);
    const items = schema.items;
    if (items && hasRulesBelow(items)) {
      const celItems = celSchema?.items;
      for (let i = 0; i < value.length; i++) {
        w.keys.push(i);
        walkRulesWith(value[i], cel === UNCONVERTED ? UNCONVERTED : (cel as unknown[])[i], items, celItems, w);
        w.keys.pop();
      }
    }
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const props = schema.properties;
  const extra = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  const celProps = celSchema?.properties;
  const celExtra = typeof celSchema?.additionalProperties === 'object' ? celSchema.additionalProperties : undefined;
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    const subSchema = props?.[key] ?? extra;
    if (subSchema && hasRulesBelow(subSchema)) {
      const celChild = cel === UNCONVERTED ? UNCONVERTED : (cel as Record<string, unknown>)[celProps ? escapePropertyName(key) : key];
      w.keys.push(key);
      walkRulesWith(obj[key], celChild, subSchema, celProps ? celProps[key] : celExtra, w);
      w.keys.pop();
    }
  }
}

const rulesBelow = new WeakMap<SchemaNode, boolean>();

/** Whether a CEL rule or a list type sits at or under this schema node (else it is skipped). */
function hasRulesBelow(schema: SchemaNode): boolean {
  let known = rulesBelow.get(schema);
  if (known !== undefined) return known;
  rulesBelow.set(schema, false); // recursive schemas: assume none while looking
  known =
    (schema['x-kubernetes-validations']?.length ?? 0) > 0 ||
    schema['x-kubernetes-list-type'] === 'map' ||
    schema['x-kubernetes-list-type'] === 'set' ||
    Object.values(schema.properties ?? {}).some(hasRulesBelow) ||
    (typeof schema.additionalProperties === 'object' && hasRulesBelow(schema.additionalProperties)) ||
    (schema.items !== undefined && hasRulesBelow(schema.items));
  rulesBelow.set(schema, known);
  return known;
}

/** Per schema rule object: its compiled program, or null for a transition rule. */
const programs = new WeakMap<CelRule, CompiledRule | null>();

function programFor(rule: CelRule): CompiledRule | null {
  let program = programs.get(rule);
  if (program === undefined) {
    // Transition rules compare with the stored object (`oldSelf`); a file has none.
    program = isTransitionRule(rule) ? null : compileRule(rule);
    programs.set(rule, program);
  }
  return program;
}

function evaluateRule(rule: CelRule, self: unknown, w: RuleWalk): void {
  const program = programFor(rule);
  if (program === null) return;
  const outcome = program.evaluate(self);
  if (outcome.status === 'pass') return;
  if (outcome.status === 'error' && w.structural) return;
  const path = pathOf(w);
  const at = rule.fieldPath ? path + rule.fieldPath.replace(/^\.?/, path ? '.' : '') : path;
  w.issues.push({ path: at, message: outcome.message, severity: 'error' });
}

/**
 * `x-kubernetes-list-type: map` entries are unique by their `x-kubernetes-list-map-keys`;
 * `set` entries are unique values. The API server rejects duplicates ("Duplicate value").
 */
function checkListType(list: unknown[], schema: SchemaNode, w: RuleWalk): void {
  const type = schema['x-kubernetes-list-type'];
  if (type !== 'map' && type !== 'set') return;
  if (list.length < 2) return; // nothing to be a duplicate of
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    let id: string;
    let values: unknown[] | undefined;
    if (type === 'map') {
      if (item === null || typeof item !== 'object') continue;
      values = keys.map((k) => (item as Record<string, unknown>)[k]);
      id = JSON.stringify(values);
    } else {
      id = JSON.stringify(item);
    }
    if (seen.has(id)) {
      const shown = values ? keys.map((k, j) => `${k} ${JSON.stringify(values[j])}`).join(', ') : `value ${id}`;
      w.issues.push({ path: joinPath(pathOf(w), i), message: `duplicate entry with ${shown}`, severity: 'error' });
    }
    seen.add(id);
  }
}

/** Every CEL rule of every imported CRD, with where it sits (for the coverage test and docs). */
export function listCrdRules(): { kind: string; apiVersion: string; path: string; rule: CelRule }[] {
  const out: { kind: string; apiVersion: string; path: string; rule: CelRule }[] = [];
  const visit = (node: SchemaNode, path: string, kind: KindSchema): void => {
    for (const rule of node['x-kubernetes-validations'] ?? []) out.push({ kind: kind.kind, apiVersion: kind.apiVersion, path, rule });
    for (const [k, sub] of Object.entries(node.properties ?? {})) visit(sub, joinPath(path, k), kind);
    if (typeof node.additionalProperties === 'object') visit(node.additionalProperties, `${path}[*]`, kind);
    if (node.items) visit(node.items, `${path}[*]`, kind);
  };
  for (const kind of listKindSchemas()) if (kind.source === 'crd') visit(kind.schema, '', kind);
  return out;
}
