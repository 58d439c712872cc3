import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeTimeout, parseDuration } from './durations.js';

test('parseDuration: valid GEP-2257 durations', () => {
  const cases: [string, number][] = [
    ['0s', 0],
    ['0ms', 0],
    ['500ms', 500],
    ['1s', 1000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1h30m30s500ms', 5_430_500],
    ['01h', 3_600_000],
    ['00060m', 3_600_000],
    ['1s1s', 2000],
    ['99999h', 99_999 * 3_600_000],
  ];
  for (const [input, ms] of cases) assert.equal(parseDuration(input), ms, input);
});

test('parseDuration: rejects what GEP-2257 rejects', () => {
  for (const input of ['', '1', '1.5s', '-1s', '1d', '1us', '1ns', '100000s', '1h1m1s1ms1h', ' 1s', '1s ', '1S', 's']) {
    assert.equal(parseDuration(input), null, JSON.stringify(input));
  }
});

test('computeTimeout: unset and 0s disable, others in ms, invalid reported with the field', () => {
  assert.deepEqual(computeTimeout(undefined, 'x'), { ok: true, ms: null });
  assert.deepEqual(computeTimeout('0s', 'x'), { ok: true, ms: null });
  assert.deepEqual(computeTimeout('250ms', 'x'), { ok: true, ms: 250 });
  const bad = computeTimeout('1.5s', 'spec.rules[0].timeouts.request');
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.message : '', /^Duration "1\.5s" is not valid \(spec\.rules\[0\]\.timeouts\.request\)\.$/);
});
