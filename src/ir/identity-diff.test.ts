import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../test/support/prng.js';
import { alignByIdentity, changeBudget } from './identity-diff.js';

/** Integers in [0, n) from the shared seeded PRNG. */
function ints(seed: number): (n: number) => number {
  const next = prng(seed);
  return (n) => Math.floor(next() * n);
}

// Along random edits (replace, insert, remove, runs of either, anywhere) the alignment must be
// valid: kept elements identical and in order, every position either kept or listed once.
test('alignByIdentity: a valid, order-keeping alignment along random edits', () => {
  const rnd = ints(11);
  let serial = 0;
  const obj = (): object => ({ n: serial++ });
  let aligned = 0;
  for (let step = 0; step < 2000; step++) {
    const old = Array.from({ length: rnd(60) }, obj);
    const next = [...old];
    for (let k = rnd(5); k > 0; k--) {
      const at = rnd(next.length + 1);
      const run = rnd(4) === 0 ? 1 + rnd(20) : 1;
      const op = rnd(3);
      if (op === 0) next.splice(at, run);
      else if (op === 1) next.splice(at, 0, ...Array.from({ length: run }, obj));
      else next.splice(at, run, ...Array.from({ length: run }, obj));
    }
    const d = alignByIdentity(old, next, Infinity);
    assert.ok(d !== null);
    aligned++;
    let last = -1;
    for (let i = 0; i < old.length; i++) {
      const j: number = d.oldToNew[i]!;
      if (j === -1) continue;
      assert.equal(next[j], old[i], `step ${step}: kept elements are the same object`);
      assert.equal(d.newToOld[j], i);
      assert.ok(j > last, `step ${step}: order kept`);
      last = j;
    }
    assert.deepEqual([...d.removed], [...old.keys()].filter((i) => d.oldToNew[i] === -1));
    assert.deepEqual([...d.inserted], [...next.keys()].filter((j) => d.newToOld[j] === -1));
    // What is reported changed stays close to what changed (a replaced run probed on the
    // diagonal may take an element that stayed along).
    const inNext = new Set(next);
    const inOld = new Set(old);
    const changed = old.filter((x) => !inNext.has(x)).length + next.filter((x) => !inOld.has(x)).length;
    assert.ok(d.removed.length + d.inserted.length <= 4 * changed, `step ${step}: ${d.removed.length}+${d.inserted.length} reported for ${changed}`);
    if (changed === 0) assert.deepEqual([d.removed.length, d.inserted.length], [0, 0]);
  }
  assert.equal(aligned, 2000);
});

test('alignByIdentity: a replaced run longer than the lookahead (an edited file of routes) costs its length', () => {
  const old = Array.from({ length: 5000 }, (_, n) => ({ n }));
  const next = [...old.slice(0, 2000), ...Array.from({ length: 100 }, (_, n) => ({ n: -n })), ...old.slice(2100)];
  const d = alignByIdentity(old, next, changeBudget(next.length));
  assert.ok(d !== null);
  assert.deepEqual([d.removed.length, d.inserted.length], [100, 100]);
  assert.deepEqual([d.removed[0], d.removed[99], d.inserted[0], d.inserted[99]], [2000, 2099, 2000, 2099]);
  assert.equal(d.oldToNew[2100], 2100);
});

test('alignByIdentity: a run longer than the lookahead (a deleted file of routes) costs its length', () => {
  const old = Array.from({ length: 5000 }, (_, n) => ({ n }));
  const next = [...old.slice(0, 2000), ...old.slice(2100)];
  const d = alignByIdentity(old, next, changeBudget(next.length));
  assert.ok(d !== null);
  assert.equal(d.removed.length, 100);
  assert.equal(d.inserted.length, 0);
  const back = alignByIdentity(next, old, changeBudget(old.length));
  assert.ok(back !== null);
  assert.deepEqual([back.removed.length, back.inserted.length], [0, 100]);
  assert.equal(alignByIdentity(old, next, 99), null, 'past the budget');
});
