/**
 * FileSource: the stateful file source behind `waygate serve -f DIR` and the conformance runner.
 *
 * Each `load()` re-reads DIR (re-validating only files whose text changed) and returns what to
 * serve, with two promises:
 * - A broken file never takes serving config down. A file with a YAML syntax error keeps all
 *   the objects last loaded from it; a document that fails validation keeps the last good
 *   version of the object with the same kind/namespace/name, if there was one. The issues are
 *   still reported. A deleted file removes its objects.
 * - Objects carry the metadata the API server would give them: `creationTimestamp` from the
 *   clock when first seen (unless the document sets one), kept across reloads; `generation`
 *   starting at 1 and bumped only when `spec` changes (for kinds without spec: when anything
 *   but metadata changes); a deterministic `uid`; `resourceVersion` bumped on any change.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../api/types.js';
import { lookupKind } from '../../api/schema.js';
import type { LoadIssue } from './issues.js';
import {
  identityKey,
  listManifestFiles,
  loadText,
  mergeLoaded,
  objectIdentityKey,
  readManifest,
  type FileLoad,
  type LoadedObject,
} from './load.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './static-endpoints.js';

export interface FileSourceOptions {
  /** The clock for `creationTimestamp` of objects first seen. */
  readonly clock: () => Date;
}

interface Tracked {
  readonly created: string;
  readonly generation: number;
  readonly resourceVersion: string;
  readonly specHash: string;
  readonly contentHash: string;
}

/** Stable JSON: object keys sorted, so reordering keys in YAML is not a change. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A UUID-shaped id derived from kind/namespace/name (name-based, version 5 layout). */
export function deterministicUid(kind: string, namespace: string | undefined, name: string): string {
  const h = createHash('sha1').update(`waygate/${kind}/${namespace ?? ''}/${name}`).digest('hex');
  const variant = ((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16).padStart(2, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

/** Re-reads a directory of manifests on demand, keeping last-good objects and API metadata. */
export class FileSource {
  readonly #dir: string;
  readonly #clock: () => Date;
  /** Per file: the text last read and what it yielded. */
  readonly #cache = new Map<string, { text: string; load: FileLoad }>();
  /** Per file: the objects last served from it (its last good state). */
  readonly #lastGood = new Map<string, LoadedObject[]>();
  /** Per identity key: the object last served (before our metadata), for invalid edits. */
  #served = new Map<string, LoadedObject>();
  readonly #tracked = new Map<string, Tracked>();
  #resourceVersion = 0;
  #signature: string | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string, opts: FileSourceOptions) {
    this.#dir = dir;
    this.#clock = opts.clock;
  }

  /**
   * Re-reads DIR; returns the objects to serve and the current issues. Concurrent calls are
   * run one after the other.
   */
  load(): Promise<{ objects: KubeObject[]; issues: LoadIssue[]; changed: boolean }> {
    const run = this.#queue.then(() => this.#load());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #load(): Promise<{ objects: KubeObject[]; issues: LoadIssue[]; changed: boolean }> {
    const files = await listManifestFiles(this.#dir);
    const issues: LoadIssue[] = [];
    const effective: LoadedObject[] = [];
    const present = new Set(files);
    for (const file of files) {
      const read = await readManifest(this.#dir, file);
      if (!('text' in read)) {
        // Unreadable, or gone since the listing (a delete-and-recreate save): keep last good.
        if ('issue' in read) issues.push(read.issue);
        effective.push(...(this.#lastGood.get(file) ?? []));
        continue;
      }
      let cached = this.#cache.get(file);
      if (!cached || cached.text !== read.text) {
        cached = { text: read.text, load: loadText(file, read.text) };
        this.#cache.set(file, cached);
      }
      const { load } = cached;
      issues.push(...load.issues);
      let objects: LoadedObject[];
      if (load.syntaxError) {
        objects = this.#lastGood.get(file) ?? [];
      } else {
        objects = [...load.objects];
        const have = new Set(objects.map((lo) => objectIdentityKey(lo.object)));
        for (const id of load.rejected) {
          const key = this.#rejectedKey(id);
          const prev = key && !have.has(key) ? this.#served.get(key) : undefined;
          if (prev && key) {
            objects.push(prev);
            have.add(key);
          }
        }
      }
      this.#lastGood.set(file, objects);
      effective.push(...objects);
    }
    for (const file of [...this.#lastGood.keys()]) {
      if (!present.has(file)) {
        this.#lastGood.delete(file);
        this.#cache.delete(file);
      }
    }

    const merged = mergeLoaded(effective);
    issues.push(...merged.issues);
    // Remember what we serve (synthesized objects are derived, not remembered as last good).
    this.#served = new Map(
      merged.objects
        .filter((lo) => lo.object.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE)
        .map((lo) => [objectIdentityKey(lo.object), lo]),
    );
    const objects = this.#withMetadata(merged.objects.map((lo) => lo.object));
    const signature = canonical({ objects, issues });
    const changed = signature !== this.#signature;
    this.#signature = signature;
    return { objects, issues, changed };
  }

  /** The identity key of a rejected document, when it says enough (kind and name). */
  #rejectedKey(id: { kind: string | null; name: string | null; namespace: string | null }): string | null {
    if (!id.kind || !id.name) return null;
    let namespace = id.namespace;
    if (namespace === null) {
      // A namespaced kind without namespace lands in "default"; the rejected document may
      // not have got that far.
      for (const api of ['v1', 'gateway.networking.k8s.io/v1', 'discovery.k8s.io/v1']) {
        const found = lookupKind(api, id.kind);
        if (found.status === 'ok') {
          namespace = found.kind.namespaced ? 'default' : null;
          break;
        }
      }
    }
    return identityKey(id.kind, namespace, id.name);
  }

  /** Adds API-server metadata, tracking it across loads; forgets objects that are gone. */
  #withMetadata(objects: readonly KubeObject[]): KubeObject[] {
    const seen = new Set<string>();
    const out = objects.map((obj) => {
      const key = objectIdentityKey(obj);
      seen.add(key);
      const { apiVersion, kind, metadata, ...rest } = obj as KubeObject & Record<string, unknown>;
      const specHash = canonical('spec' in rest ? rest.spec : rest);
      const userMeta = { ...metadata };
      delete userMeta.uid;
      delete userMeta.generation;
      delete userMeta.resourceVersion;
      const contentHash = canonical({ apiVersion, ...rest, metadata: userMeta });
      const prev = this.#tracked.get(key);
      let tracked: Tracked;
      if (!prev) {
        tracked = {
          created: metadata.creationTimestamp ?? this.#clock().toISOString(),
          generation: 1,
          resourceVersion: String(++this.#resourceVersion),
          specHash,
          contentHash,
        };
      } else {
        tracked = {
          created: metadata.creationTimestamp ?? prev.created,
          generation: prev.specHash === specHash ? prev.generation : prev.generation + 1,
          resourceVersion: prev.contentHash === contentHash ? prev.resourceVersion : String(++this.#resourceVersion),
          specHash,
          contentHash,
        };
      }
      this.#tracked.set(key, tracked);
      return {
        apiVersion,
        kind,
        metadata: {
          ...userMeta,
          uid: deterministicUid(obj.kind, metadata.namespace, metadata.name),
          generation: tracked.generation,
          resourceVersion: tracked.resourceVersion,
          creationTimestamp: tracked.created,
        },
        ...rest,
      } as KubeObject;
    });
    for (const key of [...this.#tracked.keys()]) if (!seen.has(key)) this.#tracked.delete(key);
    return out;
  }
}
