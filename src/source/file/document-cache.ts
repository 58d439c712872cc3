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
 * documents for every major GC to mark. Bounded too: cleared past DOCUMENT_CACHE_MAX entries.
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
  /** Validation results by item path. */
  readonly normalized: Map<string, NormalizedDocument>;
}

const entries = new Map<string, WeakRef<DocumentCacheEntry>>();

/** Forgets the text of an entry the garbage collector took (unless it has a new one since). */
const collected = new FinalizationRegistry<string>((source) => {
  if (entries.get(source)?.deref() === undefined) entries.delete(source);
});

/** Past this many documents the cache starts over. */
export const DOCUMENT_CACHE_MAX = 50_000;

/** The entry for a document text, if there is one. */
export function cachedDocument(source: string): DocumentCacheEntry | undefined {
  return entries.get(source)?.deref();
}

/** The entry for a document text, made empty if there is none. */
export function documentCacheEntry(source: string): DocumentCacheEntry {
  let entry = entries.get(source)?.deref();
  if (entry === undefined) {
    if (entries.size >= DOCUMENT_CACHE_MAX) entries.clear();
    entry = { parsed: undefined, normalized: new Map() };
    entries.set(source, new WeakRef(entry));
    collected.register(entry, source);
  }
  return entry;
}

/** The entry each parsed item value belongs to (cacheParsed). */
const owners = new WeakMap<object, DocumentCacheEntry>();

/** Records what the fast YAML path parsed from a document text, in its entry. */
export function cacheParsed(source: string, items: readonly ParsedItem[]): void {
  const entry = documentCacheEntry(source);
  entry.parsed = items;
  for (const { value } of items) if (typeof value === 'object' && value !== null) owners.set(value, entry);
}

/**
 * The entry whose `parsed` holds `value`, if any: its normalization goes there, even when the
 * cache started over (past DOCUMENT_CACHE_MAX) after the value was read, so that a value
 * normalized in place is never normalized again (./load.ts normalizeCached).
 */
export function parsedOwner(value: unknown): DocumentCacheEntry | undefined {
  return typeof value === 'object' && value !== null ? owners.get(value) : undefined;
}
