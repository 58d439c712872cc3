import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import type { HTTPRoute, KubeObject } from '../../api/types.js';
import { buildSnapshot } from '../snapshot.js';
import { deterministicUid, FileSource } from './file-source.js';

let dir = '';
let now = 0;
const clock = (): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, now));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'waygate-fs-'));
  now = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function route(name: string, host: string, extra = ''): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: app${extra}
spec:
  hostnames: [${host}]
`;
}

function find(objects: KubeObject[], name: string): HTTPRoute {
  const o = objects.find((x) => x.kind === 'HTTPRoute' && x.metadata.name === name);
  assert.ok(o, `no HTTPRoute ${name}`);
  return o as HTTPRoute;
}

test('first load: metadata as the API server would set it', async () => {
  writeFileSync(join(dir, 'r.yaml'), route('a', 'a.example.com'));
  const src = new FileSource(dir, { clock });
  const r = await src.load();
  assert.equal(r.changed, true);
  assert.deepEqual(r.issues, []);
  const a = find(r.objects, 'a');
  assert.equal(a.metadata.generation, 1);
  assert.equal(a.metadata.creationTimestamp, '2026-01-01T00:00:00.000Z');
  assert.equal(a.metadata.uid, deterministicUid('HTTPRoute', 'app', 'a'));
  assert.match(a.metadata.uid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(a.metadata.resourceVersion);
  // Defaults are applied.
  assert.deepEqual(a.spec.rules, [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }]);
});

test('an unchanged directory reports changed: false and identical objects', async () => {
  writeFileSync(join(dir, 'r.yaml'), route('a', 'a.example.com'));
  const src = new FileSource(dir, { clock });
  const first = await src.load();
  now = 10;
  const second = await src.load();
  assert.equal(second.changed, false);
  assert.deepEqual(second.objects, first.objects);
});

test('generation bumps only on spec changes; creationTimestamp is kept; resourceVersion bumps on any change', async () => {
  writeFileSync(join(dir, 'r.yaml'), route('a', 'a.example.com'));
  const src = new FileSource(dir, { clock });
  const v1 = find((await src.load()).objects, 'a');
  now = 5;
  writeFileSync(join(dir, 'r.yaml'), route('a', 'a.example.com', '\n  labels: {team: x}'));
  const r2 = await src.load();
  const v2 = find(r2.objects, 'a');
  assert.equal(r2.changed, true);
  assert.equal(v2.metadata.generation, 1, 'a label change is not a spec change');
  assert.notEqual(v2.metadata.resourceVersion, v1.metadata.resourceVersion);
  now = 9;
  writeFileSync(join(dir, 'r.yaml'), route('a', 'b.example.com', '\n  labels: {team: x}'));
  const v3 = find((await src.load()).objects, 'a');
  assert.equal(v3.metadata.generation, 2);
  assert.equal(v3.metadata.creationTimestamp, v1.metadata.creationTimestamp);
  assert.ok(Number(v3.metadata.resourceVersion) > Number(v2.metadata.resourceVersion));
  // Reordering keys is not a change.
  writeFileSync(join(dir, 'r.yaml'), `kind: HTTPRoute\napiVersion: gateway.networking.k8s.io/v1\nspec: {hostnames: [b.example.com]}\nmetadata: {labels: {team: x}, namespace: app, name: a}\n`);
  const r4 = await src.load();
  assert.equal(r4.changed, false);
  assert.equal(find(r4.objects, 'a').metadata.generation, 2);
});

test('a creationTimestamp set by the document wins', async () => {
  writeFileSync(join(dir, 'r.yaml'), route('a', 'a.example.com', '\n  creationTimestamp: "2020-05-05T00:00:00Z"'));
  const a = find((await new FileSource(dir, { clock }).load()).objects, 'a');
  assert.equal(a.metadata.creationTimestamp, '2020-05-05T00:00:00Z');
});

test('a YAML syntax error keeps every object last loaded from that file', async () => {
  writeFileSync(join(dir, 'r.yaml'), route('a', 'a.example.com') + '---\n' + route('b', 'b.example.com'));
  writeFileSync(join(dir, 's.yaml'), route('c', 'c.example.com'));
  const src = new FileSource(dir, { clock });
  const good = await src.load();
  writeFileSync(join(dir, 'r.yaml'), route('a', 'x.example.com') + '---\n' + 'kind: HTTPRoute\nmetadata: {name: b\n');
  writeFileSync(join(dir, 's.yaml'), route('c', 'c2.example.com'));
  const bad = await src.load();
  assert.equal(bad.changed, true);
  assert.equal(bad.issues.length, 1);
  assert.equal(bad.issues[0]!.file, 'r.yaml');
  assert.match(bad.issues[0]!.message, /^YAML syntax error at line \d+, column \d+/);
  assert.deepEqual(find(bad.objects, 'a'), find(good.objects, 'a'), 'a keeps its last good version');
  assert.deepEqual(find(bad.objects, 'b'), find(good.objects, 'b'));
  assert.deepEqual(find(bad.objects, 'c').spec.hostnames, ['c2.example.com'], 'other files still reload');
  // Fixing the file serves the new content.
  writeFileSync(join(dir, 'r.yaml'), route('a', 'x.example.com'));
  const fixed = await src.load();
  assert.deepEqual(find(fixed.objects, 'a').spec.hostnames, ['x.example.com']);
  assert.equal(fixed.objects.some((o) => o.metadata.name === 'b'), false);
  assert.deepEqual(fixed.issues, []);
});

test('an invalid edit keeps the last good version of that object only', async () => {
  writeFileSync(join(dir, 'r.yaml'), route('a', 'a.example.com') + '---\n' + route('b', 'b.example.com'));
  const src = new FileSource(dir, { clock });
  const good = await src.load();
  writeFileSync(join(dir, 'r.yaml'), route('a', 'Not_Valid') + '---\n' + route('b', 'b2.example.com') + '---\n' + route('new', 'Bad_Too'));
  const r = await src.load();
  assert.deepEqual(find(r.objects, 'a'), find(good.objects, 'a'));
  assert.deepEqual(find(r.objects, 'b').spec.hostnames, ['b2.example.com']);
  assert.equal(r.objects.some((o) => o.metadata.name === 'new'), false, 'never-good objects are not served');
  assert.deepEqual(r.issues.map((i) => `${i.document} ${i.name} ${i.path}`), ['1 a spec.hostnames[0]', '3 new spec.hostnames[0]']);
});

test('deleting a file removes its objects; re-creating gives a new creationTimestamp', async () => {
  writeFileSync(join(dir, 'r.yaml'), route('a', 'a.example.com'));
  writeFileSync(join(dir, 'keep.yaml'), route('k', 'k.example.com'));
  const src = new FileSource(dir, { clock });
  await src.load();
  unlinkSync(join(dir, 'r.yaml'));
  const r = await src.load();
  assert.equal(r.changed, true);
  assert.deepEqual(r.objects.map((o) => o.metadata.name), ['k']);
  now = 30;
  writeFileSync(join(dir, 'r.yaml'), route('a', 'a.example.com'));
  const again = find((await src.load()).objects, 'a');
  assert.equal(again.metadata.creationTimestamp, '2026-01-01T00:00:30.000Z');
  assert.equal(again.metadata.generation, 1);
});

test('synthesized static EndpointSlices get metadata too and follow their Service', async () => {
  writeFileSync(join(dir, 'svc.yaml'), `apiVersion: v1
kind: Service
metadata:
  name: echo
  annotations: {waygate.dev/endpoint-addresses: "127.0.0.1"}
spec:
  ports: [{name: http, port: 80}]
`);
  const src = new FileSource(dir, { clock });
  const r = await src.load();
  const slice = r.objects.find((o) => o.kind === 'EndpointSlice');
  assert.ok(slice);
  assert.equal(slice.metadata.name, 'echo-static');
  assert.equal(slice.metadata.namespace, 'default');
  assert.equal(slice.metadata.generation, 1);
  unlinkSync(join(dir, 'svc.yaml'));
  assert.deepEqual((await src.load()).objects, []);
});

test('concurrent loads run one after the other', async () => {
  writeFileSync(join(dir, 'r.yaml'), route('a', 'a.example.com'));
  const src = new FileSource(dir, { clock });
  const [first, second] = await Promise.all([src.load(), src.load()]);
  assert.equal(first.changed, true);
  assert.equal(second.changed, false);
  assert.deepEqual(second.objects, first.objects);
});

test('load(paths) re-reads only the paths named: others keep what was read before', async () => {
  writeFileSync(join(dir, 'a.yaml'), route('a', 'a.example.com'));
  writeFileSync(join(dir, 'b.yaml'), route('b', 'b.example.com'));
  const src = new FileSource(dir, { clock });
  const first = await src.load();
  writeFileSync(join(dir, 'a.yaml'), route('a', 'a2.example.com'));
  writeFileSync(join(dir, 'b.yaml'), route('b', 'b2.example.com'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'c.yaml'), route('c', 'c.example.com'));
  const r = await src.load(new Set(['a.yaml', 'sub/c.yaml', '.hidden.yaml', 'notes.txt']));
  assert.equal(r.changed, true);
  assert.deepEqual(find(r.objects, 'a').spec.hostnames, ['a2.example.com']);
  assert.equal(find(r.objects, 'b'), find(first.objects, 'b'), 'not re-read: the very same object');
  assert.deepEqual(find(r.objects, 'c').spec.hostnames, ['c.example.com']);
  // Files keep their sorted order whatever order they were read in.
  assert.deepEqual(r.objects.map((o) => o.metadata.name), ['a', 'b', 'c']);
  // A deleted path drops its objects; an unchanged one changes nothing.
  unlinkSync(join(dir, 'sub', 'c.yaml'));
  assert.deepEqual((await src.load(new Set(['sub/c.yaml']))).objects.map((o) => o.metadata.name), ['a', 'b']);
  assert.equal((await src.load(new Set(['a.yaml']))).changed, false);
  // A full load still picks up what was never named.
  assert.deepEqual(find((await src.load()).objects, 'b').spec.hostnames, ['b2.example.com']);
});

test('a path that is a directory falls back to a full load', async () => {
  writeFileSync(join(dir, 'a.yaml'), route('a', 'a.example.com'));
  const src = new FileSource(dir, { clock });
  await src.load();
  mkdirSync(join(dir, 'odd.yaml'));
  writeFileSync(join(dir, 'odd.yaml', 'in.yaml'), route('in', 'in.example.com'));
  const r = await src.load(new Set(['odd.yaml']));
  assert.deepEqual(r.objects.map((o) => o.metadata.name), ['a', 'in']);
});

test('a file emptied by an in-place write is waited for, not loaded empty', async () => {
  writeFileSync(join(dir, 'a.yaml'), route('a', 'a.example.com'));
  const src = new FileSource(dir, { clock, settle: { graceMs: 1000 } });
  await src.load();
  truncateSync(join(dir, 'a.yaml'), 0); // the first half of an in-place save...
  const later = setTimeout(() => writeFileSync(join(dir, 'a.yaml'), route('a', 'a2.example.com')), 50); // ...then written
  const r = await src.load(new Set(['a.yaml']));
  clearTimeout(later);
  assert.deepEqual(find(r.objects, 'a').spec.hostnames, ['a2.example.com']);
});

test('a file that stays empty is loaded empty after the grace period', async () => {
  writeFileSync(join(dir, 'a.yaml'), route('a', 'a.example.com'));
  const src = new FileSource(dir, { clock, settle: { graceMs: 40 } });
  await src.load();
  truncateSync(join(dir, 'a.yaml'), 0);
  const t0 = Date.now();
  const r = await src.load(new Set(['a.yaml']));
  assert.ok(Date.now() - t0 >= 35, 'waited for the grace period');
  assert.deepEqual(r.objects, []);
  // Known empty now: the next load does not wait again.
  const t1 = Date.now();
  await src.load(new Set(['a.yaml']));
  assert.ok(Date.now() - t1 < 35);
});

test('served objects: apiVersion, kind, metadata (the document\'s keys but ours, then ours), then the rest in document order', async () => {
  writeFileSync(
    join(dir, 'a.yaml'),
    `kind: Service
spec: {ports: [{name: http, port: 80}]}
metadata:
  labels: {a: b}
  creationTimestamp: "2020-01-01T00:00:00Z"
  uid: mine
  name: s
  generation: 7
  namespace: app
apiVersion: v1
`,
  );
  const { objects } = await new FileSource(dir, { clock }).load();
  const svc = objects.find((o) => o.kind === 'Service')!;
  assert.deepEqual(Object.keys(svc), ['apiVersion', 'kind', 'metadata', 'spec']);
  assert.deepEqual(Object.keys(svc.metadata), ['labels', 'creationTimestamp', 'name', 'namespace', 'uid', 'generation', 'resourceVersion']);
  assert.equal(svc.metadata.uid, deterministicUid('Service', 'app', 's'));
  assert.equal(svc.metadata.generation, 1);
  assert.equal(svc.metadata.creationTimestamp, '2020-01-01T00:00:00Z');
});

test('a load keeps its own objects and snapshot, read after later loads; changed follows their order', async () => {
  writeFileSync(join(dir, 'a.yaml'), [route('a1', 'a1.example.com'), route('a2', 'a2.example.com')].join('---\n'));
  writeFileSync(join(dir, 'b.yaml'), route('b', 'b.example.com'));
  const src = new FileSource(dir, { clock });
  const first = await src.load();
  writeFileSync(join(dir, 'c.yaml'), route('c', 'c.example.com'));
  const added = await src.load(new Set(['c.yaml']));
  unlinkSync(join(dir, 'b.yaml'));
  const removed = await src.load(new Set(['b.yaml']));
  // The same objects in another order is a change; the same order again is not.
  writeFileSync(join(dir, 'a.yaml'), [route('a2', 'a2.example.com'), route('a1', 'a1.example.com')].join('---\n'));
  const reordered = await src.load(new Set(['a.yaml']));
  writeFileSync(join(dir, 'a.yaml'), `# a comment\n${[route('a2', 'a2.example.com'), route('a1', 'a1.example.com')].join('---\n')}`);
  const same = await src.load(new Set(['a.yaml']));
  const names = (l: { objects: KubeObject[] }): string[] => l.objects.map((o) => o.metadata.name);
  // Read only now, after every load.
  assert.deepEqual(names(first), ['a1', 'a2', 'b']);
  assert.deepEqual(names(added), ['a1', 'a2', 'b', 'c']);
  assert.deepEqual(names(removed), ['a1', 'a2', 'c']);
  assert.deepEqual(names(reordered), ['a2', 'a1', 'c']);
  assert.deepEqual(names(same), ['a2', 'a1', 'c']);
  assert.deepEqual([first, added, removed, reordered, same].map((l) => l.changed), [true, true, true, true, false]);
  assert.equal(reordered.objects[0], removed.objects[1], 'the very same output objects');
  for (const l of [first, added, removed, reordered, same]) {
    assert.equal(l.count, l.objects.length);
    assert.deepEqual(l.snapshot, buildSnapshot([...l.objects]), 'the snapshot handed out is the one sorted from scratch');
    assert.deepEqual(l.snapshot.httpRoutes.map((o) => o.metadata.name), [...names(l)].sort(), 'one creationTimestamp: by name');
  }
});
