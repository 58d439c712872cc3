import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.js';
import { buildSnapshot, compareByAgeThenKey } from './snapshot.js';

function obj(name: string, creationTimestamp?: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', ...(creationTimestamp ? { creationTimestamp } : {}) } };
}

test('compareByAgeThenKey: oldest first, then namespace/name', () => {
  const sorted = [obj('b', '2026-01-01T00:00:02Z'), obj('c', '2026-01-01T00:00:01Z'), obj('a', '2026-01-01T00:00:02Z')]
    .sort(compareByAgeThenKey)
    .map((o) => o.metadata.name);
  assert.deepEqual(sorted, ['c', 'a', 'b']);
});

test('compareByAgeThenKey: whole seconds and milliseconds compare as instants', () => {
  // As text, '…00:00:01.500Z' < '…00:00:01Z' ('.' sorts before 'Z'); as instants it is newer.
  const older = obj('z', '2026-01-01T00:00:01Z');
  const newer = obj('a', '2026-01-01T00:00:01.500Z');
  assert.equal(compareByAgeThenKey(older, newer), -1);
  assert.equal(compareByAgeThenKey(newer, older), 1);
  // The same instant in both shapes falls back to the key.
  assert.equal(compareByAgeThenKey(obj('a', '2026-01-01T00:00:01.000Z'), obj('b', '2026-01-01T00:00:01Z')), -1);
});

test('buildSnapshot sorts each kind exactly as sorting with compareByAgeThenKey does, call after call', () => {
  // Timestamps of several shapes (and some that do not parse), names that tie on age.
  const shapes = ['2026-01-01T00:00:01Z', '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:01.500Z', '2026-01-01T00:00:02Z', '2026-01-01T02:00:00+02:00', 'garbage', 'later', undefined];
  let seed = 3;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const make = (i: number): KubeObject => {
    const ts = shapes[rnd(shapes.length)];
    const kind = ['HTTPRoute', 'Service', 'Namespace', 'Widget'][rnd(4)]!;
    const metadata = { name: `o${rnd(40)}-${i}`, ...(kind === 'Namespace' ? {} : { namespace: `ns${rnd(3)}` }), ...(ts ? { creationTimestamp: ts } : {}) };
    return { apiVersion: 'v1', kind, metadata } as KubeObject;
  };
  let objects = Array.from({ length: 300 }, (_, i) => make(i));
  for (let round = 0; round < 3; round++) {
    const snapshot = buildSnapshot(objects);
    for (const [kind, field] of [['HTTPRoute', 'httpRoutes'], ['Service', 'services'], ['Namespace', 'namespaces']] as const) {
      const expected = objects.filter((o) => o.kind === kind).sort(compareByAgeThenKey);
      assert.deepEqual(snapshot[field].map((o) => o.metadata.name), expected.map((o) => o.metadata.name), `${field}, round ${round}`);
      assert.ok(snapshot[field].every((o, i) => o === expected[i]), 'the very same objects');
    }
    assert.equal(Object.values(snapshot).flat().length, objects.filter((o) => o.kind !== 'Widget').length, 'unknown kinds are left out');
    // The next pass: most objects kept (their sort keys are cached), some replaced, some new.
    objects = objects.map((o, i) => (rnd(5) === 0 ? make(1000 * (round + 1) + i) : o)).concat(Array.from({ length: 20 }, (_, i) => make(5000 + 100 * round + i)));
  }
});
