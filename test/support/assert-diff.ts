import assert from 'node:assert/strict';
import { alignByIdentity, type IdentityDiff } from '../../src/ir/identity-diff.js';

/** Kept elements identical and in order, every position either kept or listed once. */
export function assertValidDiff(old: readonly unknown[], next: readonly unknown[], d: IdentityDiff, label: string): void {
  let last = -1;
  for (let i = 0; i < old.length; i++) {
    const j: number = d.oldToNew[i]!;
    if (j === -1) continue;
    assert.equal(next[j], old[i], `${label}: kept elements are the same object`);
    assert.equal(d.newToOld[j], i, `${label}: newToOld mirrors oldToNew`);
    assert.ok(j > last, `${label}: order kept`);
    last = j;
  }
  assert.deepEqual([...d.removed], [...old.keys()].filter((i) => d.oldToNew[i] === -1), `${label}: removed`);
  assert.deepEqual([...d.inserted], [...next.keys()].filter((j) => d.newToOld[j] === -1), `${label}: inserted`);
}

/** What alignByIdentity gives for `old` → `next` (a recorded diff when there is one) is valid. */
export function assertAlignsValidly(old: readonly unknown[], next: readonly unknown[], label: string): void {
  const d = alignByIdentity(old, next, Infinity);
  assert.ok(d !== null, label);
  assertValidDiff(old, next, d, label);
}
