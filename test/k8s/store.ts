/**
 * The test API server's storage: objects per resource type, one global resourceVersion counter,
 * an event log for watches (compactable, so old versions answer 410 Gone), generation bumped on
 * spec changes only, optimistic concurrency on metadata.resourceVersion, and garbage collection
 * of dependents through ownerReferences.
 */
import { randomUUID } from 'node:crypto';
import { RESOURCES, resourceKey, type ResourceType } from './resources.js';

/** A stored object (plain JSON). */
export type Obj = Record<string, unknown> & { metadata: Meta };

/** The metadata fields the store manages. */
export interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { uid: string; kind: string; name: string; apiVersion: string; controller?: boolean }[];
  generateName?: string;
  [k: string]: unknown;
}

/** One change, as a watch reports it. */
export interface StoreEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly resource: string;
  readonly rv: number;
  readonly object: Obj;
  /** The object before a MODIFIED (for selector transitions). */
  readonly previous: Obj | null;
}

/** An error the API server answers with a Status object. */
export class ApiError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string) {
    super(message);
  }
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function specPart(o: Obj): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return JSON.stringify(rest);
}

/** In-memory storage with watch events. */
export class Store {
  #rv = 100;
  /** Events at or below this version are gone (watching from an older version answers 410). */
  #floor = 100;
  #events: StoreEvent[] = [];
  readonly #objects = new Map<string, Map<string, Obj>>();
  readonly #listeners = new Set<(e: StoreEvent) => void>();
  #clusterIP = 1;
  /** How many events are kept before older ones are compacted away. */
  maxEvents = 2000;

  constructor() {
    for (const r of RESOURCES) this.#objects.set(resourceKey(r), new Map());
  }

  /** The current resourceVersion. */
  get resourceVersion(): number {
    return this.#rv;
  }

  /** Forgets every event so far: watches from any older version now get 410 Gone. */
  compact(): void {
    this.#events = [];
    this.#floor = this.#rv;
  }

  /** Calls `fn` for every change; returns the unsubscribe function. */
  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Events of `resource` after version `rv`, or 'gone' when they were compacted away. */
  eventsSince(resource: string, rv: number): StoreEvent[] | 'gone' {
    if (rv < this.#floor) return 'gone';
    return this.#events.filter((e) => e.resource === resource && e.rv > rv);
  }

  #map(r: ResourceType): Map<string, Obj> {
    return this.#objects.get(resourceKey(r))!;
  }

  /** A copy of one object, or undefined. */
  get(r: ResourceType, namespace: string | undefined, name: string): Obj | undefined {
    const o = this.#map(r).get(keyOf(namespace, name));
    return o ? structuredClone(o) : undefined;
  }

  /** Copies of the objects of a type (in one namespace if given). */
  list(r: ResourceType, namespace?: string): Obj[] {
    const out: Obj[] = [];
    for (const o of this.#map(r).values()) if (namespace === undefined || o.metadata.namespace === namespace) out.push(structuredClone(o));
    return out;
  }

  #emit(type: StoreEvent['type'], r: ResourceType, object: Obj, previous: Obj | null): void {
    const e: StoreEvent = { type, resource: resourceKey(r), rv: this.#rv, object: structuredClone(object), previous };
    this.#events.push(e);
    if (this.#events.length > this.maxEvents) {
      const dropped = this.#events.splice(0, this.#events.length - this.maxEvents);
      this.#floor = dropped[dropped.length - 1]!.rv;
    }
    for (const fn of this.#listeners) fn(e);
  }

  /** Creates an object (409 AlreadyExists when it exists). */
  create(r: ResourceType, input: Obj): Obj {
    const obj = structuredClone(input);
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`;
    if (!meta.name) throw new ApiError(422, 'Invalid', 'metadata.name: Required value');
    if (r.namespaced && !meta.namespace) throw new ApiError(422, 'Invalid', 'metadata.namespace: Required value');
    if (!r.namespaced) delete meta.namespace;
    if (r.namespaced && r.kind !== 'Namespace' && !this.#map(RESOURCES[0]!).has(keyOf(undefined, meta.namespace!))) {
      throw new ApiError(404, 'NotFound', `namespaces "${meta.namespace}" not found`);
    }
    const map = this.#map(r);
    const key = keyOf(meta.namespace, meta.name);
    if (map.has(key)) throw new ApiError(409, 'AlreadyExists', `${r.plural} "${meta.name}" already exists`);
    meta.uid = randomUUID();
    meta.creationTimestamp = now();
    meta.generation = 1;
    meta.resourceVersion = String(++this.#rv);
    if (r.statusSubresource && r.kind !== 'Service') delete obj['status'];
    if (r.kind === 'Namespace') meta.labels = { ...(meta.labels ?? {}), 'kubernetes.io/metadata.name': meta.name };
    if (r.kind === 'Service') this.#allocateClusterIP(obj);
    map.set(key, obj);
    this.#emit('ADDED', r, obj, null);
    return structuredClone(obj);
  }

  /** As the API server's IP allocator does: ClusterIP-backed Services get 10.96.x.y. */
  #allocateClusterIP(obj: Obj): void {
    const spec = (obj['spec'] ?? (obj['spec'] = {})) as Record<string, unknown>;
    if (spec['type'] === 'ExternalName' || spec['clusterIP'] === 'None' || spec['clusterIP']) return;
    const n = this.#clusterIP++;
    const ip = `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
    spec['clusterIP'] = ip;
    spec['clusterIPs'] = [ip];
    if (!('status' in obj)) obj['status'] = { loadBalancer: {} };
  }

  /**
   * Replaces an object (or only its status when `status` is true). A resourceVersion in the
   * input must match (409 Conflict otherwise); a no-op write changes nothing.
   */
  update(r: ResourceType, namespace: string | undefined, name: string, input: Obj, status: boolean): Obj {
    const map = this.#map(r);
    const key = keyOf(namespace, name);
    const prev = map.get(key);
    if (!prev) throw new ApiError(404, 'NotFound', `${r.plural} "${name}" not found`);
    const rv = input.metadata?.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== prev.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${r.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    let next: Obj;
    if (status) {
      next = { ...structuredClone(prev), status: structuredClone(input['status']) };
      if (input['status'] === undefined) delete next['status'];
    } else {
      next = structuredClone(input);
      next.metadata = { ...next.metadata, name: prev.metadata.name, uid: prev.metadata.uid!, creationTimestamp: prev.metadata.creationTimestamp! };
      if (namespace !== undefined) next.metadata.namespace = namespace;
      else delete next.metadata.namespace;
      next.metadata.generation = prev.metadata.generation ?? 1;
      if (r.statusSubresource) {
        if ('status' in prev) next['status'] = structuredClone(prev['status']);
        else delete next['status'];
      }
      if (r.kind === 'Namespace') next.metadata.labels = { ...(next.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
      if (r.kind === 'Service') {
        const ps = (prev['spec'] ?? {}) as Record<string, unknown>;
        const ns = (next['spec'] ?? (next['spec'] = {})) as Record<string, unknown>;
        if (!ns['clusterIP'] && ps['clusterIP']) {
          ns['clusterIP'] = ps['clusterIP'];
          ns['clusterIPs'] = ps['clusterIPs'];
        }
      }
      // "The generation is incremented on changes to the spec" — metadata and status are not spec.
      if (specPart(next) !== specPart(prev)) next.metadata.generation = (prev.metadata.generation ?? 1) + 1;
    }
    next.metadata.resourceVersion = prev.metadata.resourceVersion!;
    if (JSON.stringify(next) === JSON.stringify(prev)) return structuredClone(prev);
    next.metadata.resourceVersion = String(++this.#rv);
    map.set(key, next);
    this.#emit('MODIFIED', r, next, structuredClone(prev));
    return structuredClone(next);
  }

  /** Deletes an object, then (as the garbage collector would) its dependents. */
  delete(r: ResourceType, namespace: string | undefined, name: string): Obj {
    const map = this.#map(r);
    const key = keyOf(namespace, name);
    const prev = map.get(key);
    if (!prev) throw new ApiError(404, 'NotFound', `${r.plural} "${name}" not found`);
    map.delete(key);
    prev.metadata.resourceVersion = String(++this.#rv);
    this.#emit('DELETED', r, prev, null);
    this.#collectGarbage(prev);
    return structuredClone(prev);
  }

  #collectGarbage(owner: Obj): void {
    const isNamespace = owner['kind'] === 'Namespace';
    for (const r of RESOURCES) {
      for (const o of [...this.#map(r).values()]) {
        const owned = (o.metadata.ownerReferences ?? []).some((ref) => ref.uid === owner.metadata.uid);
        const inNamespace = isNamespace && r.namespaced && o.metadata.namespace === owner.metadata.name;
        if ((owned || inNamespace) && this.#map(r).has(keyOf(o.metadata.namespace, o.metadata.name))) {
          this.delete(r, o.metadata.namespace, o.metadata.name);
        }
      }
    }
  }
}
