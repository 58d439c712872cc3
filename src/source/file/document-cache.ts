/**
 * The one cache of per-document work, keyed by the text of a YAML document (which alone
 * determines its value when the file has no directive lines): the value the fast YAML path
 * parsed from it (./parse.ts) and the validated, defaulted objects made from it (./load.ts).
 * A changed file whose other documents are unchanged costs a parse and a validation of the
 * changed documents only. A parsed value is validated and defaulted in place by the first
 * normalization of its item (./document.ts), which fills `normalized` in the same entry, so no
 * one sees it half way: afterwards it is the served object, and neither is mutated again.
 *
 * Entries are held weakly: an entry stays while someone holds it (FileSource holds those of
 * the documents of the files it serves: ./load.ts FileLoad.cacheEntries) and until the garbage
 * collector takes it otherwise. Held strongly, every document text ever read stayed (~5 KB each
 * for a route, with its parsed and validated values): under churn, hundreds of MB of dead
 * documents for every major GC to mark. Texts whose entries were collected are forgotten (a
 * finalizer, and a sweep past DOCUMENT_CACHE_SWEEP texts).
 */
import type { NormalizedDocument } from './document.js';

/** One object-to-be of a document: the document itself (`''`) or an item of a List (`items[2]`). */
export interface ParsedItem {
  readonly pathPrefix: string;
  readonly value: unknown;
}

export interface DocumentCacheEntry {
  /** What the fast YAML path parsed from the text (List items expanded); unset otherwise. */
  parsed: readonly ParsedItem[] | undefined;
  /**
   * Validation results by item path (normalizedItem): the document's own (path `''`, the usual
   * case, held without a Map: there is one entry per served document) or those of its List items.
   */
  normalized: NormalizedDocument | Map<string, NormalizedDocument> | undefined;
}

/** The validation result of the item at `path` (`''`: the document itself), if there is one. */
export function normalizedItem(entry: DocumentCacheEntry, path: string): NormalizedDocument | undefined {
  const n = entry.normalized;
  if (n instanceof Map) return n.get(path);
  return path === '' ? n : undefined;
}

/** Records the validation result of the item at `path`. */
export function setNormalizedItem(entry: DocumentCacheEntry, path: string, result: NormalizedDocument): void {
  const n = entry.normalized;
  if (n instanceof Map) n.set(path, result);
  else if (path === '' && n === undefined) entry.normalized = result;
  else entry.normalized = new Map<string, NormalizedDocument>(n === undefined ? [[path, result]] : [['', n], [path, result]]);
}

const entries = new Map<string, WeakRef<DocumentCacheEntry>>();

/** Forgets the text of an entry the garbage collector took (unless it has a new one since). */
const collected = new FinalizationRegistry<string>((source) => {
  if (entries.get(source)?.deref() === undefined) entries.delete(source);
});

/**
 * Past this many texts (at least), the cache forgets those whose entries the garbage collector
 * took before the finalizer did. An entry someone holds is never dropped: a document text always
 * finds its live entry again, so a parsed value is normalized in place once (./load.ts), in the
 * entry that parsed it.
 */
export const DOCUMENT_CACHE_SWEEP = 50_000;

/** The size at which the next sweep runs: twice what the last one kept, so sweeps stay rare. */
let sweepAt = DOCUMENT_CACHE_SWEEP;

/** The entry for a document text, if there is one. */
export function cachedDocument(source: string): DocumentCacheEntry | undefined {
  return entries.get(source)?.deref();
}

/** The entry for a document text, made empty if there is none. */
export function documentCacheEntry(source: string): DocumentCacheEntry {
  let entry = entries.get(source)?.deref();
  if (entry === undefined) {
    if (entries.size >= sweepAt) {
      for (const [text, ref] of entries) if (ref.deref() === undefined) entries.delete(text);
      sweepAt = Math.max(DOCUMENT_CACHE_SWEEP, 2 * entries.size);
    }
    entry = { parsed: undefined, normalized: undefined };
    entries.set(source, new WeakRef(entry));
    collected.register(entry, source);
  }
  return entry;
}
