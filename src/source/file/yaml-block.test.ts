import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import jsyaml from 'js-yaml';
import { routeManifest, scaleRoutes, yamlStream } from '../../../bench/lib/manifests.js';
import { CORE_SCHEMA } from './parse.js';
import { parseBlockYaml } from './yaml-block.js';

// parseBlockYaml against js-yaml itself: wherever it takes a document, its value must be
// js-yaml's (deepStrictEqual: types, -0, NaN, prototypes; and the order of keys), for the
// schema parse.ts uses and for js-yaml's own CORE_SCHEMA (other implicit types).

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SCHEMAS: [string, jsyaml.Schema][] = [['parse.ts CORE_SCHEMA', CORE_SCHEMA], ['js-yaml CORE_SCHEMA', jsyaml.CORE_SCHEMA]];

/** The value with every object turned into its list of [key, value] in order: deepStrictEqual does not look at key order. */
function ordered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(ordered);
  if (v !== null && typeof v === 'object') return Object.keys(v).map((k) => [k, ordered((v as Record<string, unknown>)[k])]);
  return v;
}

/** js-yaml's value for `text`, or `thrown`/`warned` when it throws or warns. */
function reference(text: string, schema: jsyaml.Schema): { value: unknown } | 'thrown' | 'warned' {
  let warned = false;
  try {
    const value = jsyaml.load(text, { schema, onWarning: () => (warned = true) });
    return warned ? 'warned' : { value };
  } catch {
    return 'thrown';
  }
}

/**
 * Checks parseBlockYaml against js-yaml on `text` (also embedded in a larger string, as a span)
 * for both schemas; returns whether it took the document (with parse.ts's schema).
 */
function check(text: string, what: string): boolean {
  let taken = false;
  for (const [name, schema] of SCHEMAS) {
    const got = parseBlockYaml(text, 0, text.length, schema);
    const embedded = parseBlockYaml(`x: 1\n---\n${text}---\ny: 2\n`, 9, 9 + text.length, schema);
    if (text.endsWith('\n')) assert.deepStrictEqual(ordered(embedded?.value), ordered(got?.value), `${what} (${name}): as a span`);
    if (got === undefined) continue;
    const ref = reference(text, schema);
    assert.ok(typeof ref === 'object', `${what} (${name}): taken, but js-yaml ${String(ref)}`);
    assert.deepStrictEqual(got.value, ref.value, `${what} (${name})`);
    assert.deepStrictEqual(ordered(got.value), ordered(ref.value), `${what} (${name}): key order`);
    if (schema === CORE_SCHEMA) taken = true;
  }
  return taken;
}

/** The documents of a YAML stream, each from its `---` line (if any) to the next. */
function documents(text: string): string[] {
  const docs: string[] = [];
  let cur = '';
  for (const line of text.split(/(?<=\n)/)) {
    if (/^---(\s|$)/.test(line) && cur !== '') {
      docs.push(cur);
      cur = '';
    }
    cur += line;
  }
  if (cur !== '') docs.push(cur);
  return docs;
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yamlFiles(path, out);
    else if (/\.ya?ml$/i.test(name)) out.push(path);
  }
  return out;
}

test('every YAML document in the repository (and conformance, when ../shared is there) parses as js-yaml parses it', (t) => {
  const files = ['test', 'src', 'examples', 'deploy', 'bench'].flatMap((d) => yamlFiles(join(root, d)));
  const conformance = yamlFiles(join(root, '../shared/gateway-api/conformance'));
  let docs = 0;
  let taken = 0;
  for (const f of [...files, ...conformance]) {
    const text = readFileSync(f, 'utf8');
    if (/^%/m.test(text)) continue;
    for (const [i, doc] of documents(text).entries()) {
      docs++;
      if (check(doc, `${f} #${i + 1}`)) taken++;
    }
  }
  t.diagnostic(`took ${taken} of ${docs} documents (${files.length} + ${conformance.length} files)`);
  assert.ok(files.length > 100, `only ${files.length} files`);
  // Most manifests are block YAML: the parser is not a no-op.
  assert.ok(taken > docs * 0.5, `took ${taken} of ${docs} documents`);
});

test('the bench routes are all taken', () => {
  const routes = scaleRoutes(100, 'backend');
  const docs = [
    ...routes.map((r) => routeManifest(r)),
    ...routes.map((r, i) => routeManifest({ ...r, setHeader: { name: 'x-churn', value: `${i}` } })),
    routeManifest({ name: 'r', hostname: null, pathPrefix: '/', service: 's' }),
  ];
  for (const [i, d] of docs.entries()) assert.ok(check(d, `route ${i}`), `route ${i} declined:\n${d}`);
  for (const d of documents(yamlStream(docs.slice(0, 10)))) assert.ok(check(d, 'route in a stream'), d);
});

/** [name, text, taken]. */
const CASES: [string, string, boolean][] = [
  ['nested block', 'a:\n  b:\n    c: 1\n  d: x\ne: y\n', true],
  ['sequence at the key indentation', 'a:\n- 1\n- x\nb: 2\n', true],
  ['indented sequence', 'a:\n  - 1\n  - x\nb: 2\n', true],
  ['compact mappings', 'a:\n- name: x\n  port: 80\n-   name: y\n    port: 81\n', true],
  ['compact nested sequence', '- - a\n  - b\n- - - c\n', true],
  ['sequence in a compact mapping at its indentation', '- a:\n  - x\n  b: 1\n- a:\n- b\n', true],
  ['empty values and items', 'a:\nb:\n  -\n  - \n  - x\nc: # comment\n', true],
  ['comments and blank lines', '# head\na: 1 # c\n\n  # indented comment\nb: x#y\n#tail\n', true],
  ['leading --- with a comment', '--- # doc\na: 1\n', true],
  ['CRLF', 'a: 1\r\nb:\r\n- "x"\r\n', true],
  ['quoted scalars', `a: "x: y, z"\nb: 'it''s'\nc: "\\u00e9\\n\\x41\\"\\\\\\/"\nd: ''\ne: ""\n`, true],
  ['quoted keys', `"a b": 1\n'c''d': 2\n"1": x\n`, true],
  ['empty flow collections', 'a: []\nb: {}\nc:\n- []\n- {} # c\n', true],
  ['core scalars', 'a: ~\nb: null\nc: True\nd: 0x1F\ne: 0o17\nf: .inf\ng: -.5\nh: 1e3\ni: 017\nj: yes\nk: 1_000\nl: -0\n', true],
  ['keys with spaces and colons', 'foo bar: 1\na:b: 2\nhttp://x: 3\n', true],
  ['block scalar', 'a: |\n  x\n', false],
  ['folded scalar', 'a: >-\n  x\n', false],
  ['flow sequence', 'a: [x, y]\n', false],
  ['flow mapping', 'a: {b: 1}\n', false],
  ['duplicate keys', 'a: 1\na: 2\n', false],
  ['duplicate quoted key', 'a: 1\n"a": 2\n', false],
  ['tab', 'a:\t1\n', false],
  ['tab indentation', 'a:\n\tb: 1\n', false],
  ['anchor and alias', 'a: &x 1\nb: *x\n', false],
  ['tag', 'a: !!str 1\n', false],
  ['merge key', '<<: {a: 1}\n', false],
  ['__proto__ key', '__proto__: 1\n', false],
  ['null key', '~: a\n', false],
  ['"null" key', '"null": a\n', false],
  ['integer key', '1: a\n', false],
  ['bool key', 'true: a\n', false],
  ['key then space', 'a : 1\n', false],
  ['multi-line plain scalar', 'a: one\n  two\n', false],
  ['multi-line plain after a comment', 'a: one\n# c\n  two\n', false],
  ['multi-line quoted scalar', 'a: "one\n  two"\n', false],
  ['bad indentation', 'a:\n  b: 1\n c: 2\n', false],
  ['nested mapping on one line', 'a: b: c\n', false],
  ['text after a quoted scalar', 'a: "x" y\n', false],
  ['unknown escape', 'a: "\\q"\n', false],
  ['\\U escape', 'a: "\\U0001F600"\n', false],
  ['end marker', 'a: 1\n...\n', false],
  ['scalar document', 'hello\n', false],
  ['empty document', '# only\n', false],
  ['indented root', '  a: 1\n', false],
  ['item after a mapping entry', 'a: 1\n- x\n', false],
  ['brackets in a plain scalar', 'a: b[0]\n', false],
  ['control character', 'a: "\u0007"\n', false],
  ['BOM', '\ufeffa: 1\n', false],
  ['explicit key', '? a\n: b\n', false],
];

test('what it takes and what it declines', () => {
  const wrong = CASES.filter(([name, text, taken]) => check(text, name) !== taken).map(([name, , taken]) => `${name} (taken: ${!taken})`);
  assert.deepEqual(wrong, []);
});

// ---------------------------------------------------------------------------------------------
// Generated documents.

function rng(seed: number): () => number {
  return () => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x80000000);
}

const PLAIN_KEYS = ['a', 'b', 'name', 'value', 'foo bar', 'a:b', 'a-b', 'x.y/z', '-k', 'yes', 'on', 'constructor', 'toString', 'k#1', '"q k"', "'s k'", '"a#b"', "'it''s'", '"\\u00e9"'];
const TRICKY_KEYS = ['1', 'True', '0x10', '~', 'null', '"null"', "'1'", '__proto__', '<<', 'k ', '"k" ', '1_000', '.inf', '? k', '&a k', '[k]'];
const SCALARS = [
  'yes', 'no', 'on', 'off', '0x1F', '0X1F', '0o17', '017', '1_000', '+1', '-1', '-0', '+.5', '-.5', '.5', '1.', '1e3', '1.5e-3', '.inf', '-.inf', '.NaN', '.nan',
  '~', 'null', 'Null', 'NULL', 'nUll', 'true', 'True', 'TRUE', 'tRue', 'false', '0b101', '123456789012345678901234567890', '2001-12-14', '12:30', '0.1.2',
  "''", '""', '"a#b"', 'a #comment', 'a:b', "'it''s'", '"\\u00e9"', '"\\x41"', '"a\\"b"', '"\\t\\n\\0\\e\\N\\_\\L\\P\\ "', '"\\/"', "'\"'", '"\'"',
  'a b', 'x', '-x', 'http://a/b?c=d', '/path/x', '^/api/.*$', 'x#y', 'é', '50%', 'a,b', '"*.example.com"', "'true'", '"1"', 'a  ', '"x" # c', '[]', '{}', '[ ]',
];
const BAD_SCALARS = ['x: y', '- x', '*.example.com', '[a]', '{a: 1}', '|', '>', '&a x', '!t x', '?x', ':x', '%x', '@x', '`x`', '"\\U0001F600"', '"unterminated', "'unterminated", '"x" y', '"\\q"', 'b[0]', '#x', 'x #', 'a\tb'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** A random block document; `tricky` draws odd keys, bad scalars, tabs and bad indentation too. */
function generate(r: () => number, tricky: boolean): string {
  const lines: string[] = [];
  const sp = (n: number): string => ' '.repeat(n);
  const comment = (): string => (r() < 0.1 ? ' # c' : '');
  const filler = (indent: number): void => {
    if (r() < 0.05) lines.push('');
    if (r() < 0.05) lines.push(`${sp(Math.floor(r() * (indent + 3)))}# note`);
  };
  const scalar = (): string => (tricky && r() < 0.1 ? pick(r, BAD_SCALARS) : pick(r, SCALARS));
  const key = (used: Set<string>): string => {
    let k = tricky && r() < 0.15 ? pick(r, TRICKY_KEYS) : pick(r, PLAIN_KEYS);
    if (!tricky) for (let n = 0; used.has(k); n++) k = `k${n}`;
    used.add(k);
    return k;
  };
  const step = (): number => (tricky && r() < 0.03 ? 1 : pick(r, [2, 2, 2, 4, 3]));
  /** A value after `key:` or `- ` on the line `head` (at column `col` of a collection at `indent`). */
  const value = (head: string, indent: number, depth: number, mappingValue: boolean): void => {
    const x = r();
    if (depth > 4 || x < 0.5) {
      lines.push(`${head}${pick(r, [' ', ' ', '  '])}${scalar()}${comment()}`);
    } else if (x < 0.58) {
      lines.push(`${head}${comment()}`);
    } else if (x < 0.8) {
      lines.push(`${head}${comment()}`);
      mapping(indent + step(), depth + 1, null);
    } else {
      lines.push(`${head}${comment()}`);
      sequence(mappingValue && r() < 0.5 ? indent : indent + step(), depth + 1);
    }
  };
  /** A block mapping at `indent`; `first`: the text before its first key (a compact mapping). */
  const mapping = (indent: number, depth: number, first: string | null): void => {
    const used = new Set<string>();
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) {
      if (i > 0) filler(indent);
      const prefix = i === 0 && first !== null ? first : sp(indent);
      value(`${prefix}${key(used)}:`, indent, depth, true);
    }
  };
  const sequence = (indent: number, depth: number): void => {
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) {
      if (i > 0) filler(indent);
      const x = r();
      const dash = `${sp(indent)}-${pick(r, [' ', ' ', ' ', '   '])}`;
      const col = dash.length;
      if (depth < 5 && x < 0.35) mapping(col, depth + 1, dash);
      else if (depth < 5 && x < 0.4) lines.push(`${sp(indent)}-${comment()}`), mapping(indent + step(), depth + 1, null);
      else if (depth < 5 && x < 0.45) {
        // A compact nested sequence: `- - x` and its further items at the column of the inner `-`.
        lines.push(`${dash}- ${scalar()}`);
        if (r() < 0.5) lines.push(`${sp(col)}- ${scalar()}`);
      } else value(`${sp(indent)}-`, indent, depth, false);
    }
  };
  if (r() < 0.2) lines.push(pick(r, ['---', '--- # doc', '# head']));
  if (r() < 0.8) mapping(0, 0, null);
  else sequence(0, 0);
  let text = lines.join('\n') + '\n';
  if (tricky && r() < 0.05) text = text.replace(' ', '\t');
  if (tricky && r() < 0.05) text = text.replace(/\n/g, '\r\n');
  return text;
}

test('generated block documents parse as js-yaml parses them', (t) => {
  const r = rng(7);
  let plainTaken = 0;
  const plain = 3000;
  for (let i = 0; i < plain; i++) {
    const text = generate(r, false);
    if (check(text, `plain #${i}: ${JSON.stringify(text)}`)) plainTaken++;
  }
  // Plain documents leave the subset only by the odd scalar (`[ ]`) or empty item: most are taken.
  assert.ok(plainTaken > plain * 0.75, `took ${plainTaken} of ${plain} plain documents`);
  let trickyTaken = 0;
  for (let i = 0; i < 3000; i++) {
    const text = generate(r, true);
    if (check(text, `tricky #${i}: ${JSON.stringify(text)}`)) trickyTaken++;
  }
  t.diagnostic(`took ${plainTaken} of ${plain} plain and ${trickyTaken} of 3000 tricky documents`);
  assert.ok(trickyTaken > 0, 'no tricky document taken');
});
