import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { KubeObject } from '../../api/types.js';
import { buildSnapshot, type Snapshot } from '../snapshot.js';
import { FileSource } from './file-source.js';

// `load(paths)` updates the merge for the changed files only; a full `load()` rebuilds it from
// every file. Driven through the same random edits, two sources — one told which paths changed,
// one loading everything each time — must return the same objects (with the same metadata:
// generation, resourceVersion, creationTimestamp), issues and `changed` flags.

const route = (name: string, host: string, ns = 'app'): string =>
  `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}spec:\n  hostnames: [${host}]\n`;

const service = (name: string, addresses: string): string =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: app\n  annotations: {waygate.dev/endpoint-addresses: "${addresses}"}\nspec:\n  ports: [{name: http, port: 80}]\n`;

const slice = (name: string, svc: string): string =>
  `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: ${name}\n  namespace: app\n  labels: {kubernetes.io/service-name: ${svc}}\naddressType: IPv4\nendpoints: [{addresses: [10.0.0.9]}]\n`;

/** Documents to draw from: valid, invalid (last good kept), duplicates by name, slices, oddities. */
const DOCS: ((v: number) => string)[] = [
  (v) => route('a', `a${v % 3}.example.com`),
  (v) => route('b', v % 4 === 0 ? 'Bad_Host' : `b${v % 2}.example.com`),
  (v) => route('c', `c${v % 2}.example.com`, v % 2 ? 'app' : ''),
  (v) => route('d', v % 3 === 0 ? 'Not_Valid' : 'd.example.com', ''),
  (v) => route('e', 'e.example.com').replace('spec:', `  labels: {v: "${v % 3}"}\nspec:`),
  (v) => service('echo', v % 3 === 0 ? '127.0.0.1, ::1' : v % 3 === 1 ? '127.0.0.2' : 'nope'),
  (v) => service('other', `127.0.0.${(v % 2) + 3}`),
  (v) => slice(v % 2 ? 'echo-static' : 'echo-manual', 'echo'),
  () => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n`,
  () => `apiVersion: v1\nkind: List\nitems:\n- ${route('f', 'f.example.com').trimEnd().replace(/\n/g, '\n  ')}\n`,
  () => `apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n`,
  () => `kind: HTTPRoute\nmetadata: {name: broken\n`,
  (v) => route('g', 'g.example.com').replace('metadata:\n', `metadata:\n  creationTimestamp: "2020-01-0${(v % 2) + 1}T00:00:00Z"\n`),
];

const FILES = ['a.yaml', 'b.yaml', 'c.yml', 'm.json', 'sub/d.yaml', 'z.yaml'];

test('incremental loads return what full loads return, through random edits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'waygate-fs-inc-'));
  mkdirSync(join(dir, 'sub'));
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let now = 0;
  const clock = (): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, now));
  const incremental = new FileSource(dir, { clock });
  const full = new FileSource(dir, { clock });
  const files = new Map<string, [number, number][]>();
  const seen = { duplicates: 0, rejectedKept: 0, slices: 0, syntax: 0, unchanged: 0 };
  try {
    for (const file of FILES) {
      const docs: [number, number][] = [[rnd(DOCS.length), rnd(12)], [rnd(DOCS.length), rnd(12)], [rnd(DOCS.length), rnd(12)]];
      files.set(file, docs);
      writeFileSync(join(dir, file), docs.map(([d, v]) => DOCS[d]!(v)).join('---\n'));
    }
    for (let step = 0; step < 120; step++) {
      const changed = new Set<string>();
      for (let k = 1 + rnd(2); k > 0; k--) {
        const file = FILES[rnd(FILES.length)]!;
        changed.add(file);
        // Mostly small edits (one document's variant), so that last-good versions, duplicates
        // and slices change hands; sometimes a new document, a deletion or a rewrite.
        const docs = files.get(file) ?? [];
        const r = rnd(10);
        if (r === 0) {
          files.delete(file);
          try {
            unlinkSync(join(dir, file));
          } catch {
            // not there
          }
          continue;
        }
        if (docs.length === 0 || r === 1 || r === 2) docs.push([rnd(DOCS.length), rnd(12)]);
        else if (r === 3) docs.splice(rnd(docs.length), 1);
        else if (r === 4) docs.splice(0, docs.length, [rnd(DOCS.length), rnd(12)], [rnd(DOCS.length), rnd(12)]);
        else docs[rnd(docs.length)]![1] = rnd(12);
        files.set(file, docs);
        writeFileSync(join(dir, file), docs.map(([d, v]) => DOCS[d]!(v)).join('---\n'));
      }
      now = step;
      const a = await incremental.load(step === 0 ? null : changed);
      const b = await full.load();
      assert.deepEqual(a, b, `step ${step}: ${[...changed].join(', ')}`);
      // The snapshot the incremental source kept up to date is the one sorted from scratch.
      const snapshot = a.snapshot;
      const scratch = buildSnapshot([...a.objects]);
      for (const [field, list] of Object.entries(scratch) as [keyof Snapshot, KubeObject[]][]) {
        assert.ok(list.length === snapshot[field]?.length && list.every((o, i) => o === snapshot[field]?.[i]), `step ${step}: snapshot ${field}`);
      }
      if (a.issues.some((i) => i.message.startsWith('duplicate'))) seen.duplicates++;
      if (a.issues.some((i) => i.message.startsWith('YAML syntax error'))) seen.syntax++;
      if (a.objects.some((o) => o.kind === 'EndpointSlice' && o.metadata.labels?.['endpointslice.kubernetes.io/managed-by'])) seen.slices++;
      const rejected = a.issues.filter((i) => i.severity === 'error' && i.kind === 'HTTPRoute' && !i.message.startsWith('duplicate'));
      if (rejected.some((i) => a.objects.some((o) => o.kind === 'HTTPRoute' && o.metadata.name === i.name))) seen.rejectedKept++;
      if (!a.changed) seen.unchanged++;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The edits did exercise what the bookkeeping has to get right.
  for (const [what, count] of Object.entries(seen)) assert.ok(count > 0, `no step with ${what}`);
});

test('a duplicate appearing elsewhere is a change, though nothing served changed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'waygate-fs-dup-'));
  try {
    writeFileSync(join(dir, 'a.yaml'), route('a', 'a.example.com'));
    writeFileSync(join(dir, 'b.yaml'), route('b', 'b.example.com'));
    const src = new FileSource(dir, { clock: () => new Date(0) });
    const first = await src.load();
    writeFileSync(join(dir, 'b.yaml'), `${route('b', 'b.example.com')}---\n${route('a', 'a2.example.com')}`);
    const second = await src.load(new Set(['b.yaml']));
    assert.deepEqual(second.objects, first.objects);
    assert.equal(second.changed, true);
    assert.deepEqual(second.issues.map((i) => `${i.file} ${i.document} ${i.message}`), [
      'b.yaml 2 duplicate HTTPRoute app/a: already defined in a.yaml document 1; this one is ignored',
    ]);
    // And gone again.
    writeFileSync(join(dir, 'b.yaml'), route('b', 'b.example.com'));
    const third = await src.load(new Set(['b.yaml']));
    assert.equal(third.changed, true);
    assert.deepEqual(third.issues, []);
    assert.equal((await src.load(new Set(['b.yaml']))).changed, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
