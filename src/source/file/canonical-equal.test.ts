import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalEqual, equalExcept } from './canonical-equal.js';

/** Stable JSON (keys sorted): canonicalEqual must say what comparing these strings says. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const VALUES: unknown[] = [
  null, undefined, NaN, Infinity, -Infinity, 0, -0, 1, 1.5, '1', '', 'null', true, false, 'true',
  [], {}, [null], [undefined], [1, 2], [2, 1], ['1', 2], [[1], 2],
  { a: 1 }, { a: 1, b: 2 }, { b: 2, a: 1 }, { a: undefined }, { a: null }, { a: NaN }, { b: 1 }, { a: '1' },
  { a: { b: [1, { c: 2 }] } }, { a: { b: [1, { c: 3 }] } }, { a: { b: [1, { c: 2, d: undefined }] } },
  { a: [] }, { a: {} }, { 0: 'x' }, ['x'], { __proto__: null, a: 1 },
  // Inherited enumerable keys are not the object's own (JSON leaves them out).
  Object.create({ a: 1 }), Object.assign(Object.create({ a: 1 }), { b: 2 }),
];

test('canonicalEqual agrees with comparing stable JSON, for every pair', () => {
  for (const a of VALUES) {
    for (const b of VALUES) {
      assert.equal(canonicalEqual(a, b), canonical(a) === canonical(b), `${canonical(a)} vs ${canonical(b)}`);
    }
  }
});

test('equalExcept leaves the named keys out', () => {
  const skip = new Set(['uid', 'generation']);
  assert.equal(equalExcept({ name: 'a', uid: '1' }, { uid: '2', name: 'a', generation: 3 }, skip), true);
  assert.equal(equalExcept({ name: 'a' }, { name: 'a', labels: {} }, skip), false);
  assert.equal(equalExcept({ name: 'a', labels: { x: '1' } }, { labels: { x: '1' }, name: 'a' }, skip), true);
  assert.equal(equalExcept({ name: 'a', labels: { x: '1' } }, { labels: { x: '2' }, name: 'a' }, skip), false);
});
