/**
 * Text → documents: multi-document YAML (JSON is YAML too), empty documents skipped,
 * `kind: List` documents expanded into their items.
 *
 * Two parsers give the same result. `yaml` is the reference: all of YAML 1.2, error messages with
 * positions, a limit on alias expansion. The fast path splits the file at its document markers
 * and parses each document that was not seen before with js-yaml (about ten times faster), using
 * the same core schema; it takes only files and documents made of the plain YAML that manifests
 * are written in, and hands any other file (and any file in which js-yaml finds an error) to
 * `yaml` as a whole, so problems and their messages stay the reference's. parse.test.ts proves
 * the two equal on every manifest in the repository and on a list of tricky documents.
 */
import jsyaml from 'js-yaml';
import { parseAllDocuments } from 'yaml';
import { cachedDocument, documentCacheEntry, type ParsedItem } from './document-cache.js';
import { parseBlockYaml } from './yaml-block.js';

/** One object-to-be found in a file. */
export interface ParsedDocument {
  /** 1-based index of the YAML document within the file. */
  readonly document: number;
  /** For an item of a `List` document, its path inside that document (`items[2]`); else `''`. */
  readonly pathPrefix: string;
  readonly value: unknown;
  /**
   * The YAML text of the document, from its start to the next document (see splitDocuments),
   * which alone determines `value` (a cache key); absent when the file has directive lines
   * (`%TAG`), which make a document depend on more than its text.
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

/** A document's value → its objects-to-be: none for an empty document, the items of a List. */
function toItems(value: unknown): ParsedItem[] {
  if (value === null || value === undefined) return [];
  if (isListKind(value)) return (Array.isArray(value.items) ? value.items : []).map((item, j) => ({ pathPrefix: `items[${j}]`, value: item }));
  return [{ pathPrefix: '', value }];
}

/**
 * Parses the text of one manifest file. Never throws. A document seen before comes back as the
 * cached value, which loadText's normalization may already have validated and defaulted in
 * place (./document-cache.ts): for loadText only; a caller wanting the raw YAML value uses
 * parseManifestsWithYaml.
 */
export function parseManifests(text: string): ParsedFile {
  return parseManifestsFast(text) ?? parseManifestsWithYaml(text);
}

/** The reference parser (`yaml`), for every file. Never throws. */
export function parseManifestsWithYaml(text: string): ParsedFile {
  const documents: ParsedDocument[] = [];
  const problems: ParseProblem[] = [];
  let syntaxError = false;
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  // The text of each document as the fast path cuts it (so that both give the same cache
  // keys), when the cuts agree with `yaml`'s documents; none with directive lines.
  const cut = /^%/m.test(text) ? null : splitDocuments(text).spans;
  const spans = cut !== null && cut.length === list.length ? cut : null;
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
    const span = spans?.[i];
    const inSpan = span !== undefined && doc.range !== undefined && doc.range[0] >= span.start && doc.range[2] <= span.end;
    const source = inSpan ? text.slice(span.start, span.end) : undefined;
    for (const { pathPrefix, value: v } of toItems(value)) {
      documents.push(source === undefined ? { document: index, pathPrefix, value: v } : { document: index, pathPrefix, value: v, source });
    }
  });
  return { documents, problems, syntaxError };
}

// ---------------------------------------------------------------------------------------------
// The fast path.

/**
 * The YAML 1.2 core schema as `yaml` resolves plain scalars (yaml/dist/schema/core, common/null):
 * `~`/null/empty, true/false in three spellings, decimal, `0o` and `0x` integers (no sign on
 * those, no `_`, no `0b`), floats incl. `.inf`/`.nan`; everything else (timestamps, yes/on) is a
 * string. js-yaml's own CORE_SCHEMA is YAML 1.1-ish in places (`0b1`, `1_000`, `-0x1` are
 * numbers there, `-.5` a string), so it is not used.
 */
const INT = [/^0o[0-7]+$/, /^[-+]?[0-9]+$/, /^0x[0-9a-fA-F]+$/] as const;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$|^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
// Module constants: a regex literal inside the check would make a RegExp object per call (per key).
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;

function scalarType(tag: string, resolve: (s: string) => boolean, construct: (s: string) => unknown): jsyaml.Type {
  return new jsyaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (s: unknown) => typeof s === 'string' && resolve(s),
    construct,
  });
}

/** A first character a number can have (`0-9+-.`): most plain scalars are words, told apart here without a regex. */
function mayBeNumber(s: string): boolean {
  const c = s.charCodeAt(0);
  return (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
}

export const CORE_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    scalarType('null', (s) => s.length <= 4 && NULL.test(s), () => null),
    scalarType('bool', (s) => (s.length === 4 || s.length === 5) && BOOL.test(s), (s) => s[0] === 't' || s[0] === 'T'),
    scalarType(
      'int',
      (s) => mayBeNumber(s) && (INT[0].test(s) || INT[1].test(s) || INT[2].test(s)),
      (s) => (s[1] === 'o' ? parseInt(s.slice(2), 8) : s[1] === 'x' ? parseInt(s.slice(2), 16) : parseInt(s, 10)),
    ),
    scalarType(
      'float',
      (s) => mayBeNumber(s) && (FLOAT_SPECIAL.test(s) || FLOAT.test(s)),
      (s) => (FLOAT_SPECIAL.test(s) ? (s.endsWith('nan') || s.endsWith('NaN') || s.endsWith('NAN') ? NaN : s[0] === '-' ? -Infinity : Infinity) : parseFloat(s)),
    ),
  ],
});

/**
 * Whole-file reasons for the reference parser: directive lines (`%YAML`, `%TAG`), tabs, a CR
 * that is not part of CRLF, a byte-order mark past the start, control characters, surrogates and
 * non-characters, and `<<` (a merge key in YAML 1.1, a plain key in 1.2: left to the reference).
 */
const UNUSUAL_TEXT = /^%|\t|\r(?!\n)|[\s\S]\ufeff|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]|<</m;

/** A document's text within the file. */
interface Span {
  readonly start: number;
  readonly end: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const HASH = 0x23;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const DASH = 0x2d;
const DOT = 0x2e;

/** `from..to` (a line's rest) holds only spaces and maybe a comment. */
function blankOrComment(text: string, from: number, to: number): boolean {
  let i = from;
  while (i < to && text.charCodeAt(i) === SPACE) i++;
  const c = text.charCodeAt(i);
  return i >= to || c === HASH || c === CR || c === LF;
}

/** A `---` or `...` marker at `pos` (the start of a line): three of `c`, then white space or the end. */
function isMarker(text: string, pos: number, c: number): boolean {
  if (text.charCodeAt(pos + 1) !== c || text.charCodeAt(pos + 2) !== c) return false;
  const after = text.charCodeAt(pos + 3);
  return Number.isNaN(after) || after === SPACE || after === LF || after === CR;
}

/**
 * The documents of a file, numbered as `yaml` numbers them: a document starts at a `---` line,
 * or at the first line that is not blank or a comment while none is open (leading comments are
 * not part of it), and runs to the next `---` line or through a `...` line (a `...` while none
 * is open is an empty document of its own). `---` and `...` at the start of a line and followed
 * by white space always are markers, even inside a quoted or block scalar (YAML 1.2 §9.1.4,
 * c-forbidden). A document's text (its cache key) is its whole span: it holds `yaml`'s range of
 * the document, which may stop short of trailing blank lines. `markerContent`: some marker line
 * carries more than a comment (`--- text`, `--- |`).
 */
function splitDocuments(text: string): { spans: Span[]; markerContent: boolean } {
  const spans: Span[] = [];
  const n = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let open = -1;
  let markerContent = false;
  while (pos < n) {
    const nl = text.indexOf('\n', pos);
    const next = nl === -1 ? n : nl + 1;
    const c = text.charCodeAt(pos);
    if ((c === DASH || c === DOT) && isMarker(text, pos, c)) {
      if (!blankOrComment(text, pos + 3, next)) markerContent = true;
      if (c === DASH) {
        if (open !== -1) spans.push({ start: open, end: pos });
        open = pos;
      } else {
        spans.push(open === -1 ? { start: pos, end: pos } : { start: open, end: next });
        open = -1;
      }
    } else if (open === -1 && !blankOrComment(text, pos, next)) {
      open = pos;
    }
    pos = next;
  }
  if (open !== -1) spans.push({ start: open, end: n });
  return { spans, markerContent };
}

/** The index of the quote closing the one at `i` on the same line, or -1. */
function closingQuote(text: string, i: number, end: number, quote: number): number {
  for (let j = i + 1; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c === LF || c === CR) return -1;
    if (quote === DQUOTE && c === BACKSLASH) {
      const e = text.charCodeAt(j + 1);
      if (e === LF || e === CR) return -1;
      j++;
    } else if (c === quote) {
      if (quote === SQUOTE && text.charCodeAt(j + 1) === SQUOTE) j++;
      else return j;
    }
  }
  return -1;
}

/** `&`, `*`, `!`, `?`, `@`, `` ` ``, `%`: node properties (anchor, alias, tag), explicit keys, reserved. */
function isNodeIndicator(c: number): boolean {
  return c === 0x26 || c === 0x2a || c === 0x21 || c === 0x3f || c === 0x40 || c === 0x60 || c === 0x25;
}

/** Where a node can start: after the start of a line, a space, `[`, `{`, `,` or (JSON-like) `:`. */
function isNodeBoundary(prev: number): boolean {
  return prev === SPACE || prev === LBRACKET || prev === LBRACE || prev === COMMA || prev === COLON;
}

/**
 * The plain YAML the fast path takes, line by line:
 * - No anchor `&a`, alias `*a`, tag `!t`, explicit key `? ` or reserved indicator (`@`, `` ` ``,
 *   `%`) where a node could start. Checked on every character but those of comments, also
 *   inside quoted strings: a false positive only takes the reference path. No anchors means no
 *   aliases, so no alias expansion to limit.
 * - Every flow collection (`[...]`, `{...}`) and quoted scalar ends on the line it starts on
 *   (multi-line ones get indentation warnings and folding rules where the parsers could
 *   differ), no flow collection is a mapping key (`[a, b]: c` is stringified differently), and
 *   no `:` sits 1000 or more characters into a line (`yaml` limits implicit keys to 1024).
 * - No `#` right after a closing quote or bracket (an error for `yaml`, a comment for js-yaml).
 * Quotes are recognised where a quoted scalar can start; a quoted string holding `[]{}#` is not
 * taken, so that the brackets and comments seen outside quotes are exactly the real ones.
 */
function plainLines(text: string, start: number, end: number): boolean {
  let depth = 0;
  let lineStart = start;
  let prev = SPACE;
  let lastNonSpace = SPACE;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) {
      if (depth !== 0) return false;
      lineStart = i + 1;
      prev = SPACE;
      lastNonSpace = SPACE;
      continue;
    }
    if (c === CR) continue;
    if (isNodeIndicator(c) && isNodeBoundary(prev)) return false;
    if ((c === DQUOTE || c === SQUOTE) && isNodeBoundary(prev)) {
      const close = closingQuote(text, i, end, c);
      if (close === -1) return false;
      for (let j = i + 1; j < close; j++) {
        const q = text.charCodeAt(j);
        if (q === LBRACKET || q === RBRACKET || q === LBRACE || q === RBRACE || q === HASH) return false;
        if (q === COLON && j - lineStart >= 1000) return false;
        if (isNodeIndicator(q) && isNodeBoundary(text.charCodeAt(j - 1))) return false;
      }
      i = close;
      prev = lastNonSpace = c;
      continue;
    }
    // `#` right after a quoted scalar or a flow collection: `yaml` says a comment must be
    // separated by a space, js-yaml takes it; the reference reports it.
    if (c === HASH && (prev === DQUOTE || prev === SQUOTE || prev === RBRACKET || prev === RBRACE)) return false;
    if (c === HASH && prev === SPACE) {
      // A comment: the rest of the line.
      const nl = text.indexOf('\n', i);
      i = (nl === -1 || nl > end ? end : nl) - 1;
      continue;
    }
    if (c === LBRACKET || c === LBRACE) depth++;
    else if ((c === RBRACKET || c === RBRACE) && --depth < 0) return false;
    else if (c === COLON && (i - lineStart >= 1000 || lastNonSpace === RBRACKET || lastNonSpace === RBRACE)) return false;
    prev = c;
    if (c !== SPACE) lastNonSpace = c;
  }
  return depth === 0;
}

/** A mapping key `null` anywhere: js-yaml names a null key "null", `yaml` names it "". */
function hasNullKey(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(hasNullKey);
  for (const k in v) if (k === 'null' || hasNullKey((v as Record<string, unknown>)[k])) return true;
  return false;
}

/**
 * js-yaml on one document's text; undefined when the text or the result is not plain. Block
 * YAML is parsed by parseBlockYaml (js-yaml's value, twice as fast; it declines null keys
 * and whatever js-yaml would warn about), anything else by js-yaml.
 */
function parsePlainDocument(text: string, span: Span, source: string): ParsedItem[] | undefined {
  if (!plainLines(text, span.start, span.end)) return undefined;
  const block = parseBlockYaml(text, span.start, span.end, CORE_SCHEMA);
  if (block !== undefined) return toItems(block.value);
  let warned = false;
  let value: unknown;
  try {
    value = jsyaml.load(source, { schema: CORE_SCHEMA, onWarning: () => (warned = true) });
  } catch {
    return undefined;
  }
  if (warned || hasNullKey(value)) return undefined;
  return toItems(value);
}

/**
 * The fast path: the documents of `text` as `parseManifestsWithYaml` would give them (no
 * problems: a file with any goes to the reference), or null when the file is not plain enough.
 * A document seen before (same text, in any file) is not parsed again.
 */
export function parseManifestsFast(text: string): ParsedFile | null {
  if (UNUSUAL_TEXT.test(text)) return null;
  const { spans, markerContent } = splitDocuments(text);
  if (markerContent) return null;
  const documents: ParsedDocument[] = [];
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    if (span.start === span.end) continue;
    const source = text.slice(span.start, span.end);
    let items = cachedDocument(source)?.parsed;
    if (items === undefined) {
      items = parsePlainDocument(text, span, source);
      if (items === undefined) return null;
      documentCacheEntry(source).parsed = items;
    }
    for (const { pathPrefix, value } of items) documents.push({ document: i + 1, pathPrefix, value, source });
  }
  return { documents, problems: [], syntaxError: false };
}
