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
 *
 * Bookkeeping is proportional to the change too: per file the objects and identity keys last
 * loaded and the output objects it serves; per identity key the files defining it, in order
 * (the first one is served, the others are duplicates). A `load(paths)` updates the keys the
 * changed files define and the files serving those keys. A full load rebuilds all of it (the
 * reference the incremental bookkeeping is tested against: file-source-incremental.test.ts).
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../api/types.js';
import { lookupKind } from '../../api/schema.js';
import { buildSnapshot, identityKey, updateSnapshot, type Snapshot } from '../snapshot.js';
import { canonicalEqual, equalExcept } from './canonical-equal.js';
import type { LoadIssue } from './issues.js';
import { duplicateIssue, issueBase, listManifestFiles, loadText, objectIdentityKey, type LoadedObject } from './load.js';
import { readSettled, type SettleOptions } from './read-settled.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, synthesizeStaticEndpoints } from './static-endpoints.js';
import { partitionPoint } from '../../partition-point.js';

export interface FileSourceOptions {
  /** The clock for `creationTimestamp` of objects first seen. */
  readonly clock: () => Date;
  /** In-place write handling (grace for emptied files, re-reads of torn reads). */
  readonly settle?: SettleOptions;
}

/**
 * What `load` returns. `objects` is put together when first read and `snapshot` worked out
 * when first read (or kept up to date from the previous load's), so a load that changed one
 * file costs what changed: the runtime reads `snapshot` and `count`, not `objects`.
 */
export interface FileSourceLoad {
  readonly objects: KubeObject[];
  readonly issues: LoadIssue[];
  /** False when objects and issues are what the previous load returned. */
  readonly changed: boolean;
  /** buildSnapshot(objects), kept up to date with updateSnapshot instead of sorted again. */
  readonly snapshot: Snapshot;
  /** objects.length */
  readonly count: number;
}

/** Per file: the text last read, the objects last served from it (its last good state), its issues. */
interface FileState {
  readonly text: string | null;
  readonly objects: readonly LoadedObject[];
  /** The identity key of each of `objects`. */
  readonly keys: readonly string[];
  readonly issues: readonly LoadIssue[];
  /** Keeps the document cache entries of the documents `objects` came from (load.ts FileLoad.cacheEntries). */
  readonly cacheEntries: readonly object[];
  /** The output objects of those of `objects` that are served (not duplicates), in order. */
  out: KubeObject[];
}

/** One definition of an identity key: object `index` of `file`. */
interface Definition {
  readonly file: string;
  readonly index: number;
  readonly lo: LoadedObject;
}

/** The output objects a load stopped serving and those it started serving. */
interface OutputChange {
  readonly removed: Set<KubeObject>;
  readonly added: Set<KubeObject>;
}

/** Per identity key: the object last served (before and after our metadata) and its metadata. */
interface Tracked {
  /** The loaded object `out` was made from (or one with the same content). */
  source: KubeObject;
  readonly out: KubeObject;
  readonly created: string;
  readonly generation: number;
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** A path the loader would read: a manifest extension and no dot-file or dot-directory on the way. */
function isManifestPath(rel: string): boolean {
  return MANIFEST_EXT.test(rel) && !rel.split('/').some((seg) => seg.startsWith('.') || seg === '');
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where `item` is or would go in the sorted `list`. */
function sortedIndex(list: readonly string[], item: string): number {
  return partitionPoint(list.length, (i) => list[i]! < item);
}

/** The objects of `segments`, one after the other (`count` in all). */
function concatenate(segments: readonly (readonly KubeObject[])[], count: number): KubeObject[] {
  const objects: KubeObject[] = new Array(count);
  let n = 0;
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s]!;
    for (let i = 0; i < segment.length; i++) objects[n++] = segment[i]!;
  }
  return objects;
}

/** concatenate(a) and concatenate(b) hold the same objects in the same order (a segment found in both at one place is skipped whole). */
function sameConcatenation(a: readonly (readonly KubeObject[])[], b: readonly (readonly KubeObject[])[]): boolean {
  let i = 0;
  let j = 0;
  let x = 0;
  let y = 0;
  for (;;) {
    while (i < a.length && x === a[i]!.length) (i++, (x = 0));
    while (j < b.length && y === b[j]!.length) (j++, (y = 0));
    if (i === a.length || j === b.length) return i === a.length && j === b.length;
    const sa = a[i]!;
    const sb = b[j]!;
    if (x === 0 && y === 0 && sa === sb) {
      x = sa.length;
      y = sb.length;
    } else if (sa[x++] !== sb[y++]) return false;
  }
}

function compareDefinitions(a: { file: string; index: number }, b: { file: string; index: number }): number {
  return compareStrings(a.file, b.file) || a.index - b.index;
}

const TOP_LEVEL = new Set(['apiVersion', 'kind', 'metadata']);
const SERVER_METADATA = new Set(['uid', 'generation', 'resourceVersion']);

/** Everything but kind and the metadata we set is the same (a new resourceVersion otherwise). */
function sameContent(a: KubeObject, b: KubeObject): boolean {
  return canonicalEqual(a.apiVersion, b.apiVersion) && equalExcept(a, b, TOP_LEVEL) && equalExcept(a.metadata, b.metadata, SERVER_METADATA);
}

/** `spec` (for kinds without one: everything but apiVersion, kind and metadata) is the same. */
function sameSpec(a: KubeObject, b: KubeObject): boolean {
  const aSpec = 'spec' in a;
  const bSpec = 'spec' in b;
  if (aSpec && bSpec) return canonicalEqual((a as { spec?: unknown }).spec, (b as { spec?: unknown }).spec);
  if (!aSpec && !bSpec) return equalExcept(a, b, TOP_LEVEL);
  const rest = (o: KubeObject): unknown => ('spec' in o ? (o as { spec?: unknown }).spec : Object.fromEntries(Object.entries(o).filter(([k]) => !TOP_LEVEL.has(k))));
  return canonicalEqual(rest(a), rest(b));
}

const own = Object.prototype.hasOwnProperty;

/** `target[key] = value` as an own data property, as spreading would make it (also for `__proto__`). */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function isSynthesized(o: KubeObject): boolean {
  return o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
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
  readonly #files = new Map<string, FileState>();
  /** The files, sorted. */
  #order: string[] = [];
  /** Per identity key: its definitions in file order; the first one is served. */
  readonly #definitions = new Map<string, Definition[]>();
  /** The identity keys with more than one definition. */
  readonly #duplicates = new Set<string>();
  #duplicateIssues: LoadIssue[] = [];
  /** Synthesized static EndpointSlices (outputs, identity keys) and the problems found making them. */
  #slices: KubeObject[] = [];
  #sliceKeys = new Set<string>();
  #staticIssues: LoadIssue[] = [];
  readonly #tracked = new Map<string, Tracked>();
  #resourceVersion = 0;
  /**
   * What the last load served, as the output arrays of the files serving something, in file
   * order, then the slices (these arrays are never changed: a file's `out` is replaced); how
   * many objects in all; its snapshot (made when first asked for).
   */
  #lastSegments: readonly (readonly KubeObject[])[] = [];
  #lastCount = 0;
  #lastSnapshot: (() => Snapshot) | null = null;
  #lastIssues: LoadIssue[] | null = null;
  /** The duplicate and static endpoint issues of the last load, as JSON. */
  #lastMergeIssues = '[]';
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
    const run = this.#queue.then(() =>
      this.#load(changed ?? null).catch((err: unknown) => {
        // Files and merge may disagree now: the next load rebuilds everything.
        this.#lastIssues = null;
        throw err;
      }),
    );
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #load(changed: ReadonlySet<string> | null): Promise<FileSourceLoad> {
    /** The files whose state this load replaced or removed, with the state before. */
    const before = new Map<string, FileState | undefined>();
    let full = changed === null || this.#lastIssues === null;
    let change: OutputChange | null = null;
    if (!full) {
      for (const file of [...(changed as ReadonlySet<string>)].sort(compareStrings)) {
        if (!isManifestPath(file)) continue;
        if ((await this.#refresh(file, true, before)) === 'directory') {
          full = true;
          break;
        }
      }
    }
    if (full) {
      const files = await listManifestFiles(this.#dir);
      for (const file of files) await this.#refresh(file, false, before);
      const listed = new Set(files);
      for (const [file, state] of this.#files) {
        if (listed.has(file)) continue;
        if (!before.has(file)) before.set(file, state);
        this.#files.delete(file);
      }
      this.#order = files.filter((f) => this.#files.has(f));
      this.#rebuild();
    } else {
      for (const file of before.keys()) {
        const at = sortedIndex(this.#order, file);
        const listed = this.#order[at] === file;
        if (this.#files.has(file) && !listed) this.#order.splice(at, 0, file);
        else if (!this.#files.has(file) && listed) this.#order.splice(at, 1);
      }
      change = this.#update(before);
    }

    // The objects served are the outputs of the files in order, then the slices: held as those
    // arrays (one per file serving something) and put together only when someone reads them.
    const order = this.#order;
    const slices = this.#slices;
    let parts = slices.length > 0 ? 1 : 0;
    let count = slices.length;
    for (let f = 0; f < order.length; f++) {
      const n = this.#files.get(order[f]!)!.out.length;
      if (n > 0) (parts++, (count += n));
    }
    const segments: KubeObject[][] = new Array(parts);
    const issues: LoadIssue[] = [];
    let s = 0;
    for (let f = 0; f < order.length; f++) {
      const state = this.#files.get(order[f]!)!;
      if (state.out.length > 0) segments[s++] = state.out;
      for (let i = 0; i < state.issues.length; i++) issues.push(state.issues[i]!);
    }
    if (slices.length > 0) segments[s++] = slices;
    for (let i = 0; i < this.#duplicateIssues.length; i++) issues.push(this.#duplicateIssues[i]!);
    for (let i = 0; i < this.#staticIssues.length; i++) issues.push(this.#staticIssues[i]!);

    let same = this.#sameIssues(before, issues) && this.#lastIssues !== null && this.#lastCount === count;
    if (change !== null && (change.removed.size > 0 || change.added.size > 0)) same = false;
    if (same) same = sameConcatenation(this.#lastSegments, segments);

    let objects: KubeObject[] | null = null;
    let snapshot: Snapshot | null = null;
    const materialize = (): KubeObject[] => {
      objects ??= concatenate(segments, count);
      return objects;
    };
    const prevSnapshot = this.#lastSnapshot;
    if (change !== null && prevSnapshot !== null) {
      // The snapshot of what is served, kept up to date here instead of sorted again from all
      // objects for every change.
      snapshot = updateSnapshot(prevSnapshot(), materialize, change.removed, change.added);
    }
    const snapshotOf = (): Snapshot => (snapshot ??= buildSnapshot(materialize()));
    this.#lastSegments = segments;
    this.#lastCount = count;
    this.#lastSnapshot = snapshotOf;
    this.#lastIssues = issues;
    return {
      get objects(): KubeObject[] {
        return materialize();
      },
      issues,
      changed: !same,
      get snapshot(): Snapshot {
        return snapshotOf();
      },
      count,
    };
  }

  /**
   * The issues are what the previous load returned. Issues name their file, so when every
   * file read again has the same issues as before, and the merge issues are the same, so is
   * the whole list; otherwise the lists are compared.
   */
  #sameIssues(before: ReadonlyMap<string, FileState | undefined>, issues: readonly LoadIssue[]): boolean {
    const text = (list: readonly LoadIssue[] | undefined): string => JSON.stringify(list ?? []);
    const merge = text([...this.#duplicateIssues, ...this.#staticIssues]);
    let same = merge === this.#lastMergeIssues;
    this.#lastMergeIssues = merge;
    for (const [file, state] of before) if (same) same = text(state?.issues) === text(this.#files.get(file)?.issues);
    return same || (this.#lastIssues !== null && text(this.#lastIssues) === text(issues));
  }

  /**
   * Reads one file again and updates its state, noting the state before in `before`. `gone`: a
   * file that disappeared is forgotten (a full load only reads listed files; one removed
   * between listing and reading keeps its last good objects until the next load, as an editor
   * deleting and re-creating it would want). Returns 'directory' when the path is a directory.
   */
  async #refresh(file: string, incremental: boolean, before: Map<string, FileState | undefined>): Promise<'ok' | 'directory'> {
    const state = this.#files.get(file);
    const read = await readSettled(this.#dir, file, (state?.text ?? '') !== '', this.#settle);
    if ('directory' in read) return 'directory';
    const replace = (next: FileState | undefined): void => {
      if (!before.has(file)) before.set(file, state);
      if (next === undefined) this.#files.delete(file);
      else this.#files.set(file, next);
    };
    if ('gone' in read) {
      if (incremental && state !== undefined) replace(undefined);
      return 'ok';
    }
    if ('issue' in read) {
      // Unreadable: keep the last good objects, report why.
      replace({ text: null, objects: state?.objects ?? [], keys: state?.keys ?? [], issues: [read.issue], cacheEntries: state?.cacheEntries ?? [], out: state?.out ?? [] });
      return 'ok';
    }
    if (state !== undefined && state.text === read.text) return 'ok';
    const load = loadText(file, read.text);
    if (load.syntaxError) {
      replace({ text: read.text, objects: state?.objects ?? [], keys: state?.keys ?? [], issues: load.issues, cacheEntries: state?.cacheEntries ?? [], out: state?.out ?? [] });
      return 'ok';
    }
    const objects = [...load.objects];
    const keys = objects.map((lo) => objectIdentityKey(lo.object));
    if (load.rejected.length > 0) {
      const have = new Set(keys);
      for (const id of load.rejected) {
        const key = this.#rejectedKey(id);
        const prev = key && !have.has(key) ? this.#served(key) : undefined;
        if (prev && key) {
          objects.push(prev);
          keys.push(key);
          have.add(key);
        }
      }
    }
    replace({ text: read.text, objects, keys, issues: load.issues, cacheEntries: load.cacheEntries, out: [] });
    return 'ok';
  }

  /** What the last load served for a key (synthesized objects are derived, not remembered as last good). */
  #served(key: string): LoadedObject | undefined {
    const lo = this.#definitions.get(key)?.[0]?.lo;
    return lo !== undefined && !isSynthesized(lo.object) ? lo : undefined;
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

  /** Recomputes the merge from every file. */
  #rebuild(): void {
    this.#definitions.clear();
    this.#duplicates.clear();
    for (const file of this.#order) {
      const state = this.#files.get(file)!;
      state.objects.forEach((lo, index) => this.#define(state.keys[index]!, { file, index, lo }));
    }
    for (const file of this.#order) this.#serve(file);
    this.#synthesize();
    this.#duplicateIssues = this.#listDuplicates();
    for (const key of [...this.#tracked.keys()]) if (!this.#isServed(key)) this.#tracked.delete(key);
  }

  /**
   * Updates the merge for the files in `before`: the keys they defined or define now, and the
   * files that served or serve those keys.
   */
  #update(before: ReadonlyMap<string, FileState | undefined>): OutputChange {
    const affected = new Set<string>();
    const files = new Set<string>();
    const note = (key: string): void => {
      if (affected.has(key)) return;
      affected.add(key);
      const served = this.#definitions.get(key)?.[0];
      if (served !== undefined) files.add(served.file);
    };
    for (const [file, old] of before) {
      const now = this.#files.get(file);
      if (now !== undefined) files.add(file);
      if (old?.objects === now?.objects) continue;
      if (old !== undefined) {
        old.keys.forEach((key, index) => {
          note(key);
          const list = this.#definitions.get(key) ?? [];
          const at = list.findIndex((d) => d.file === file && d.index === index);
          if (at !== -1) list.splice(at, 1);
          if (list.length === 0) this.#definitions.delete(key);
        });
      }
      now?.objects.forEach((lo, index) => {
        const key = now.keys[index]!;
        note(key);
        this.#define(key, { file, index, lo });
      });
    }
    let slices = false;
    let duplicates = this.#duplicates.size > 0;
    for (const key of affected) {
      const list = this.#definitions.get(key);
      if (list !== undefined) files.add(list[0]!.file);
      if (list !== undefined && list.length > 1) this.#duplicates.add(key);
      else this.#duplicates.delete(key);
      if (key.startsWith('Service/') || key.startsWith('EndpointSlice/')) slices = true;
    }
    // What stopped and started being served: each output object is served by at most one
    // file (or is a slice) before and after, so one that only moved cancels out.
    const change: OutputChange = { removed: new Set(), added: new Set() };
    const noteServed = (old: readonly KubeObject[], now: readonly KubeObject[]): void => {
      if (old === now) return;
      for (const o of old) if (!change.added.delete(o)) change.removed.add(o);
      for (const o of now) if (!change.removed.delete(o)) change.added.add(o);
    };
    for (const [file, old] of before) if (!this.#files.has(file)) noteServed(old?.out ?? [], []);
    // Outputs in file order, then the slices, so new resourceVersions are handed out in the
    // order a full load hands them out.
    for (const file of [...files].sort(compareStrings)) {
      const state = this.#files.get(file);
      if (state === undefined) continue;
      const old = before.has(file) ? (before.get(file)?.out ?? []) : state.out;
      this.#serve(file);
      noteServed(old, state.out);
    }
    const oldSliceKeys = this.#sliceKeys;
    const oldSlices = this.#slices;
    if (slices) this.#synthesize();
    noteServed(oldSlices, this.#slices);
    if (duplicates || this.#duplicates.size > 0) this.#duplicateIssues = this.#listDuplicates();
    for (const key of affected) if (!this.#isServed(key)) this.#tracked.delete(key);
    if (slices) for (const key of oldSliceKeys) if (!this.#isServed(key)) this.#tracked.delete(key);
    return change;
  }

  /** Adds a definition of `key`, in file order. */
  #define(key: string, def: Definition): void {
    const list = this.#definitions.get(key);
    if (list === undefined) {
      this.#definitions.set(key, [def]);
      return;
    }
    let at = list.length;
    while (at > 0 && compareDefinitions(list[at - 1]!, def) > 0) at--;
    list.splice(at, 0, def);
    this.#duplicates.add(key);
  }

  /** Whether the last merge serves `key` (a file's object or a synthesized slice). */
  #isServed(key: string): boolean {
    return this.#definitions.has(key) || this.#sliceKeys.has(key);
  }

  /** Recomputes the outputs a file serves: its objects that are the first definition of their key. */
  #serve(file: string): void {
    const state = this.#files.get(file)!;
    const out: KubeObject[] = [];
    state.objects.forEach((lo, index) => {
      const key = state.keys[index]!;
      const first = this.#definitions.get(key)![0]!;
      if (first.file === file && first.index === index) out.push(this.#output(key, lo.object));
    });
    state.out = out;
  }

  /** The duplicate issues: every definition of a key after the first, in file order. */
  #listDuplicates(): LoadIssue[] {
    const found: { def: Definition; issue: LoadIssue }[] = [];
    for (const key of this.#duplicates) {
      const [first, ...rest] = this.#definitions.get(key)!;
      for (const def of rest) found.push({ def, issue: duplicateIssue(def.lo, first!.lo) });
    }
    return found.sort((a, b) => compareDefinitions(a.def, b.def)).map((f) => f.issue);
  }

  /** Recomputes the static EndpointSlices of the served Services (and their outputs). */
  #synthesize(): void {
    const kept: LoadedObject[] = [];
    for (const file of this.#order) {
      const state = this.#files.get(file)!;
      state.objects.forEach((lo, index) => {
        const kind = lo.object.kind;
        if (kind !== 'Service' && kind !== 'EndpointSlice') return;
        const first = this.#definitions.get(state.keys[index]!)![0]!;
        if (first.file === file && first.index === index) kept.push(lo);
      });
    }
    const origin = new Map<KubeObject, LoadedObject>(kept.map((lo) => [lo.object, lo]));
    const statics = synthesizeStaticEndpoints(kept.map((lo) => lo.object));
    this.#staticIssues = [];
    for (const p of statics.problems) {
      const lo = origin.get(p.service);
      if (lo) this.#staticIssues.push({ ...issueBase(lo), path: p.path, message: p.message, severity: p.severity });
    }
    this.#slices = statics.slices.map((slice) => this.#output(objectIdentityKey(slice), slice));
    this.#sliceKeys = new Set(statics.slices.map(objectIdentityKey));
  }

  /**
   * The object served for `obj` with API-server metadata, tracked across loads. An object
   * served before from the same source object (or with the same content) is returned as the
   * very same output object.
   */
  #output(key: string, obj: KubeObject): KubeObject {
    const prev = this.#tracked.get(key);
    if (prev !== undefined) {
      if (prev.source === obj) return prev.out;
      if (sameContent(prev.source, obj)) {
        prev.source = obj;
        return prev.out;
      }
    }
    const { metadata } = obj;
    const created = metadata.creationTimestamp ?? (prev !== undefined ? prev.created : this.#clock().toISOString());
    const generation = prev === undefined ? 1 : sameSpec(prev.source, obj) ? prev.generation : prev.generation + 1;
    // The document's metadata but ours, then ours (a creationTimestamp it sets keeps its place);
    // apiVersion, kind, metadata, then the rest in the document's order. Copied key by key: no
    // intermediate copies.
    const meta: Record<string, unknown> = {};
    for (const k in metadata) if (own.call(metadata, k) && !SERVER_METADATA.has(k)) define(meta, k, (metadata as unknown as Record<string, unknown>)[k]);
    meta.uid = prev !== undefined ? prev.out.metadata.uid : deterministicUid(obj.kind, metadata.namespace, metadata.name);
    meta.generation = generation;
    meta.resourceVersion = String(++this.#resourceVersion);
    meta.creationTimestamp = created;
    const out: Record<string, unknown> = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: meta };
    for (const k in obj) if (own.call(obj, k) && !TOP_LEVEL.has(k)) define(out, k, (obj as unknown as Record<string, unknown>)[k]);
    this.#tracked.set(key, { source: obj, out: out as unknown as KubeObject, created, generation });
    return out as unknown as KubeObject;
  }
}
