/**
 * A small parser for the block YAML that manifests are written in, giving exactly what js-yaml
 * (`jsyaml.load(text, { schema })`) gives for the same text, or `undefined` ("not sure") for
 * anything outside its subset, which then goes to js-yaml. On a typical route about twice as
 * fast as js-yaml and with about a quarter of its garbage: one pass over the text, a slice per
 * key and scalar, the objects and arrays of the result.
 *
 * The subset (everything else is declined):
 * - block mappings (`key: value`, `key:` and a nested block on the next lines) and block
 *   sequences (`- item`, compact `- key: value` mappings and `- - item` sequences, a sequence as
 *   a mapping value at the indentation of its key, as kubectl and most YAML libraries write it);
 * - keys: plain or quoted scalars on one line, directly followed by `: ` (or `:` at the end of
 *   the line), that are strings after resolution (`1: a`, `true: b`, `~: c` are declined: js-yaml
 *   stringifies them, `yaml` does not always agree); no duplicates (js-yaml throws), no `<<`
 *   (a merge key in js-yaml), no `__proto__` (an own property defined specially), no `null`
 *   (parse.ts's hasNullKey: js-yaml and `yaml` name a null key differently);
 * - values on one line: plain scalars (resolved by the schema's own implicit types, in the
 *   schema's order, exactly as js-yaml's composeNode does), single-quoted scalars (`''`),
 *   double-quoted scalars with js-yaml's simple escapes and `\x`/`\u` (not `\U`), `[]`, `{}`;
 *   an empty value is null (not resolved: js-yaml stores null for a missing node);
 * - comments (`#` at the start of a line's content or after a space), blank lines, CRLF, a
 *   leading `---` line (with at most a comment), the root collection at column 0.
 * Declined: block scalars (`|`, `>`), multi-line scalars (any line more indented than the
 * parent after a value on one line), flow collections other than `[]`/`{}`, anchors, aliases,
 * tags, `?`/`:`-started nodes, `[]{}` inside plain scalars, `...`, tabs, control characters,
 * anything at or past U+D800 (surrogates, BOM, non-characters), scalar and empty documents,
 * nesting past MAX_DEPTH (js-yaml's maxDepth is 100).
 *
 * js-yaml (lib/loader.js) rules this follows: a plain scalar ends at `: `, at ` #` and at the
 * end of its line, with trailing spaces trimmed, and cannot start with a space or one of
 * ``,[]{}#&*!|>'"%@` ``, nor with `-`/`?` followed by a space; quoted scalars are never resolved;
 * a mapping entry's value or a sequence item is a nested node when the next line is more
 * indented, a sequence when (for a mapping value) it is a `- ` line at the same indentation,
 * else null; storeMappingPair assigns keys in order on a `{}` (own, enumerable properties).
 * yaml-block.test.ts compares the two on every manifest in the repository and on thousands of
 * generated documents.
 */
import type jsyaml from 'js-yaml';

/** A parse that fell outside the subset: thrown (a shared object, so no stack is captured) and caught at the top. */
const DECLINE: { readonly declined: true } = { declined: true };

function decline(): never {
  throw DECLINE;
}

/** Collections nested deeper than this are declined (js-yaml throws at a node depth of 100). */
const MAX_DEPTH = 50;

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const DQUOTE = 0x22;
const HASH = 0x23;
const SQUOTE = 0x27;
const DASH = 0x2d;
const DOT = 0x2e;
const COLON = 0x3a;
const BACKSLASH = 0x5c;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

/** js-yaml's simpleEscapeSequence, but for `\` + tab (tabs are declined): `\c` → text, or undefined. */
function simpleEscape(c: number): string | undefined {
  switch (c) {
    case 0x30: return '\x00'; // 0
    case 0x61: return '\x07'; // a
    case 0x62: return '\x08'; // b
    case 0x74: return '\x09'; // t
    case 0x6e: return '\x0A'; // n
    case 0x76: return '\x0B'; // v
    case 0x66: return '\x0C'; // f
    case 0x72: return '\x0D'; // r
    case 0x65: return '\x1B'; // e
    case 0x20: return ' ';
    case 0x22: return '"';
    case 0x2f: return '/';
    case 0x5c: return '\\';
    case 0x4e: return '\x85'; // N
    case 0x5f: return '\xA0'; // _
    case 0x4c: return '\u2028'; // L
    case 0x50: return '\u2029'; // P
    default: return undefined;
  }
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lc = c | 0x20;
  if (lc >= 0x61 && lc <= 0x66) return lc - 0x61 + 10;
  return -1;
}

/**
 * A character that ends the subset wherever it is: C0 controls but LF and the CR of CRLF (so
 * tabs too), DEL and C1 controls, and everything from U+D800 on (surrogates, private use, BOM,
 * non-characters: js-yaml rejects some, `yaml` and UNUSUAL_TEXT in parse.ts others).
 */
function unusualText(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= SPACE) {
      if ((c >= 0x7f && c <= 0x9f) || c >= 0xd800) return true;
    } else if (c !== LF && !(c === CR && text.charCodeAt(i + 1) === LF && i + 1 < end)) {
      return true;
    }
  }
  return false;
}

/** `---`/`...` at `i` followed by a space or the end of the line `eol`. */
function isMarker(text: string, i: number, eol: number): boolean {
  const c = text.charCodeAt(i);
  return (c === DASH || c === DOT) && text.charCodeAt(i + 1) === c && text.charCodeAt(i + 2) === c && (i + 3 === eol || text.charCodeAt(i + 3) === SPACE);
}

/** A scalar type as js-yaml calls it. */
interface ImplicitType {
  resolve(data: unknown): boolean;
  construct(data: unknown): unknown;
}

/** The schema's implicit types in js-yaml's order (what its loader uses: `schema.compiledImplicit`), or null if that is not there. */
function implicitTypes(schema: jsyaml.Schema): readonly ImplicitType[] | null {
  const list = (schema as unknown as { compiledImplicit?: unknown }).compiledImplicit;
  if (!Array.isArray(list)) return null;
  for (const t of list as unknown[]) {
    const type = t as Partial<ImplicitType> | null;
    if (typeof type?.resolve !== 'function' || typeof type.construct !== 'function') return null;
  }
  return list as ImplicitType[];
}

/**
 * The cursor: the current line's content is `text[at, eol)`, `indent` its column (for the
 * content of a `- ` item, the column of that content), `next` the start of the line after it.
 */
class BlockParser {
  text = '';
  end = 0;
  implicit: readonly ImplicitType[] = [];
  done = false;
  indent = 0;
  at = 0;
  eol = 0;
  next = 0;
  depth = 0;
  /** Set by readKey: the key and the position after its colon. */
  key = '';
  afterColon = 0;
  /** Set by scanPlain: the position of a `: ` that ended the scalar, or -1. */
  colon = -1;
  /** Set by the quoted-scalar readers: the position after the closing quote. */
  quoteEnd = 0;

  reset(text: string, end: number, implicit: readonly ImplicitType[]): void {
    this.text = text;
    this.end = end;
    this.implicit = implicit;
    this.done = false;
    this.depth = 0;
    this.key = '';
  }

  /** Moves to the first line at or after `from` with content (not blank, not only a comment). */
  advance(from: number): void {
    const text = this.text;
    const end = this.end;
    while (from < end) {
      let nl = text.indexOf('\n', from);
      if (nl === -1 || nl > end) nl = end;
      let i = from;
      while (i < nl && text.charCodeAt(i) === SPACE) i++;
      const eol = nl > i && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
      const lineStart = from;
      from = nl + 1;
      if (i === eol || text.charCodeAt(i) === HASH) continue;
      if (i === lineStart && isMarker(text, i, eol)) decline();
      this.indent = i - lineStart;
      this.at = i;
      this.eol = eol;
      this.next = from;
      return;
    }
    this.done = true;
  }

  /** The current line is a sequence item: `-` then a space or the end of the line. */
  isItem(): boolean {
    const at = this.at;
    return this.text.charCodeAt(at) === DASH && (at + 1 === this.eol || this.text.charCodeAt(at + 1) === SPACE);
  }

  /** A plain scalar can start at `i` (js-yaml readPlainScalar, and stricter for `?`, `:`). */
  plainStart(i: number): boolean {
    const c = this.text.charCodeAt(i);
    switch (c) {
      case SPACE: case 0x2c: case LBRACKET: case RBRACKET: case LBRACE: case RBRACE: case HASH: case 0x26: case 0x2a: case 0x21:
      case 0x7c: case 0x3e: case SQUOTE: case DQUOTE: case 0x25: case 0x40: case 0x60: case 0x3f: case COLON:
        return false;
      case DASH:
        return i + 1 < this.eol && this.text.charCodeAt(i + 1) !== SPACE;
      default:
        return true;
    }
  }

  /**
   * The end (trailing spaces trimmed) of the plain scalar starting at `from`: at `: ` (or a `:`
   * ending the line; its position goes to `colon`), at ` #` or at the end of the line.
   */
  scanPlain(from: number): number {
    const text = this.text;
    const eol = this.eol;
    let last = from;
    this.colon = -1;
    for (let j = from; j < eol; j++) {
      const c = text.charCodeAt(j);
      if (c === SPACE) continue;
      if (c === COLON) {
        if (j + 1 === eol || text.charCodeAt(j + 1) === SPACE) {
          this.colon = j;
          break;
        }
      } else if (c === HASH) {
        if (text.charCodeAt(j - 1) === SPACE) break;
      } else if (c === LBRACKET || c === RBRACKET || c === LBRACE || c === RBRACE) {
        decline();
      }
      last = j + 1;
    }
    return last;
  }

  /** The double-quoted scalar at `q` (on this line), its end to `quoteEnd`. */
  doubleQuoted(q: number): string {
    const text = this.text;
    const eol = this.eol;
    let out = '';
    let seg = q + 1;
    for (let j = q + 1; j < eol; j++) {
      const c = text.charCodeAt(j);
      if (c === DQUOTE) {
        this.quoteEnd = j + 1;
        return out === '' ? text.slice(seg, j) : out + text.slice(seg, j);
      }
      if (c !== BACKSLASH) continue;
      if (j + 1 >= eol) decline();
      out += text.slice(seg, j);
      const e = text.charCodeAt(j + 1);
      const simple = simpleEscape(e);
      if (simple !== undefined) {
        out += simple;
        j += 1;
      } else if (e === 0x78 || e === 0x75) {
        const n = e === 0x78 ? 2 : 4;
        if (j + 1 + n >= eol) decline();
        let code = 0;
        for (let k = j + 2; k < j + 2 + n; k++) {
          const d = hexDigit(text.charCodeAt(k));
          if (d < 0) decline();
          code = (code << 4) + d;
        }
        out += String.fromCharCode(code);
        j += 1 + n;
      } else {
        decline();
      }
      seg = j + 1;
    }
    return decline();
  }

  /** The single-quoted scalar at `q` (on this line), its end to `quoteEnd`. */
  singleQuoted(q: number): string {
    const text = this.text;
    const eol = this.eol;
    let out = '';
    let seg = q + 1;
    for (let j = q + 1; j < eol; j++) {
      if (text.charCodeAt(j) !== SQUOTE) continue;
      if (j + 1 < eol && text.charCodeAt(j + 1) === SQUOTE) {
        out += text.slice(seg, j + 1);
        j++;
        seg = j + 1;
        continue;
      }
      this.quoteEnd = j + 1;
      return out === '' ? text.slice(seg, j) : out + text.slice(seg, j);
    }
    return decline();
  }

  /** Nothing but spaces and maybe a comment from `i` to the end of the line. */
  restBlank(i: number): void {
    const text = this.text;
    const eol = this.eol;
    while (i < eol && text.charCodeAt(i) === SPACE) i++;
    if (i < eol && !(text.charCodeAt(i) === HASH && text.charCodeAt(i - 1) === SPACE)) decline();
  }

  /** A plain scalar as js-yaml's composeNode resolves it: the first implicit type that resolves it constructs it. */
  resolve(s: string): unknown {
    const implicit = this.implicit;
    for (let i = 0; i < implicit.length; i++) {
      const type = implicit[i]!;
      if (type.resolve(s)) return type.construct(s);
    }
    return s;
  }

  /**
   * Whether the current line's content is a mapping entry: a key (to `key`) directly followed by
   * `: ` or a `:` ending the line (the position after it to `afterColon`).
   */
  readKey(): boolean {
    const text = this.text;
    const at = this.at;
    const c = text.charCodeAt(at);
    let key: string;
    let colon: number;
    if (c === DQUOTE || c === SQUOTE) {
      key = c === DQUOTE ? this.doubleQuoted(at) : this.singleQuoted(at);
      colon = this.quoteEnd;
      if (colon >= this.eol || text.charCodeAt(colon) !== COLON || (colon + 1 < this.eol && text.charCodeAt(colon + 1) !== SPACE)) return false;
    } else {
      if (!this.plainStart(at)) return false;
      this.scanPlain(at);
      colon = this.colon;
      if (colon === -1) return false;
      if (text.charCodeAt(colon - 1) === SPACE) decline();
      key = text.slice(at, colon);
      // A key that resolves to something else (number, bool, null) is stringified by js-yaml.
      const implicit = this.implicit;
      for (let i = 0; i < implicit.length; i++) if (implicit[i]!.resolve(key)) decline();
    }
    if (key === '__proto__' || key === '<<' || key === 'null') decline();
    this.key = key;
    this.afterColon = colon + 1;
    return true;
  }

  /** A scalar (or `[]`, `{}`) starting at `i` and ending its line. */
  inlineValue(i: number): unknown {
    const text = this.text;
    const c = text.charCodeAt(i);
    if (c === DQUOTE || c === SQUOTE) {
      const s = c === DQUOTE ? this.doubleQuoted(i) : this.singleQuoted(i);
      this.restBlank(this.quoteEnd);
      return s;
    }
    if (c === LBRACKET || c === LBRACE) {
      if (text.charCodeAt(i + 1) !== (c === LBRACKET ? RBRACKET : RBRACE)) decline();
      this.restBlank(i + 2);
      return c === LBRACKET ? [] : {};
    }
    if (!this.plainStart(i)) decline();
    const end = this.scanPlain(i);
    if (this.colon !== -1) decline();
    return this.resolve(text.slice(i, end));
  }

  /**
   * The value of a mapping entry or sequence item whose indicator ends at `from` on the current
   * line, in a collection at column `indent`; moves to the next line with content after it.
   */
  value(indent: number, from: number, mappingValue: boolean): unknown {
    const text = this.text;
    const eol = this.eol;
    let i = from;
    while (i < eol && text.charCodeAt(i) === SPACE) i++;
    if (i === eol || text.charCodeAt(i) === HASH) {
      this.advance(this.next);
      if (this.done) return null;
      if (this.indent > indent) return this.node();
      if (mappingValue && this.indent === indent && this.isItem()) return this.sequence(indent);
      // js-yaml's readBlockSequence, after an empty item, reads a `- ` line that is less indented
      // as a further item of the same sequence (`yaml` does not): not sure.
      if (!mappingValue && this.indent < indent && this.isItem()) decline();
      return null;
    }
    const v = this.inlineValue(i);
    this.advance(this.next);
    // A more indented line would continue a plain scalar (or be an error).
    if (!this.done && this.indent > indent) decline();
    return v;
  }

  /** The collection starting at the current line's content. */
  node(): unknown {
    if (this.isItem()) return this.sequence(this.indent);
    if (this.readKey()) return this.mapping(this.indent);
    return decline();
  }

  /** The block mapping at column `indent`, its first key read. */
  mapping(indent: number): Record<string, unknown> {
    if (++this.depth > MAX_DEPTH) decline();
    const result: Record<string, unknown> = {};
    for (;;) {
      const key = this.key;
      if (Object.prototype.hasOwnProperty.call(result, key)) decline();
      result[key] = this.value(indent, this.afterColon, true);
      if (this.done || this.indent < indent) break;
      if (this.indent > indent || !this.readKey()) decline();
    }
    this.depth--;
    return result;
  }

  /** The block sequence at column `indent`, at its first item. */
  sequence(indent: number): unknown[] {
    if (++this.depth > MAX_DEPTH) decline();
    const text = this.text;
    const result: unknown[] = [];
    do {
      const eol = this.eol;
      let i = this.at + 1;
      while (i < eol && text.charCodeAt(i) === SPACE) i++;
      if (i === eol || text.charCodeAt(i) === HASH) {
        result.push(this.value(indent, i, false));
      } else {
        // A compact node: its indentation is the column of its content.
        this.indent += i - this.at;
        this.at = i;
        if (this.isItem()) result.push(this.sequence(this.indent));
        else if (this.readKey()) result.push(this.mapping(this.indent));
        else result.push(this.value(indent, i, false));
      }
      if (!this.done && this.indent > indent) decline();
    } while (!this.done && this.indent === indent && this.isItem());
    this.depth--;
    // An array grown by push keeps room for at least 17 items (V8), and the value is kept for as
    // long as its object is served: most sequences of a manifest hold one item, so an exact copy
    // saves ~128 bytes per sequence (7 per bench route) of what every edit pass leaves behind.
    return result.length < 16 ? result.slice() : result;
  }
}

const parser = new BlockParser();

/**
 * The value of the YAML document `text[start, end)` (`start` at the start of a line) as
 * `jsyaml.load(text.slice(start, end), { schema })` gives it, when the document is in the
 * block subset described above; `undefined` when it is not (or when unsure). Never throws on
 * bad input. Values are fresh objects and arrays, owned by the caller.
 */
export function parseBlockYaml(text: string, start: number, end: number, schema: jsyaml.Schema): { value: unknown } | undefined {
  const implicit = implicitTypes(schema);
  if (implicit === null || unusualText(text, start, end)) return undefined;
  const p = parser;
  p.reset(text, end, implicit);
  try {
    let from = start;
    if (text.charCodeAt(start) === DASH) {
      // A leading `---` (the splitter starts a document at it), with at most a comment after it.
      let nl = text.indexOf('\n', start);
      if (nl === -1 || nl > end) nl = end;
      p.eol = nl > start && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
      if (isMarker(text, start, p.eol)) {
        p.restBlank(start + 3);
        from = nl + 1;
      }
    }
    p.advance(from);
    if (p.done || p.indent !== 0) return undefined;
    const value = p.node();
    if (!p.done) return undefined;
    return { value };
  } catch (e) {
    if (e === DECLINE) return undefined;
    throw e;
  } finally {
    p.text = '';
  }
}
