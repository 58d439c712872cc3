import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionPoint } from './partition-point.js';

test('partitionPoint: the first index where the prefix predicate stops holding', () => {
  const list = [1, 3, 3, 5, 8];
  const at = (x: number): number => partitionPoint(list.length, (i) => list[i]! < x);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 8, 9].map(at), [0, 0, 1, 1, 3, 3, 4, 5]);
  assert.equal(partitionPoint(0, () => true), 0);
});
