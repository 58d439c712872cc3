import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { KubeObject } from '../../api/types.js';
import { buildSnapshot, type Snapshot } from '../snapshot.js';
import { FileSource } from './file-source.js';

// An incremental load keeps the snapshot of what it serves up to date (updateSnapshot) and
// hands it out with the objects, so nothing sorts everything again. Through random adds, edits and deletes of files, that snapshot must be exactly the one
// sorted from scratch (the very same objects in the same order), and equal to the snapshot of a
// source that loads everything each time.

const TIMESTAMPS = ['', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00.500Z', '2020-01-01T00:00:01Z', '2020-01-01T02:00:00+02:00', '2020-01-01T00:00:00.0001Z'];

function created(v: number): string {
  const ts = TIMESTAMPS[v % TIMESTAMPS.length]!;
  return ts === '' ? '' : `  creationTimestamp: "${ts}"\n`;
}

/** Documents by [template, variant]; names come from small pools, so files define the same keys (duplicates). */
const DOCS: ((v: number) => string)[] = [
  (v) => `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r${v % 25}\n  namespace: app\nspec:\n  hostnames: [h${v % 3}.example.com]\n`,
  (v) => `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: t${v % 6}\n  namespace: app\n${created(v)}spec:\n  hostnames: [t.example.com]\n`,
  (v) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: s${v % 4}\n  namespace: app\n  annotations: {waygate.dev/endpoint-addresses: "127.0.0.${v % 3}"}\nspec:\n  ports: [{name: http, port: 80}]\n`,
  (v) => `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: g${v % 3}\n  namespace: app\nspec:\n  gatewayClassName: waygate\n  listeners: [{name: http, port: ${8000 + (v % 2)}, protocol: HTTP}]\n`,
  (v) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns${v % 2}\n${created(v + 1)}`,
  (v) => `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: bad${v % 2}\n  namespace: app\nspec:\n  hostnames: [${v % 2 ? 'Not_Valid' : 'fine.example.com'}]\n`,
];

test('the snapshot kept up to date by incremental loads is the one sorted from scratch', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'waygate-fs-snap-'));
  let seed = 5;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >>> 8) % n;
  };
  let now = 0;
  const clock = (): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, now));
  const incremental = new FileSource(dir, { clock });
  const full = new FileSource(dir, { clock });
  const files = new Map<string, [number, number][]>();
  const doc = (): [number, number] => [rnd(DOCS.length), rnd(60)];
  const write = (file: string): void => writeFileSync(join(dir, file), files.get(file)!.map(([d, v]) => DOCS[d]!(v)).join('---\n'));
  const seen = { kept: 0, spliced: 0, odd: 0, duplicates: 0, deletes: 0 };
  let previous: Snapshot | null = null;
  let nextFile = 0;
  try {
    for (let i = 0; i < 20; i++) {
      const file = `f${String(nextFile++).padStart(3, '0')}.yaml`;
      files.set(file, Array.from({ length: 1 + rnd(4) }, doc));
      write(file);
    }
    for (let step = 0; step < 150; step++) {
      const changed = new Set<string>();
      for (let k = 1 + rnd(3); k > 0; k--) {
        const r = rnd(10);
        const names = [...files.keys()];
        if (r < 3 || names.length === 0) {
          const file = `f${String(nextFile++).padStart(3, '0')}.yaml`;
          files.set(file, Array.from({ length: 1 + rnd(2) }, doc));
          write(file);
          changed.add(file);
        } else if (r < 5) {
          const file = names[rnd(names.length)]!;
          files.delete(file);
          unlinkSync(join(dir, file));
          changed.add(file);
          seen.deletes++;
        } else {
          const file = names[rnd(names.length)]!;
          const docs = files.get(file)!;
          if (r === 5) docs.push(doc());
          else if (r === 6 && docs.length > 1) docs.splice(rnd(docs.length), 1);
          else docs[rnd(docs.length)]![1] = rnd(60);
          write(file);
          changed.add(file);
        }
      }
      now = step % 7 === 0 ? now : step; // some steps share a clock reading: ties on age
      const a = await incremental.load(step === 0 ? null : changed);
      const b = await full.load();
      assert.deepEqual(a, b, `step ${step}`);
      const snapshot = a.snapshot;
      const scratch = buildSnapshot([...a.objects]);
      assert.notEqual(snapshot, scratch);
      for (const [field, list] of Object.entries(scratch) as [keyof Snapshot, KubeObject[]][]) {
        const got = snapshot[field] ?? [];
        assert.ok(list.length === got.length && list.every((o, i) => o === got[i]), `step ${step}: ${field}`);
        if (previous !== null && a.changed) {
          if (got === previous[field]) seen.kept++;
          else if (list.length > 0) seen.spliced++;
        }
      }
      assert.deepEqual(snapshot, buildSnapshot(b.objects), `step ${step}: the full source's snapshot`);
      if (a.objects.some((o) => /\+|\.\d{4}/.test(o.metadata.creationTimestamp ?? ''))) seen.odd++;
      if (a.issues.some((i) => i.message.startsWith('duplicate'))) seen.duplicates++;
      previous = snapshot;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Kinds without a change kept their arrays (the incremental path ran), others were spliced.
  for (const [what, count] of Object.entries(seen)) assert.ok(count > 0, `no step with ${what}`);
});
