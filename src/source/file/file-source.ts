/**
 * FileSource: the stateful file source behind `waygate serve -f DIR` and the conformance runner.
 *
 * Each `load()` returns what to serve. A full load lists and reads DIR (re-validating only the
 * files whose text changed); `load(paths)` re-reads only the paths the watcher reported, so a
 * reload costs in proportion to what changed (a path that turns out to be a directory falls back
 * to a full load). An in-place write is never handed on half done (./read-settled.ts). Two
 * promises:
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
  type LoadedObject,
} from './load.js';
import { readSettled, type SettleOptions } from './read-settled.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './static-endpoints.js';

export interface FileSourceOptions {
  /** The clock for `creationTimestamp` of objects first seen. */
  readonly clock: () => Date;
  /** In-place write handling (grace for emptied files, re-reads of torn reads). */
  readonly settle?: SettleOptions;
}

/** What `load` returns. */
export interface FileSourceLoad {
  readonly objects: KubeObject[];
  readonly issues: LoadIssue[];
  /** False when objects and issues are what the previous load returned. */
  readonly changed: boolean;
}

/** Per file: the text last read, the objects last served from it (its last good state), its issues. */
interface FileState {
  text: string | null;
  objects: LoadedObject[];
  issues: LoadIssue[];
}

/** What was last served for an identity key: the object before and after our metadata. */
interface Served {
  readonly source: KubeObject;
  readonly contentHash: string;
  readonly out: KubeObject;
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** A path the loader would read: a manifest extension and no dot-file or dot-directory on the way. */
function isManifestPath(rel: string): boolean {
  return MANIFEST_EXT.test(rel) && !rel.split('/').some((seg) => seg.startsWith('.') || seg === '');
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
  readonly #settle: SettleOptions;
  /** Per file (relative path), in sorted order after every load. */
  #files = new Map<string, FileState>();
  /** Per identity key: the object last served (before our metadata), for invalid edits. */
  #served = new Map<string, LoadedObject>();
  readonly #tracked = new Map<string, Tracked>();
  readonly #outputs = new Map<string, Served>();
  #resourceVersion = 0;
  #lastObjects: KubeObject[] = [];
  #lastIssues: string | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string, opts: FileSourceOptions) {
    this.#dir = dir;
    this.#clock = opts.clock;
    this.#settle = opts.settle ?? {};
  }

  /**
   * Returns the objects to serve and the current issues. Without `changed` (or with null) DIR
   * is listed and every file read; with a set of relative paths (`/`-separated, as the watcher
   * reports them) only those are read again. Concurrent calls run one after the other.
   */
  load(changed?: ReadonlySet<string> | null): Promise<FileSourceLoad> {
    const run = this.#queue.then(() => this.#load(changed ?? null));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #load(changed: ReadonlySet<string> | null): Promise<FileSourceLoad> {
    let full = changed === null || this.#lastIssues === null;
    if (!full) {
      for (const file of [...(changed as ReadonlySet<string>)].sort(compareStrings)) {
        if (!isManifestPath(file)) continue;
        if ((await this.#refresh(file, true)) === 'directory') {
          full = true;
          break;
        }
      }
      if (!full) this.#files = new Map([...this.#files].sort((a, b) => compareStrings(a[0], b[0])));
    }
    if (full) {
      const files = await listManifestFiles(this.#dir);
      for (const file of files) await this.#refresh(file, false);
      const next = new Map<string, FileState>();
      for (const file of files) {
        const state = this.#files.get(file);
        if (state !== undefined) next.set(file, state);
      }
      this.#files = next;
    }

    const issues: LoadIssue[] = [];
    const effective: LoadedObject[] = [];
    for (const state of this.#files.values()) {
      for (const lo of state.objects) effective.push(lo);
      for (const i of state.issues) issues.push(i);
    }
    const merged = mergeLoaded(effective);
    for (const i of merged.issues) issues.push(i);
    // Remember what we serve (synthesized objects are derived, not remembered as last good).
    this.#served = new Map();
    for (const lo of merged.objects) {
      if (lo.object.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) this.#served.set(objectIdentityKey(lo.object), lo);
    }
    const objects = this.#withMetadata(merged.objects.map((lo) => lo.object));
    const issueText = JSON.stringify(issues);
    const prev = this.#lastObjects;
    let same = issueText === this.#lastIssues && prev.length === objects.length;
    for (let i = 0; same && i < objects.length; i++) same = objects[i] === prev[i];
    this.#lastObjects = objects;
    this.#lastIssues = issueText;
    return { objects, issues, changed: !same };
  }

  /**
   * Reads one file again and updates its state. `gone`: a file that disappeared is forgotten
   * (a full load only reads listed files; one removed between listing and reading keeps its
   * last good objects until the next load, as an editor deleting and re-creating it would
   * want). Returns 'directory' when the path is a directory.
   */
  async #refresh(file: string, incremental: boolean): Promise<'ok' | 'directory'> {
    const state = this.#files.get(file);
    const read = await readSettled(this.#dir, file, (state?.text ?? '') !== '', this.#settle);
    if ('directory' in read) return 'directory';
    if ('gone' in read) {
      if (incremental) this.#files.delete(file);
      return 'ok';
    }
    if ('issue' in read) {
      // Unreadable: keep the last good objects, report why.
      this.#files.set(file, { text: null, objects: state?.objects ?? [], issues: [read.issue] });
      return 'ok';
    }
    if (state !== undefined && state.text === read.text) return 'ok';
    const load = loadText(file, read.text);
    let objects: LoadedObject[];
    if (load.syntaxError) {
      objects = state?.objects ?? [];
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
    this.#files.set(file, { text: read.text, objects, issues: load.issues });
    return 'ok';
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

  /**
   * Adds API-server metadata, tracking it across loads; forgets objects that are gone. An object
   * served before from the same source object (or with the same content) is returned as the
   * very same output object, so unchanged objects cost a map lookup, not a hash.
   */
  #withMetadata(objects: readonly KubeObject[]): KubeObject[] {
    const seen = new Set<string>();
    const out = objects.map((obj) => {
      const key = objectIdentityKey(obj);
      seen.add(key);
      const served = this.#outputs.get(key);
      if (served !== undefined && served.source === obj) return served.out;
      const { apiVersion, kind, metadata, ...rest } = obj as KubeObject & Record<string, unknown>;
      const specHash = canonical('spec' in rest ? rest.spec : rest);
      const userMeta = { ...metadata };
      delete userMeta.uid;
      delete userMeta.generation;
      delete userMeta.resourceVersion;
      const contentHash = canonical({ apiVersion, ...rest, metadata: userMeta });
      if (served !== undefined && served.contentHash === contentHash) {
        this.#outputs.set(key, { ...served, source: obj });
        return served.out;
      }
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
      const result = {
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
      this.#outputs.set(key, { source: obj, contentHash, out: result });
      return result;
    });
    for (const key of [...this.#tracked.keys()]) {
      if (seen.has(key)) continue;
      this.#tracked.delete(key);
      this.#outputs.delete(key);
    }
    return out;
  }
}
