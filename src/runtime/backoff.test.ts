import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs } from './backoff.js';

test('backoffMs: doubles from the base up to the cap; jitter stays within ±20 %', () => {
  assert.deepEqual([0, 1, 2, 6, 7, 40].map((f) => backoffMs(f, 500, 30_000, false)), [500, 1000, 2000, 30_000, 30_000, 30_000]);
  for (let i = 0; i < 200; i++) {
    const ms = backoffMs(2, 500, 30_000, true);
    assert.ok(ms >= 1600 && ms <= 2400, String(ms));
  }
});
