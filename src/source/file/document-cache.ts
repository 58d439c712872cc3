/**
 * The one cache of per-document work, keyed by the text of a YAML document (which alone
 * determines its value when the file has no directive lines): the value the fast YAML path
 * parsed from it (./parse.ts) and the validated, defaulted objects made from it (./load.ts).
 * A changed file whose other documents are unchanged costs a parse and a validation of the
 * changed documents only. Entries and the values in them are never mutated after being filled.
 * Bounded: cleared when it grows past DOCUMENT_CACHE_MAX entries.
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

const entries = new Map<string, DocumentCacheEntry>();

/** Past this many documents the cache starts over. */
export const DOCUMENT_CACHE_MAX = 50_000;

/** The entry for a document text, if there is one. */
export function cachedDocument(source: string): DocumentCacheEntry | undefined {
  return entries.get(source);
}

/** The entry for a document text, made empty if there is none. */
export function documentCacheEntry(source: string): DocumentCacheEntry {
  let entry = entries.get(source);
  if (entry === undefined) {
    if (entries.size >= DOCUMENT_CACHE_MAX) entries.clear();
    entry = { parsed: undefined, normalized: new Map() };
    entries.set(source, entry);
  }
  return entry;
}
