import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { formatIssue, listManifestFiles, loadDirectory, loadText } from './load.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'waygate-load-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const NS = (name: string): string => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

test('lists .yaml/.yml/.json recursively, sorted, skipping dot-files and dot-directories', async () => {
  mkdirSync(join(dir, 'b'));
  mkdirSync(join(dir, '.git'));
  mkdirSync(join(dir, '..data'));
  for (const f of ['z.yaml', 'a.yml', 'm.json', 'b/c.yaml', 'notes.txt', '.hidden.yaml', '.git/x.yaml', '..data/ns.yaml', 'UPPER.YAML']) {
    writeFileSync(join(dir, f), NS('x'));
  }
  // ConfigMap-volume style: a visible symlink into a dot-directory is followed.
  symlinkSync(join(dir, '..data', 'ns.yaml'), join(dir, 'linked.yaml'));
  assert.deepEqual(await listManifestFiles(dir), ['UPPER.YAML', 'a.yml', 'b/c.yaml', 'linked.yaml', 'm.json', 'z.yaml']);
});

test('loadDirectory reads JSON and YAML files and reports duplicates across files', async () => {
  writeFileSync(join(dir, 'a.yaml'), NS('one') + '---\n' + NS('two'));
  writeFileSync(join(dir, 'b.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'two' } }));
  const r = await loadDirectory(dir);
  assert.deepEqual(r.objects.map((o) => o.metadata.name), ['one', 'two']);
  assert.equal(r.issues.length, 1);
  assert.equal(
    formatIssue(r.issues[0]!),
    'b.json: document 1 (Namespace two): duplicate Namespace two: already defined in a.yaml document 2; this one is ignored',
  );
});

test('loadDirectory throws only when the directory itself is missing', async () => {
  await assert.rejects(loadDirectory(join(dir, 'nope')));
});

test('empty documents are skipped but still counted', () => {
  const r = loadText('f.yaml', `---\n# just a comment\n---\n${NS('a')}---\n---\nkind: Namespace\nmetadata: {name: b}\n`);
  assert.deepEqual(r.objects.map((o) => `${o.document} ${o.object.metadata.name}`), ['2 a']);
  assert.deepEqual(r.issues.map((i) => `${i.document} ${i.path} ${i.message}`), ['4 apiVersion is required']);
});

test('a document that is not a mapping is an issue', () => {
  const r = loadText('f.yaml', '- just\n- a list\n');
  assert.equal(r.objects.length, 0);
  assert.equal(r.issues[0]?.message, 'document must be a mapping with apiVersion, kind and metadata');
});

test('formatIssue names file, document, object and path', () => {
  const base = { file: 'routes.yaml', document: 2, severity: 'error' as const };
  assert.equal(
    formatIssue({ ...base, kind: 'HTTPRoute', name: 'foo', namespace: 'app', path: 'spec.rules[0].matches[0].path.type', message: 'must be one of Exact, PathPrefix, RegularExpression' }),
    'routes.yaml: document 2 (HTTPRoute app/foo): spec.rules[0].matches[0].path.type: must be one of Exact, PathPrefix, RegularExpression',
  );
  assert.equal(formatIssue({ ...base, kind: 'GatewayClass', name: 'gc', namespace: null, path: '', message: 'x' }), 'routes.yaml: document 2 (GatewayClass gc): x');
  assert.equal(formatIssue({ ...base, kind: null, name: null, namespace: null, path: '', message: 'YAML syntax error' }), 'routes.yaml: document 2: YAML syntax error');
});

test('Secret values never appear in issues', () => {
  const r = loadText('s.yaml', 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  key: "sup3r s3cret!"\nstringData:\n  other: 12\n');
  const text = r.issues.map(formatIssue).join('\n');
  assert.ok(r.issues.length > 0);
  assert.ok(!text.includes('sup3r'), text);
});

test('loadText: an unchanged document of a changed file is not validated again (same object back)', () => {
  const a = loadText('f.yaml', NS('one') + '---\n' + NS('two'));
  const b = loadText('f.yaml', NS('one') + '---\n' + NS('three'));
  assert.equal(b.objects[0]!.object, a.objects[0]!.object, 'document 1 unchanged: the cached object');
  assert.notEqual(b.objects[1]!.object, a.objects[1]!.object);
  assert.equal(b.objects[1]!.object.metadata.name, 'three');
  // Directives make a document depend on more than its own text: no reuse then.
  const c = loadText('g.yaml', '%YAML 1.2\n---\n' + NS('one'));
  const d = loadText('g.yaml', '%YAML 1.2\n---\n' + NS('one'));
  assert.notEqual(d.objects[0]!.object, c.objects[0]!.object);
  assert.deepEqual(d.objects[0]!.object, c.objects[0]!.object);
});

test('loadText: documents validated in place give, on every later load of the same text, what a fresh parse gives', async () => {
  const { parseManifestsWithYaml } = await import('./parse.js');
  const { normalizeDocument } = await import('./document.js');
  const nonce = `${process.pid}-${Date.now()}`;
  // A warning each (cluster-scoped namespace, a pruned unknown field), a folded Secret, a List,
  // a rejected document, and defaults (HTTPRoute rules and matches).
  const text = [
    `apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: gc-${nonce}\n  namespace: ignored\nspec:\n  controllerName: example.com/x\n  extra: pruned\n`,
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s-${nonce}\nstringData:\n  token: abc\n`,
    `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: ns-${nonce}\n- apiVersion: gateway.networking.k8s.io/v1\n  kind: HTTPRoute\n  metadata:\n    name: r-${nonce}\n  spec:\n    rules:\n    - backendRefs:\n      - name: svc\n        port: 80\n`,
    `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: bad-${nonce}\nspec:\n  hostnames: ["-bad-"]\n`,
  ].join('---\n');
  const fresh = parseManifestsWithYaml(text).documents.map((d) => normalizeDocument(d.value));
  const want = { objects: fresh.flatMap((n) => (n.object ? [n.object] : [])), issues: fresh.flatMap((n) => n.issues.map((i) => i.message)) };
  const first = loadText('a.yaml', text);
  for (const load of [first, loadText('a.yaml', text), loadText('b.yaml', text)]) {
    assert.deepEqual(load.objects.map((o) => o.object), want.objects);
    assert.deepEqual(load.issues.map((i) => i.message), want.issues);
  }
  assert.ok(want.issues.some((m) => m.includes('cluster-scoped')) && want.issues.length >= 3, want.issues.join('; '));
  assert.equal(loadText('b.yaml', text).objects[0]!.object, first.objects[0]!.object, 'the same object comes back');
});

test('loadText: a document a served file holds keeps its cache entry past the cache\'s sweep size, so its value is not validated again', async () => {
  const { DOCUMENT_CACHE_SWEEP, documentCacheEntry } = await import('./document-cache.js');
  const nonce = `${process.pid}-${Date.now()}`;
  const a = `apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: gc-${nonce}\n  namespace: ignored\nspec:\n  controllerName: example.com/x\n`;
  const b = a.replace(`gc-${nonce}`, `gc2-${nonce}`);
  const first = loadText('a.yaml', a); // holds a's entry (cacheEntries), as FileSource does
  // More held texts than the sweep size: the next new text (b's) sweeps, and must keep a's.
  const hold = Array.from({ length: DOCUMENT_CACHE_SWEEP }, (_, i) => documentCacheEntry(`fill ${nonce} ${i}`));
  const second = loadText('b.yaml', `${a}---\n${b}`);
  assert.deepEqual(second.issues.filter((i) => i.document === 1).map((i) => i.message), first.issues.map((i) => i.message));
  assert.equal(first.issues.length, 1, 'the cluster-scoped warning');
  assert.equal(second.objects[0]!.object, first.objects[0]!.object);
  assert.equal(hold.length, DOCUMENT_CACHE_SWEEP);
});
