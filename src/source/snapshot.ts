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
import { recordDiff } from '../ir/identity-diff.js';
import { partitionPoint } from '../partition-point.js';

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
   * waygate.dev WaygateParameters, so parametersRefs naming one are valid. Only Kubernetes mode
   * has any (files cannot hold the kind); optional for snapshots made by hand.
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
  WaygateParameters: 'waygateParameters',
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
 * `Kind/namespace/name`: one object per key across kinds, whatever its apiVersion (the file
 * source's duplicates, the Kubernetes controller's caches and status writer).
 */
export function identityKey(kind: string, namespace: string | null | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
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
  return compareSortKeys(sortKeyOf(a), sortKeyOf(b));
}

/** What buildSnapshot sorts by, worked out once per object (sources hand out immutable objects and reuse them across passes). */
interface SortKey {
  readonly object: KubeObject;
  /** The Snapshot field of the object's kind, or null for kinds the snapshot does not hold. */
  readonly field: keyof Snapshot | null;
  readonly created: string;
  readonly key: string;
  /**
   * `created` is empty or UTC of the shape `YYYY-MM-DDTHH:MM:SS[.s{1,3}]Z`. Among such
   * timestamps compareAge is a total order (text order within a length is instant order), so
   * an array sorted by compareSortKeys can be searched and spliced; with other shapes (offsets,
   * sub-millisecond digits) it need not be transitive, and only a whole sort gives what
   * buildSnapshot gives.
   */
  readonly plain: boolean;
}

const PLAIN_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?Z$/;

/**
 * A real calendar instant: Date.parse also takes `…-02-30T…` or `T24:00:00`, rolling them
 * over, and such a string compares with the others neither as text nor as an instant
 * consistently (the sort's total order needs one or the other).
 */
function isCalendarTime(created: string): boolean {
  const ms = Date.parse(created);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === created.slice(0, 19);
}

const sortKeys = new WeakMap<KubeObject, SortKey>();

function sortKeyOf(object: KubeObject): SortKey {
  let k = sortKeys.get(object);
  if (k === undefined) {
    const field = isSnapshotKind(object.kind) ? SNAPSHOT_FIELD_BY_KIND[object.kind] : null;
    const created = object.metadata.creationTimestamp ?? '';
    const plain = created === '' || (PLAIN_TIMESTAMP.test(created) && isCalendarTime(created));
    k = { object, field, created, key: objectKey(object), plain };
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

/** Per Snapshot field, how many of its objects have a timestamp that is not `plain`. */
type OddCounts = Partial<Record<keyof Snapshot, number>>;

/** The odd counts of every snapshot buildSnapshot or updateSnapshot made. */
const oddCounts = new WeakMap<Snapshot, OddCounts>();

/**
 * Builds a Snapshot from a flat list of objects, each kind sorted canonically
 * (compareByAgeThenKey).
 */
export function buildSnapshot(objects: readonly KubeObject[]): Snapshot {
  const groups: Record<string, SortKey[]> = {};
  for (const field of Object.values(SNAPSHOT_FIELD_BY_KIND)) groups[field] = [];
  const odd: OddCounts = {};
  for (const obj of objects) {
    const k = sortKeyOf(obj);
    if (k.field === null) continue;
    groups[k.field]!.push(k);
    if (!k.plain) odd[k.field] = (odd[k.field] ?? 0) + 1;
  }
  const result: Record<string, KubeObject[]> = {};
  for (const [field, keys] of Object.entries(groups)) {
    keys.sort(compareSortKeys);
    const list: KubeObject[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) list[i] = keys[i]!.object;
    result[field] = list;
  }
  const snapshot = result as unknown as Snapshot;
  oddCounts.set(snapshot, odd);
  return snapshot;
}

/** Where `k` is or would go in `list` (sorted by compareSortKeys, total order): the first index not before it. */
function lowerBound(list: readonly KubeObject[], k: SortKey): number {
  return partitionPoint(list.length, (i) => compareSortKeys(sortKeyOf(list[i]!), k) < 0);
}

/** `n` is in the ascending `list`. */
function containsSorted(list: readonly number[], n: number): boolean {
  return list[partitionPoint(list.length, (i) => list[i]! < n)] === n;
}

/**
 * buildSnapshot(objects), made from `prev`, the snapshot of an earlier array that `objects` is
 * derived from: without the objects in `removed`, with those in `added`, in any order. The
 * arrays of the kinds with a change are new (the sorted array spliced, in time proportional to
 * it and without comparing all of it again), the others are `prev`'s own; `prev` is not
 * changed. A kind holding a timestamp of an odd shape (see SortKey.plain) is sorted again from
 * `objects`, as buildSnapshot sorts it. Returns null when the change does not fit `prev` (an
 * object in `removed` that `prev` does not hold, two objects of a kind with one key and
 * timestamp); `prev` must have been made by buildSnapshot or updateSnapshot. `objects` may be
 * a function returning it, called only when a kind is sorted again.
 */
export function updateSnapshot(
  prev: Snapshot,
  objects: readonly KubeObject[] | (() => readonly KubeObject[]),
  removed: Iterable<KubeObject>,
  added: Iterable<KubeObject>,
): Snapshot | null {
  const prevOdd = oddCounts.get(prev);
  if (prevOdd === undefined) return null;
  const changes = new Map<keyof Snapshot, { out: SortKey[]; in: SortKey[] }>();
  const changesOf = (field: keyof Snapshot): { out: SortKey[]; in: SortKey[] } => {
    let c = changes.get(field);
    if (c === undefined) changes.set(field, (c = { out: [], in: [] }));
    return c;
  };
  for (const o of removed) {
    const k = sortKeyOf(o);
    if (k.field !== null) changesOf(k.field).out.push(k);
  }
  for (const o of added) {
    const k = sortKeyOf(o);
    if (k.field !== null) changesOf(k.field).in.push(k);
  }
  // Kinds with odd timestamps: their order may hang on the order of `objects`.
  for (const [field, count] of Object.entries(prevOdd) as [keyof Snapshot, number][]) if (count > 0) changesOf(field);
  if (changes.size === 0) return prev;
  const odd: OddCounts = { ...prevOdd };
  const next: Record<string, unknown> = { ...prev };
  const resort = new Set<keyof Snapshot>();
  for (const [field, { out, in: inn }] of changes) {
    let count = odd[field] ?? 0;
    for (const k of out) if (!k.plain) count--;
    for (const k of inn) if (!k.plain) count++;
    if (count !== 0 || (odd[field] ?? 0) !== 0) {
      resort.add(field);
      odd[field] = count;
      continue;
    }
    const merged = splice((prev[field] ?? []) as readonly KubeObject[], out, inn);
    if (merged === null) return null;
    next[field] = merged;
  }
  if (resort.size > 0) {
    const groups = new Map<keyof Snapshot, SortKey[]>();
    for (const field of resort) groups.set(field, []);
    for (const obj of typeof objects === 'function' ? objects() : objects) {
      const k = sortKeyOf(obj);
      if (k.field !== null) groups.get(k.field)?.push(k);
    }
    for (const [field, keys] of groups) next[field] = keys.sort(compareSortKeys).map((k) => k.object);
  }
  const snapshot = next as unknown as Snapshot;
  oddCounts.set(snapshot, odd);
  return snapshot;
}

/** `list` (sorted, plain timestamps) without `out` and with `inn`, or null when they do not fit it. */
function splice(list: readonly KubeObject[], out: readonly SortKey[], inn: SortKey[]): KubeObject[] | null {
  // Indexes in `list` to drop, ascending; where each added object goes, in order.
  const drop: number[] = [];
  for (const k of out) {
    let at = lowerBound(list, k);
    while (at < list.length && list[at] !== k.object && compareSortKeys(sortKeyOf(list[at]!), k) === 0) at++;
    if (list[at] !== k.object) return null;
    drop.push(at);
  }
  drop.sort((a, b) => a - b);
  for (let j = 1; j < drop.length; j++) if (drop[j] === drop[j - 1]) return null;
  inn.sort(compareSortKeys);
  const place = inn.map((k) => lowerBound(list, k));
  // Two objects of a kind with one key and timestamp: buildSnapshot keeps them in input order,
  // which is not known here.
  for (let j = 0; j < inn.length; j++) {
    const at = place[j]!;
    if (j > 0 && compareSortKeys(inn[j - 1]!, inn[j]!) === 0) return null;
    if (at < list.length && compareSortKeys(sortKeyOf(list[at]!), inn[j]!) === 0 && !containsSorted(drop, at)) return null;
  }
  const merged: KubeObject[] = new Array(list.length - drop.length + inn.length);
  const placedAt: number[] = new Array(inn.length);
  let m = 0;
  let d = 0;
  let a = 0;
  for (let i = 0; i <= list.length; i++) {
    while (a < inn.length && place[a] === i) {
      placedAt[a] = m;
      merged[m++] = inn[a++]!.object;
    }
    if (i === list.length) break;
    if (d < drop.length && drop[d] === i) {
      d++;
      continue;
    }
    merged[m++] = list[i]!;
  }
  // The route placements line the new list up with this one (ir/identity-diff.ts).
  recordDiff(list, merged, drop, placedAt);
  return merged;
}
