/**
 * A Snapshot is the immutable picture of the world that sources hand to the controller:
 * every resource waygate reads, already validated and defaulted, grouped by kind.
 *
 * Sources (files, Kubernetes) build it; `translate()` reads it and never mutates it.
 */
import type {
  BackendTLSPolicy,
  ConfigMap,
  GRPCRoute,
  EndpointSlice,
  Gateway,
  GatewayClass,
  HTTPRoute,
  KubeObject,
  ListenerSet,
  Namespace,
  ReferenceGrant,
  Secret,
  Service,
  TCPRoute,
  TLSRoute,
  UDPRoute,
} from '../api/types.js';

export interface Snapshot {
  readonly gatewayClasses: readonly GatewayClass[];
  readonly gateways: readonly Gateway[];
  readonly listenerSets: readonly ListenerSet[];
  readonly httpRoutes: readonly HTTPRoute[];
  readonly grpcRoutes: readonly GRPCRoute[];
  readonly tlsRoutes: readonly TLSRoute[];
  readonly tcpRoutes: readonly TCPRoute[];
  readonly udpRoutes: readonly UDPRoute[];
  readonly backendTLSPolicies: readonly BackendTLSPolicy[];
  readonly referenceGrants: readonly ReferenceGrant[];
  readonly namespaces: readonly Namespace[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly secrets: readonly Secret[];
  readonly configMaps: readonly ConfigMap[];
  /**
   * waygate.dev WaygateParameters (Kubernetes mode), so parametersRefs naming one are valid.
   * Optional: sources without provisioning leave it out.
   */
  readonly waygateParameters?: readonly KubeObject[];
}

/** The Snapshot field each kind is stored in. */
export const SNAPSHOT_FIELD_BY_KIND = {
  GatewayClass: 'gatewayClasses',
  Gateway: 'gateways',
  ListenerSet: 'listenerSets',
  HTTPRoute: 'httpRoutes',
  GRPCRoute: 'grpcRoutes',
  TLSRoute: 'tlsRoutes',
  TCPRoute: 'tcpRoutes',
  UDPRoute: 'udpRoutes',
  BackendTLSPolicy: 'backendTLSPolicies',
  ReferenceGrant: 'referenceGrants',
  Namespace: 'namespaces',
  Service: 'services',
  EndpointSlice: 'endpointSlices',
  Secret: 'secrets',
  ConfigMap: 'configMaps',
} as const satisfies Record<string, keyof Snapshot>;

export type SnapshotKind = keyof typeof SNAPSHOT_FIELD_BY_KIND;

export function isSnapshotKind(kind: string): kind is SnapshotKind {
  return Object.prototype.hasOwnProperty.call(SNAPSHOT_FIELD_BY_KIND, kind);
}

/** `namespace/name`, or `name` for cluster-scoped objects. The one key helper. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : obj.metadata.name;
}

/**
 * The age part of the order: negative when `ta` is older, 0 when the timestamps tie (then the
 * key decides). RFC 3339 strings of one shape order as text; mixed shapes (whole seconds from
 * the API server or hand-written YAML, milliseconds from the file source) are compared as
 * instants.
 */
function compareAge(ta: string, tb: string): number {
  if (ta === tb) return 0;
  if (ta.length === tb.length) return ta < tb ? -1 : 1;
  const da = Date.parse(ta);
  const db = Date.parse(tb);
  if (da !== db && !Number.isNaN(da) && !Number.isNaN(db)) return da < db ? -1 : 1;
  if (da !== db) return Number.isNaN(da) ? 1 : -1;
  return 0;
}

/**
 * Orders objects as the spec's tie-breaks want them: oldest creationTimestamp first, then
 * `{namespace}/{name}` alphabetically. Stable sorts later on inherit this order.
 */
export function compareByAgeThenKey(a: KubeObject, b: KubeObject): number {
  const age = compareAge(a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? '');
  if (age !== 0) return age;
  const ka = objectKey(a);
  const kb = objectKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** What buildSnapshot sorts by, worked out once per object (sources hand out immutable objects and reuse them across passes). */
interface SortKey {
  readonly object: KubeObject;
  /** The Snapshot field of the object's kind, or null for kinds the snapshot does not hold. */
  readonly field: keyof Snapshot | null;
  readonly created: string;
  readonly key: string;
}

const sortKeys = new WeakMap<KubeObject, SortKey>();

function sortKeyOf(object: KubeObject): SortKey {
  let k = sortKeys.get(object);
  if (k === undefined) {
    const field = isSnapshotKind(object.kind) ? SNAPSHOT_FIELD_BY_KIND[object.kind] : null;
    k = { object, field, created: object.metadata.creationTimestamp ?? '', key: field === null ? '' : objectKey(object) };
    sortKeys.set(object, k);
  }
  return k;
}

/** compareByAgeThenKey on precomputed keys. */
function compareSortKeys(a: SortKey, b: SortKey): number {
  if (a.created !== b.created) {
    const age = compareAge(a.created, b.created);
    if (age !== 0) return age;
  }
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Builds a Snapshot from a flat list of objects, each kind sorted canonically (compareByAgeThenKey). */
export function buildSnapshot(objects: readonly KubeObject[]): Snapshot {
  const groups: Record<string, SortKey[]> = {};
  for (const field of Object.values(SNAPSHOT_FIELD_BY_KIND)) groups[field] = [];
  for (const obj of objects) {
    const k = sortKeyOf(obj);
    if (k.field !== null) groups[k.field]!.push(k);
  }
  const snapshot: Record<string, KubeObject[]> = {};
  for (const [field, keys] of Object.entries(groups)) {
    keys.sort(compareSortKeys);
    const list: KubeObject[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) list[i] = keys[i]!.object;
    snapshot[field] = list;
  }
  return snapshot as unknown as Snapshot;
}
