import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DATA_PLANE_V8_FLAGS, missingV8Flags, withDataPlaneFlags } from './v8-flags.js';

test('withDataPlaneFlags adds the missing flags once and keeps the rest in order', () => {
  assert.deepEqual(withDataPlaneFlags(['--import', 'tsx']), [...DATA_PLANE_V8_FLAGS, '--import', 'tsx']);
  assert.deepEqual(withDataPlaneFlags(['--no-memory-reducer', '--cpu-prof']), ['--v8-pool-size=1', '--no-memory-reducer', '--cpu-prof']);
  assert.deepEqual(withDataPlaneFlags([...DATA_PLANE_V8_FLAGS, '--cpu-prof']), [...DATA_PLANE_V8_FLAGS, '--cpu-prof']);
  assert.deepEqual(missingV8Flags(['--no-memory-reducer']), ['--v8-pool-size=1']);
  assert.deepEqual(missingV8Flags([]), [...DATA_PLANE_V8_FLAGS]);
});
