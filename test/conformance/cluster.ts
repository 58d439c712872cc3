/**
 * The emulated "API server": a temp directory that waygate serves from. Every object lives
 * in its own file `<kind>-<namespace>-<name>.yaml`, written atomically (write + rename), and
 * gets the metadata an API server would give it (uid, creationTimestamp, generation bumped on
 * spec changes, resourceVersion, the Namespace name label).
 *
 * Workload kinds (Deployment, Pod, ...) are kept in memory only: waygate does not read them;
 * the runner's controllers (see pods.ts) turn them into echo pods and EndpointSlices.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KObject } from './manifests.js';
import { jsonEqual, mergePatch } from './util.js';

/** Kinds an API server would store but waygate does not read; never written to files. */
export const WORKLOAD_KINDS = new Set(['Deployment', 'Pod', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'ServiceAccount', 'Job']);

/** A controller run after every change (pods, endpoint slices). */
export interface ClusterController {
  reconcile(cluster: Cluster): Promise<void>;
}

/**
 * Where objects go instead of files (Kubernetes mode: a real API server). With a sink every
 * kind is written, workloads included; the sink decides what it can store.
 */
export interface ObjectSink {
  put(obj: KObject): Promise<void>;
  remove(obj: KObject): Promise<void>;
}

/** `kind/namespace/name` (namespace empty for cluster-scoped objects). */
export function objKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

/** The file name an object is stored under; long names are shortened with a hash. */
export function fileNameFor(kind: string, namespace: string | undefined, name: string): string {
  const base = `${kind.toLowerCase()}-${namespace ?? 'cluster'}-${name}`;
  if (base.length <= 200) return `${base}.yaml`;
  const hash = createHash('sha1').update(base).digest('hex').slice(0, 12);
  return `${base.slice(0, 186)}-${hash}.yaml`;
}

/** The emulated API server over a directory. */
export class Cluster {
  readonly dir: string;
  readonly #objects = new Map<string, KObject>();
  readonly #controllers: ClusterController[] = [];
  readonly #now: () => Date;
  readonly #sink: ObjectSink | undefined;
  #resourceVersion = 1;
  /** Runs controllers one pass at a time. */
  #reconciling: Promise<void> = Promise.resolve();

  constructor(dir: string, opts: { now?: () => Date; sink?: ObjectSink } = {}) {
    this.dir = dir;
    this.#now = opts.now ?? (() => new Date());
    this.#sink = opts.sink;
  }

  /** Creates the directory. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** Registers a controller to run after every change. */
  addController(c: ClusterController): void {
    this.#controllers.push(c);
  }

  /** The stored object, or undefined. */
  get(kind: string, namespace: string | undefined, name: string): KObject | undefined {
    const o = this.#objects.get(objKey(kind, namespace, name));
    return o ? structuredClone(o) : undefined;
  }

  /** Every stored object of a kind (in a namespace, if given), oldest first. */
  list(kind: string, namespace?: string): KObject[] {
    const out: KObject[] = [];
    for (const o of this.#objects.values()) {
      if (o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace)) out.push(structuredClone(o));
    }
    return out;
  }

  /**
   * Creates or updates objects (like `kubectl apply` with full replacement of the spec), then
   * runs the controllers. Returns the stored objects.
   */
  async apply(objects: readonly KObject[]): Promise<KObject[]> {
    const stored: KObject[] = [];
    for (const obj of objects) stored.push(await this.#put(obj));
    await this.reconcile();
    return stored;
  }

  /** Applies objects without running controllers (used by controllers themselves). */
  async applyQuiet(objects: readonly KObject[]): Promise<void> {
    for (const obj of objects) await this.#put(obj);
  }

  /** RFC 7386 merge patch of one object; throws when it does not exist. */
  async patch(kind: string, namespace: string | undefined, name: string, patch: Record<string, unknown>): Promise<KObject> {
    const current = this.#objects.get(objKey(kind, namespace, name));
    if (!current) throw new Error(`patch: ${kind} ${namespace ?? ''}/${name} not found`);
    const next = mergePatch(current, patch) as KObject;
    const [stored] = await this.apply([next]);
    return stored as KObject;
  }

  /** Deletes objects (missing ones are ignored), then runs the controllers. */
  async delete(objects: ReadonlyArray<{ kind: string; metadata: { namespace?: string; name: string } }>): Promise<void> {
    await this.deleteQuiet(objects);
    await this.reconcile();
  }

  /** Deletes without running controllers. */
  async deleteQuiet(objects: ReadonlyArray<{ kind: string; metadata: { namespace?: string; name: string } }>): Promise<void> {
    for (const o of objects) {
      const key = objKey(o.kind, o.metadata.namespace, o.metadata.name);
      const stored = this.#objects.get(key);
      if (!stored || !this.#objects.delete(key)) continue;
      if (this.#sink) await this.#sink.remove(stored);
      else if (!WORKLOAD_KINDS.has(o.kind)) {
        await rm(join(this.dir, fileNameFor(o.kind, o.metadata.namespace, o.metadata.name)), { force: true });
      }
    }
  }

  /** Runs every controller once, serialised. */
  reconcile(): Promise<void> {
    const run = this.#reconciling.then(async () => {
      for (const c of this.#controllers) await c.reconcile(this);
    });
    this.#reconciling = run.catch(() => undefined);
    return run;
  }

  async #put(input: KObject): Promise<KObject> {
    const obj = structuredClone(input);
    const ns = obj.metadata.namespace;
    const key = objKey(obj.kind, ns, obj.metadata.name);
    const prev = this.#objects.get(key);
    const meta = obj.metadata;
    if (prev) {
      if (prev.metadata.uid !== undefined) meta.uid = prev.metadata.uid;
      if (prev.metadata.creationTimestamp !== undefined) meta.creationTimestamp = prev.metadata.creationTimestamp;
      const prevGen = prev.metadata.generation;
      if (prevGen !== undefined) {
        meta.generation = jsonEqual(stripMeta(prev), stripMeta(obj)) ? prevGen : prevGen + 1;
      }
      if (jsonEqual(prev, { ...obj, metadata: { ...meta, resourceVersion: prev.metadata.resourceVersion } })) {
        return structuredClone(prev);
      }
    } else {
      meta.uid = randomUUID();
      // The API server keeps second resolution.
      meta.creationTimestamp = this.#now().toISOString().replace(/\.\d+Z$/, 'Z');
      if ('spec' in obj) meta.generation = 1;
      else delete meta.generation;
    }
    meta.resourceVersion = String(++this.#resourceVersion);
    if (obj.kind === 'Namespace') {
      // The API server labels every Namespace with its own name.
      meta.labels = { ...(meta.labels ?? {}), 'kubernetes.io/metadata.name': meta.name };
    }
    delete (obj as Record<string, unknown>)['status'];
    this.#objects.set(key, obj);
    if (this.#sink) await this.#sink.put(obj);
    else if (!WORKLOAD_KINDS.has(obj.kind)) await this.#write(obj);
    return structuredClone(obj);
  }

  async #write(obj: KObject): Promise<void> {
    const file = join(this.dir, fileNameFor(obj.kind, obj.metadata.namespace, obj.metadata.name));
    const tmp = join(this.dir, `.tmp-${randomUUID()}`);
    await writeFile(tmp, stringify(obj, { lineWidth: 0 }));
    await rename(tmp, file);
  }
}

/** Everything but metadata and status: what decides whether generation is bumped. */
function stripMeta(o: KObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = o as Record<string, unknown>;
  return rest;
}
