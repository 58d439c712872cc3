import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../test/support/prng.js';
import { assertValidDiff } from '../../test/support/assert-diff.js';
import { alignByIdentity, changeBudget, recordDiff } from './identity-diff.js';

/** Integers in [0, n) from the shared seeded PRNG. */
function ints(seed: number): (n: number) => number {
  const next = prng(seed);
  return (n) => Math.floor(next() * n);
}

/** `list` behind a Proxy that counts reads of its elements. */
function counted<T>(list: T[]): { list: T[]; reads: () => number } {
  let n = 0;
  const proxy = new Proxy(list, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) n++;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { list: proxy, reads: () => n };
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
    assertValidDiff(old, next, d, `step ${step}`);
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

// A stage that knows its edits records them; alignByIdentity hands them back without reading
// an element, they are a valid alignment, and they are not used for another pair of lists.
test('recordDiff: recorded edits come back for the same two lists without reading an element', () => {
  const rnd = ints(12);
  let serial = 0;
  const obj = (): object => ({ n: serial++ });
  for (let step = 0; step < 500; step++) {
    const old = Array.from({ length: rnd(40) }, obj);
    // Edits as a stage makes them: walk the old list, drop some, insert new ones anywhere.
    const next: object[] = [];
    const removed: number[] = [];
    const inserted: number[] = [];
    const insertSome = (): void => {
      for (let k = rnd(4) === 0 ? 1 + rnd(3) : 0; k > 0; k--) {
        inserted.push(next.length);
        next.push(obj());
      }
    };
    for (let i = 0; i < old.length; i++) {
      insertSome();
      if (rnd(5) === 0) removed.push(i);
      else next.push(old[i]!);
    }
    insertSome();
    const from = counted(old);
    const to = counted(next);
    recordDiff(from.list, to.list, removed, inserted);
    const d = alignByIdentity(from.list, to.list, Infinity);
    assert.ok(d !== null);
    assert.equal(from.reads() + to.reads(), 0, `step ${step}: no element read`);
    assert.equal(d.removed, removed);
    assert.equal(d.inserted, inserted);
    assertValidDiff(old, next, d, `step ${step}`);
    if (removed.length + inserted.length > 0) assert.equal(alignByIdentity(from.list, to.list, removed.length + inserted.length - 1), null, 'past the budget');
    const other = counted([...old]);
    const walked = alignByIdentity(other.list, to.list, Infinity);
    assert.ok(walked !== null);
    assert.ok(other.reads() > 0 || old.length === 0 || next.length === 0, `step ${step}: another old list is walked`);
  }
});

test('alignByIdentity: a second alignment of the same two lists reads no element', () => {
  const old = Array.from({ length: 100 }, (_, n) => ({ n }));
  const next = [...old.slice(0, 40), { n: -1 }, ...old.slice(41)];
  const a = counted(old);
  const b = counted(next);
  const first = alignByIdentity(a.list, b.list, changeBudget(next.length));
  const reads = a.reads() + b.reads();
  assert.ok(reads > 0);
  const second = alignByIdentity(a.list, b.list, changeBudget(next.length));
  assert.ok(first !== null && second !== null);
  assert.equal(a.reads() + b.reads(), reads);
  assert.deepEqual([second.removed, second.inserted, [...second.oldToNew], [...second.newToOld]], [first.removed, first.inserted, [...first.oldToNew], [...first.newToOld]]);
});

test('recordDiff: edits that do not fit the lengths are refused', () => {
  assert.throws(() => recordDiff([{}, {}], [{}], [], []), /internal: a recorded diff of 2 → 1 elements/);
});
