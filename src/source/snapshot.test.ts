import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.js';
import { assertAlignsValidly } from '../../test/support/assert-diff.js';
import { buildSnapshot, compareByAgeThenKey, updateSnapshot } from './snapshot.js';

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

test('updateSnapshot gives what buildSnapshot gives from scratch, through random changes', () => {
  // Plain timestamps (splice path) and, in some rounds, odd ones (a kind sorted again).
  const plainShapes = ['2026-01-01T00:00:01Z', '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:01.5Z', '2026-01-01T00:00:02Z', '2026-01-01T00:00:00.250Z', undefined];
  const oddShapes = ['2026-01-01T02:00:00+02:00', '2026-01-01T01:00:00+00:00', '2026-01-01T00:00:01.0001Z', 'garbage'];
  let seed = 11;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >>> 8) % n;
  };
  let serial = 0;
  const make = (odd: boolean): KubeObject => {
    const kind = ['HTTPRoute', 'HTTPRoute', 'Service', 'Gateway', 'Widget'][rnd(5)]!;
    // Odd ones on Services only: the other kinds keep the splice path.
    const shapes = odd && kind === 'Service' && rnd(3) === 0 ? oddShapes : plainShapes;
    const ts = shapes[rnd(shapes.length)];
    // Unique names: no two objects of a kind share a key.
    const metadata = { name: `o${rnd(50)}-${serial++}`, namespace: `ns${rnd(3)}`, ...(ts ? { creationTimestamp: ts } : {}) };
    return { apiVersion: 'v1', kind, metadata } as KubeObject;
  };
  const fields = ['httpRoutes', 'services', 'gateways', 'namespaces'] as const;
  const seen = { spliced: 0, shared: 0, resorted: 0 };
  for (const odd of [false, true]) {
    let objects = Array.from({ length: 200 }, () => make(odd));
    let snapshot = buildSnapshot(objects);
    for (let round = 0; round < 60; round++) {
      const removed = new Set<KubeObject>();
      const added: KubeObject[] = [];
      const next = objects.filter((o) => (rnd(round % 3 === 0 ? 4 : 60) === 0 ? (removed.add(o), false) : true));
      for (let k = rnd(4); k > 0; k--) added.push(make(odd));
      // Inserted anywhere, and sometimes the rest reordered too.
      for (const o of added) next.splice(rnd(next.length + 1), 0, o);
      if (rnd(4) === 0) next.reverse();
      const before = fields.map((field) => [...snapshot[field]]);
      const updated = updateSnapshot(snapshot, next, removed, added);
      assert.ok(updated !== null, `round ${round}`);
      const scratch = buildSnapshot([...next]);
      for (const field of fields) {
        assert.equal(updated[field].length, scratch[field].length, `${field}, round ${round}`);
        assert.ok(updated[field].every((o, i) => o === scratch[field][i]), `${field}, round ${round}: the same objects in the same order`);
        const changedKind = [...removed, ...added].some((o) => buildSnapshot([o])[field].length > 0);
        // The splice records its edits for the next stage (ir/identity-diff.ts).
        if (updated[field] !== snapshot[field]) assertAlignsValidly(snapshot[field], updated[field], `${field}, round ${round}`);
        if (updated[field] === snapshot[field]) {
          assert.ok(!changedKind, `${field} changed but its array was kept`);
          seen.shared++;
        } else if (changedKind) seen.spliced++;
        else seen.resorted++;
      }
      fields.forEach((field, i) => assert.deepEqual(snapshot[field], before[i], `${field}: prev is left as it was`));
      objects = next;
      snapshot = updated;
    }
  }
  for (const [what, count] of Object.entries(seen)) assert.ok(count > 0, `no ${what} field`);
});

test('updateSnapshot refuses changes that do not fit the snapshot', () => {
  const a = obj('a', '2026-01-01T00:00:01Z');
  const b = obj('b', '2026-01-01T00:00:02Z');
  const snapshot = buildSnapshot([a]);
  assert.equal(updateSnapshot(snapshot, [a], [b], []), null, 'removing an object it does not hold');
  assert.equal(updateSnapshot(snapshot, [a, obj('a', '2026-01-01T00:00:01Z')], [], [obj('a', '2026-01-01T00:00:01Z')]), null, 'a second object with the same key and age');
  assert.equal(updateSnapshot(snapshot, [a, b], [], [b])?.configMaps.length, 2);
  assert.equal(updateSnapshot(snapshot, [a], [], []), snapshot, 'no change: the same snapshot');
});

test('compareByAgeThenKey orders kinds the snapshot does not hold by key too', () => {
  const w = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Widget', metadata: { name, namespace: 'ns' } }) as KubeObject;
  assert.equal(compareByAgeThenKey(w('a'), w('b')), -1);
  assert.equal(compareByAgeThenKey(w('b'), w('a')), 1);
});

test('updateSnapshot takes the objects as a function, called only to sort a kind again', () => {
  const a = obj('a', '2026-01-01T00:00:01Z');
  const b = obj('b', '2026-01-01T00:00:02Z');
  const odd = obj('o', '2026-01-01T02:00:00+02:00');
  let calls = 0;
  const objects = (list: KubeObject[]) => (): KubeObject[] => (calls++, list);
  const spliced = updateSnapshot(buildSnapshot([a]), objects([a, b]), [], [b]);
  assert.deepEqual(spliced?.configMaps, [a, b]);
  assert.equal(calls, 0, 'plain timestamps: spliced without the objects');
  const resorted = updateSnapshot(buildSnapshot([a, odd]), objects([a, odd, b]), [], [b]);
  assert.deepEqual(resorted?.configMaps, [...[a, odd, b]].sort(compareByAgeThenKey));
  assert.equal(calls, 1, 'an odd timestamp: sorted again from the objects');
});
