/**
 * One parsed document → one validated, defaulted object, doing what the API server does on
 * create: look up the kind, fold Secret `stringData` into `data`, default the namespace, drop
 * `status`, prune unknown fields, apply schema defaults, validate (OpenAPI + CEL).
 */
import { Buffer } from 'node:buffer';
import type { KubeObject } from '../../api/types.js';
import { applyCoreDefaults, pruneAndDefault } from '../../api/defaults.js';
import { lookupKind, validateObject, type SchemaIssue } from '../../api/schema.js';

/** Who a document claims to be, as far as it says (for issues and last-good lookups). */
export interface ObjectIdentity {
  kind: string | null;
  name: string | null;
  namespace: string | null;
}

export interface NormalizedDocument {
  /** The object to serve, or null when the document is rejected or skipped. */
  readonly object: KubeObject | null;
  readonly identity: ObjectIdentity;
  readonly issues: SchemaIssue[];
  /** True when the document is a kind we do not read at all (not an error in the document). */
  readonly unsupported: boolean;
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** The namespace objects of namespaced kinds land in when the document names none. */
export const DEFAULT_NAMESPACE = 'default';

/**
 * Validates and defaults one document. Never throws for bad input. Takes `value` over: it is
 * pruned and defaulted in place and becomes the returned object (a parsed document belongs to
 * its first normalization: ./load.ts, ./document-cache.ts). A deep copy here was ~12 µs and
 * ~4 KB per route document, the largest single cost of loading an edited file.
 */
export function normalizeDocument(value: unknown): NormalizedDocument {
  const identity: ObjectIdentity = { kind: null, name: null, namespace: null };
  const reject = (path: string, message: string, unsupported = false, severity: 'error' | 'warning' = 'error'): NormalizedDocument => ({
    object: null,
    identity,
    issues: [{ path, message, severity }],
    unsupported,
  });
  if (!isObject(value)) return reject('', 'document must be a mapping with apiVersion, kind and metadata');
  identity.kind = str(value.kind);
  const meta = isObject(value.metadata) ? value.metadata : {};
  identity.name = str(meta.name);
  identity.namespace = str(meta.namespace);
  const apiVersion = str(value.apiVersion);
  if (!identity.kind) return reject('kind', 'is required');
  if (!apiVersion) return reject('apiVersion', 'is required');

  const found = lookupKind(apiVersion, identity.kind);
  if (found.status === 'unknown-kind') {
    return reject('', `unsupported kind ${identity.kind} (${apiVersion}); skipped`, true, 'warning');
  }
  if (found.status === 'unknown-version') {
    return reject('apiVersion', `unsupported apiVersion ${apiVersion} for ${identity.kind}; served: ${found.served.join(', ')}`);
  }
  const kind = found.kind;
  const obj = value;
  const issues: SchemaIssue[] = [];

  // Status belongs to controllers; the API server ignores it on create (status subresource).
  delete obj.status;

  if (isObject(obj.metadata)) {
    const m = obj.metadata;
    if (kind.namespaced && (m.namespace === undefined || m.namespace === null || m.namespace === '')) {
      m.namespace = DEFAULT_NAMESPACE;
      identity.namespace = DEFAULT_NAMESPACE;
    } else if (!kind.namespaced && m.namespace !== undefined) {
      delete m.namespace;
      identity.namespace = null;
      issues.push({ path: 'metadata.namespace', message: `is ignored: ${kind.kind} is cluster-scoped`, severity: 'warning' });
    }
  }

  if (kind.kind === 'Secret') foldStringData(obj);

  issues.push(...pruneAndDefault(obj, kind.schema));
  applyCoreDefaults(kind.kind, obj);
  issues.push(...validateObject(obj, kind));

  const rejected = issues.some((i) => i.severity === 'error');
  return { object: rejected ? null : (obj as unknown as KubeObject), identity, issues, unsupported: false };
}

/**
 * core/v1 Secret: "stringData allows specifying non-binary secret data in string form. It is
 * provided as a write-only input field for convenience. All keys and values are merged into the
 * data field on write, overwriting any existing values." Values are never logged.
 */
function foldStringData(obj: Obj): void {
  const sd = obj.stringData;
  if (!isObject(sd)) return;
  if (!Object.values(sd).every((v) => typeof v === 'string')) return; // the schema will say why
  const data: Obj = isObject(obj.data) ? obj.data : {};
  for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(v as string, 'utf8').toString('base64');
  obj.data = data;
  delete obj.stringData;
}
