import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoalescedRuns } from './coalesced-runs.js';

test('CoalescedRuns: one pass at a time; requests during a pass coalesce into one follow-up; stop ends follow-ups', async () => {
  let passes = 0;
  let release: () => void = () => undefined;
  const runs = new CoalescedRuns(async () => {
    passes++;
    await new Promise<void>((r) => (release = r));
  });
  const first = runs.request();
  const second = runs.request();
  const third = runs.request();
  assert.equal(second, first);
  assert.equal(third, first);
  assert.equal(passes, 1);
  release();
  await new Promise((r) => setImmediate(r));
  assert.equal(passes, 2); // the three requests made one follow-up
  release();
  await first;
  assert.equal(passes, 2);

  void runs.request();
  runs.request(); // would be a follow-up, but stop() drops it
  const stopped = runs.stop();
  release();
  await stopped;
  assert.equal(passes, 3);
});
