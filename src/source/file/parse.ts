/**
 * Text → documents: multi-document YAML (JSON is YAML too), empty documents skipped,
 * `kind: List` documents expanded into their items.
 */
import { parseAllDocuments } from 'yaml';

/** One object-to-be found in a file. */
export interface ParsedDocument {
  /** 1-based index of the YAML document within the file. */
  readonly document: number;
  /** For an item of a `List` document, its path inside that document (`items[2]`); else `''`. */
  readonly pathPrefix: string;
  readonly value: unknown;
  /**
   * The YAML text of the document, which alone determines `value` (a cache key); absent when
   * the file has directive lines (`%TAG`), which make a document depend on more than its text.
   */
  readonly source?: string;
}

/** A YAML problem with its position. */
export interface ParseProblem {
  readonly document: number;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

export interface ParsedFile {
  readonly documents: ParsedDocument[];
  readonly problems: ParseProblem[];
  /** True when any document has a syntax error: the file as a whole is not trusted. */
  readonly syntaxError: boolean;
}

function describeYamlError(e: { message: string; linePos?: [{ line: number; col: number }, ...unknown[]] }): string {
  const head = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?\s*$/, '');
  const pos = e.linePos?.[0];
  return pos ? `YAML syntax error at line ${pos.line}, column ${pos.col}: ${head}` : `YAML syntax error: ${head}`;
}

function isListKind(v: unknown): v is { kind: string; items: unknown[] } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as { kind?: unknown; items?: unknown };
  return typeof o.kind === 'string' && (o.kind === 'List' || (o.kind.endsWith('List') && Array.isArray(o.items)));
}

/** Parses the text of one manifest file. Never throws. */
export function parseManifests(text: string): ParsedFile {
  const documents: ParsedDocument[] = [];
  const problems: ParseProblem[] = [];
  let syntaxError = false;
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const directives = /^%/m.test(text);
  list.forEach((doc, i) => {
    const index = i + 1;
    for (const e of doc.errors) {
      syntaxError = true;
      problems.push({ document: index, message: describeYamlError(e as never), severity: 'error' });
    }
    for (const w of doc.warnings) problems.push({ document: index, message: describeYamlError(w as never).replace('syntax error', 'warning'), severity: 'warning' });
    if (doc.errors.length > 0 || doc.contents === null) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      syntaxError = true;
      problems.push({ document: index, message: `YAML error: ${err instanceof Error ? err.message : String(err)}`, severity: 'error' });
      return;
    }
    if (value === null || value === undefined) return;
    const source = directives || doc.range === undefined ? undefined : text.slice(doc.range[0], doc.range[2]);
    const at = (pathPrefix: string, v: unknown): ParsedDocument =>
      source === undefined ? { document: index, pathPrefix, value: v } : { document: index, pathPrefix, value: v, source };
    if (isListKind(value)) {
      const items = Array.isArray(value.items) ? value.items : [];
      items.forEach((item, j) => documents.push(at(`items[${j}]`, item)));
      return;
    }
    documents.push(at('', value));
  });
  return { documents, problems, syntaxError };
}
