import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parseManifests, parseManifestsFast, parseManifestsWithYaml } from './parse.js';

// The fast YAML path (js-yaml, per document, cached) against the reference (`yaml` on the whole
// file): where the fast path takes a file, documents (values, numbers, List paths, source) and
// problems must be the same; parseManifests must always equal the reference.

const root = fileURLToPath(new URL('../../../', import.meta.url));

function manifestFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) manifestFiles(path, out);
    else if (/\.(ya?ml|json)$/i.test(name)) out.push(path);
  }
  return out;
}

/** Asserts both paths agree on `text`; returns whether the fast path took it. */
function agree(text: string, what: string): boolean {
  const reference = parseManifestsWithYaml(text);
  assert.deepEqual(parseManifests(text), reference, what);
  const fast = parseManifestsFast(text);
  if (fast === null) return false;
  assert.deepEqual(fast, reference, what);
  return true;
}

test('every manifest in the repository parses the same on both paths', () => {
  const files = [...manifestFiles(join(root, 'test/golden')), ...manifestFiles(join(root, 'examples'))];
  assert.ok(files.length > 100, `only ${files.length} files found`);
  let fast = 0;
  for (const f of files) if (agree(readFileSync(f, 'utf8'), f)) fast++;
  // The fast path is not vacuous: most hand-written manifests are plain YAML.
  assert.ok(fast > files.length * 0.6, `fast path took ${fast} of ${files.length}`);
});

test('the Gateway API conformance manifests parse the same on both paths (when ../shared is there)', (t) => {
  const dir = join(root, '../shared/gateway-api/conformance');
  if (!existsSync(dir)) {
    t.skip(`${dir} is absent`);
    return;
  }
  for (const f of manifestFiles(dir)) agree(readFileSync(f, 'utf8'), f);
});

/** Scalars as plain, quoted and flow values: the core schema must resolve them the same. */
const SCALARS = [
  '~', 'null', 'Null', 'NULL', 'nUll', 'true', 'True', 'TRUE', 'tRue', 'false', 'False', 'FALSE', 'yes', 'no', 'on', 'off', 'y',
  '0', '-0', '+0', '007', '12', '-12', '+12', '1_000', '0x1F', '0X1F', '-0x1F', '0xG', '0o17', '-0o17', '0o8', '0b101', '017',
  '1.5', '-1.5', '+1.5', '.5', '-.5', '+.5', '1.', '1e3', '1E3', '1e+3', '1.5e-3', '.5e3', '1_0.5', '1e400', '-1e400',
  '.inf', '-.inf', '+.inf', '.Inf', '.INF', '.nan', '.NaN', '.NAN', '-.nan', 'inf', 'nan',
  '123456789012345678901234567890', '9007199254740993', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '12:30', '1:2:3', '0.1.2',
  'x', 'foo bar', 'a b  c', 'x:y', 'http://a/b?c=d', '/path/*', '^/api/.*$', 'a#b', '-x', 'x-', '.x', 'é', '50%', '=', '<', 'a,b',
  '"q"', "'q'", '""', "''", '"a\\tb"', '"\\x41\\u00e9\\U0001F600"', '"\\N\\_\\L\\P\\/"', "'it''s'", '"a\\"b"', '"1"', "'true'", '"~"',
  '[]', '{}', '[a, b]', '{a: 1}', '[a, [b, c]]', '{a: [1, 2], b: {c: d}}', '[ "x", \'y\' ]', '{"a": 1}', '{"a":1}', '[a: 1]',
  '{a, b}', '{a:b}', '[1, 2, ]', '{a: 1, }', '[*.example.com]', '"*.example.com"', "['*']",
];

test('plain scalars resolve as the YAML 1.2 core schema says, on both paths', () => {
  let fast = 0;
  for (const s of SCALARS) {
    for (const text of [`k: ${s}\n`, `- ${s}\n`, `k: [${s}]\n`, `k: {v: ${s}}\n`, `${s}: v\n`, `--- ${s}\n`]) {
      if (agree(text, JSON.stringify(text))) fast++;
    }
  }
  assert.ok(fast > SCALARS.length * 3, `fast path took ${fast}`);
});

/** [name, text, does the fast path take it]. */
const TRICKY: [string, string, boolean][] = [
  ['empty file', '', true],
  ['only comments', '# a\n\n# b\n', true],
  ['leading comment block', '# head\n# more\n\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n', true],
  ['leading comment then ---', '# head\n---\na: 1\n---\nb: 2\n', true],
  ['--- with a comment and trailing spaces', '--- # one\na: 1\n---   \nb: 2\n', true],
  ['--- with trailing text', '--- text\n--- |\n  block\n---\na: 1\n', false],
  ['empty documents', '---\n---\na: 1\n---\n---\n', true],
  ['... end markers', 'a: 1\n...\n# between\n---\nb: 2\n...\nc: 3\n', true],
  ['... with nothing open', '...\na: 1\n...\n...\nb: 2\n', true],
  ['... with a comment', 'a: 1\n... # end\nb: 2\n', true],
  ['trailing comment and blank lines', 'a: 1\n\n# tail\n\n---\nb: 2\n\n# end\n', true],
  ['value left empty before ---', 'a:\n---\nb:\n  c:\n---\n- \n', true],
  ['CRLF line endings', 'a: 1\r\nb:\r\n  - x\r\n---\r\nc: "q"\r\n', true],
  ['BOM', '\ufeffa: 1\n---\nb: 2\n', true],
  ['BOM before ---', '\ufeff---\na: 1\n', true],
  ['BOM inside', 'a: 1\n---\n\ufeffb: 2\n', false],
  ['lone CR', 'a: 1\rb: 2\n', false],
  ['tab', 'a:\t1\n', false],
  ['directive', '%YAML 1.2\n---\na: 1\n', false],
  ['block scalars', 'a: |\n  one\n  two\n\nb: >\n  folded\n  text\n\n  para\nc: |-\n  x\n\nd: |+\n  y\n\n---\ne: >-\n  z\n', true],
  ['block scalar with indentation indicator', 'a: |2\n    indented\n  x\n', true],
  ['block scalar holding YAML-looking text', 'a: |\n  &anchor *alias !tag\n  [ { " \'\n  # not a comment\n', false],
  ['multi-line plain scalar', 'a: one\n  two\n\n  three\n', true],
  ['quoted scalars', `a: "x: y, z"\nb: 'it''s'\nc: "\\u00e9\\n"\nd: x "y" 'z'\n`, true],
  ['quoted # and brackets', `a: "x # y"\nb: '[z'\n`, false],
  ['multi-line quoted scalar', 'a: "one\n  two"\n', false],
  ['flow collections', 'a: [x, "y", {b: c}]\nd: {e: [1, 2], f: ~}\n', true],
  ['multi-line flow collection', 'a: [x,\n  y]\n', false],
  ['flow end at the parent indentation', 'a: [x,\ny]\n', false],
  ['flow collection as key', '[a, b]: c\n', false],
  ['comments everywhere', 'a: 1 # c\n# c\nb: # c\n  - x # c\n  # c\n  - "y" # c\nc: x#not a comment\n', true],
  ['indicators in comments', '# `x` *y &z !t ? @\na: 1 # *.foo.com what?\n', true],
  ['anchor and alias', 'a: &x 1\nb: *x\n', false],
  ['tag', 'a: !!str 1\n', false],
  ['merge key', 'base: &b {x: 1}\nm:\n  <<: *b\n', false],
  ['explicit key', '? a\n: b\n', false],
  ['null keys', '~: a\nnull: b\n', false],
  ['empty key', ': a\n', false],
  ['duplicate keys', 'a: 1\na: 2\n', false],
  ['keys of other types', '1: a\ntrue: b\n0x10: c\n1.50: d\n', true],
  ['__proto__ key', '__proto__: {a: 1}\nb: 2\n', true],
  ['List kind', 'apiVersion: v1\nkind: List\nitems:\n- a: 1\n- b: 2\n---\nkind: FooList\nitems: []\n', true],
  ['scalar documents', '--- 1\n---\n"two"\n---\n[3]\n', false],
  ['syntax error', 'a: 1\nb: [2\n---\nc: 3\n', false],
  ['bad indentation', 'a:\n  b: 1\n c: 2\n', false],
  ['nested mapping on one line', 'a: b: c\n', false],
  ['long key', `${'k'.repeat(1100)}: v\n`, false],
  ['long value', `k: ${'v'.repeat(3000)}\n`, true],
  ['reserved indicators', 'a: @x\nb: `y`\n', false],
  ['control character', 'a: "\u0007"\n', false],
  ['emoji', 'a: "\u{1F600}"\n', false],
  ['non-ASCII', 'a: héllo wörld\n', true],
  ['# right after a quoted scalar', 'a: "x"#c\n', false],
  ['# right after a flow collection', 'a: [ ]#c\nb: {x: 1}#c\n', false],
  ["# right after a single-quoted item", "- 'a'#c\n", false],
];

test('tricky documents parse the same on both paths', () => {
  const wrong = TRICKY.filter(([name, text, fast]) => agree(text, name) !== fast).map(([name, , fast]) => `${name} (fast: ${!fast})`);
  assert.deepEqual(wrong, []);
});

test('an alias bomb goes to the reference, which limits alias expansion', () => {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) lines.push(`${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(9).fill(`*${'abcdefghi'[i - 1]}`).join(',')}]`);
  const text = lines.join('\n') + '\n';
  assert.equal(parseManifestsFast(text), null);
  const r = parseManifests(text);
  assert.equal(r.syntaxError, true);
  assert.match(r.problems[0]?.message ?? '', /alias/i);
});

test('a document seen before is not parsed again', () => {
  const a = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cached-a\n';
  const b = (n: number): string => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cached-b\n  labels: {n: "${n}"}\n`;
  const first = parseManifests(`${a}---\n${b(1)}`);
  const second = parseManifests(`# moved\n${a}---\n${b(2)}`);
  // Same text, same value object (the cache); the changed document is parsed anew.
  assert.equal(second.documents[0]?.value, first.documents[0]?.value);
  assert.notEqual(second.documents[1]?.value, first.documents[1]?.value);
  assert.deepEqual(second.documents[1]?.value, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cached-b', labels: { n: '2' } } });
  assert.deepEqual(second, parseManifestsWithYaml(`# moved\n${a}---\n${b(2)}`));
});
