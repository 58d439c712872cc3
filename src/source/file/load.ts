/**
 * Loading a directory of Kubernetes manifests: every `.yaml`, `.yml` and `.json` file under it
 * (recursively, sorted, dot-files and dot-directories skipped), each document validated and
 * defaulted (./document.ts). A bad document becomes a LoadIssue and is left out; everything
 * else is still loaded. Stateless; ./file-source.ts adds last-good and API-server metadata.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeObject } from '../../api/types.js';
import { identityKey, objectKey } from '../snapshot.js';
import { normalizeDocument, type NormalizedDocument, type ObjectIdentity } from './document.js';
import { documentCacheEntry, normalizedItem, setNormalizedItem } from './document-cache.js';
import type { LoadIssue } from './issues.js';
import { parseManifests, type ParsedDocument } from './parse.js';
import { synthesizeStaticEndpoints } from './static-endpoints.js';

export { formatIssue, type LoadIssue } from './issues.js';

/** An object together with where it came from. */
export interface LoadedObject {
  readonly object: KubeObject;
  readonly file: string;
  readonly document: number;
}

/** What one file yielded. */
export interface FileLoad {
  readonly file: string;
  readonly objects: LoadedObject[];
  readonly issues: LoadIssue[];
  /** The file has a YAML syntax error: none of its documents were used. */
  readonly syntaxError: boolean;
  /** Documents that were rejected, by identity (for keeping their last good version). */
  readonly rejected: ObjectIdentity[];
  /**
   * The document cache entries of the file's documents (./document-cache.ts holds them weakly):
   * whoever keeps these keeps the documents cached for the file's next read.
   */
  readonly cacheEntries: readonly object[];
}

/** The objects to serve and the issues found. */
export interface LoadResult {
  readonly objects: KubeObject[];
  readonly issues: LoadIssue[];
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** Relative paths (with `/`) of every manifest file under `dir`, sorted. */
export async function listManifestFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const visited = new Set<string>();
  async function visit(abs: string, rel: string): Promise<void> {
    let real: string;
    try {
      real = await realpath(abs);
    } catch {
      return;
    }
    if (visited.has(real)) return; // symlink loops
    visited.add(real);
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const childAbs = join(abs, e.name);
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const s = await stat(childAbs).catch(() => null);
        isDir = s?.isDirectory() ?? false;
        isFile = s?.isFile() ?? false;
      }
      if (isDir) await visit(childAbs, childRel);
      else if (isFile && MANIFEST_EXT.test(e.name)) out.push(childRel);
    }
  }
  await visit(dir, '');
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Validates a document, once per document text and List item path (./document-cache.ts), so
 * the unchanged documents of a changed file are not validated again (nor, in FileSource,
 * hashed: the same object comes back). Results are never mutated by their users. The parsed
 * value is normalized in place (normalizeDocument takes it over): it belongs to this cache
 * entry, whose `normalized` map is filled in the same step. The entry found here is the one the
 * parse filled: a live entry is never dropped, and the parse's WeakRef keeps it alive until this
 * synchronous load ends.
 */
function normalizeCached(doc: ParsedDocument, held: object[]): NormalizedDocument {
  if (doc.source === undefined) return normalizeDocument(doc.value);
  const entry = documentCacheEntry(doc.source);
  if (held[held.length - 1] !== entry) held.push(entry);
  let n = normalizedItem(entry, doc.pathPrefix);
  if (n === undefined) {
    n = normalizeDocument(doc.value);
    setNormalizedItem(entry, doc.pathPrefix, n);
  }
  return n;
}

/** Parses, validates and defaults the documents of one file. Pure. */
export function loadText(file: string, text: string): FileLoad {
  const parsed = parseManifests(text);
  const issues: LoadIssue[] = [];
  const objects: LoadedObject[] = [];
  const rejected: ObjectIdentity[] = [];
  const cacheEntries: object[] = [];
  const anonymous = { kind: null, name: null, namespace: null };
  for (const p of parsed.problems) issues.push({ file, document: p.document, ...anonymous, path: '', message: p.message, severity: p.severity });
  if (parsed.syntaxError) return { file, objects, issues, syntaxError: true, rejected, cacheEntries };
  for (const doc of parsed.documents) {
    const n = normalizeCached(doc, cacheEntries);
    for (const i of n.issues) {
      const path = doc.pathPrefix && i.path ? `${doc.pathPrefix}.${i.path}` : doc.pathPrefix || i.path;
      issues.push({ file, document: doc.document, ...n.identity, path, message: i.message, severity: i.severity });
    }
    if (n.object) objects.push({ object: n.object, file, document: doc.document });
    else if (!n.unsupported) rejected.push(n.identity);
  }
  return { file, objects, issues, syntaxError: false, rejected, cacheEntries };
}

/** The identity key of a loaded object (snapshot.ts identityKey). */
export function objectIdentityKey(o: KubeObject): string {
  return identityKey(o.kind, o.metadata.namespace, o.metadata.name);
}

/**
 * Merges per-file objects: a second object with the same kind/namespace/name is an issue and
 * left out (the first one is kept). Then synthesizes static EndpointSlices.
 */
function mergeLoaded(objects: readonly LoadedObject[]): { objects: LoadedObject[]; issues: LoadIssue[] } {
  const issues: LoadIssue[] = [];
  const kept: LoadedObject[] = [];
  const first = new Map<string, LoadedObject>();
  for (const lo of objects) {
    const key = objectIdentityKey(lo.object);
    const prev = first.get(key);
    if (prev) {
      issues.push(duplicateIssue(lo, prev));
      continue;
    }
    first.set(key, lo);
    kept.push(lo);
  }
  const origin = new Map<KubeObject, LoadedObject>(kept.map((lo) => [lo.object, lo]));
  const statics = synthesizeStaticEndpoints(kept.map((lo) => lo.object));
  for (const p of statics.problems) {
    const lo = origin.get(p.service);
    if (lo) issues.push({ ...issueBase(lo), path: p.path, message: p.message, severity: p.severity });
  }
  for (const slice of statics.slices) {
    const svc = kept.find((lo) => lo.object.kind === 'Service' && lo.object.metadata.namespace === slice.metadata.namespace && lo.object.metadata.name === slice.metadata.labels?.['kubernetes.io/service-name']);
    kept.push({ object: slice, file: svc?.file ?? '', document: svc?.document ?? 0 });
  }
  return { objects: kept, issues };
}

/** The fields of an issue about a loaded object that say where it is and what it is. */
export function issueBase(lo: LoadedObject): Pick<LoadIssue, 'file' | 'document' | 'kind' | 'name' | 'namespace'> {
  return { file: lo.file, document: lo.document, kind: lo.object.kind, name: lo.object.metadata.name, namespace: lo.object.metadata.namespace ?? null };
}

/** The issue for `lo`, a second definition of the object `first` defines (`lo` is ignored). */
export function duplicateIssue(lo: LoadedObject, first: LoadedObject): LoadIssue {
  const message = `duplicate ${lo.object.kind} ${objectKey(lo.object)}: already defined in ${first.file} document ${first.document}; this one is ignored`;
  return { ...issueBase(lo), path: '', message, severity: 'error' };
}

/** Loads a set of in-memory files (name → text), in the given order. Pure. */
export function loadTexts(files: readonly { file: string; text: string }[]): LoadResult {
  const loads = files.map((f) => loadText(f.file, f.text));
  const merged = mergeLoaded(loads.flatMap((l) => l.objects));
  return { objects: merged.objects.map((lo) => lo.object), issues: [...loads.flatMap((l) => l.issues), ...merged.issues] };
}

/** Reads one file; an unreadable file is an issue, not an exception. */
async function readManifest(dir: string, file: string): Promise<{ text: string } | { issue: LoadIssue } | { gone: true }> {
  try {
    return { text: await readFile(join(dir, file), 'utf8') };
  } catch (err) {
    // Removed between listing and reading (an editor deleting and re-creating it).
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { gone: true };
    const message = `cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
    return { issue: { file, document: 0, kind: null, name: null, namespace: null, path: '', message, severity: 'error' } };
  }
}

/**
 * Loads every manifest under `dir` once, statelessly (no last-good, no generated metadata):
 * what `waygate validate` needs. Throws only if `dir` itself cannot be read.
 */
export async function loadDirectory(dir: string): Promise<LoadResult> {
  await stat(dir);
  const files: { file: string; text: string }[] = [];
  const readIssues: LoadIssue[] = [];
  for (const file of await listManifestFiles(dir)) {
    const r = await readManifest(dir, file);
    if ('text' in r) files.push({ file, text: r.text });
    else if ('issue' in r) readIssues.push(r.issue);
  }
  const result = loadTexts(files);
  return { objects: result.objects, issues: [...readIssues, ...result.issues] };
}
