import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DATA_PLANE_V8_FLAGS, missingV8Flags, withDataPlaneFlags } from './v8-flags.js';

test('withDataPlaneFlags adds the missing flags once and keeps the rest in order', () => {
  assert.deepEqual(withDataPlaneFlags(['--import', 'tsx']), [...DATA_PLANE_V8_FLAGS, '--import', 'tsx']);
  assert.deepEqual(withDataPlaneFlags(['--no-memory-reducer', '--cpu-prof']), ['--v8-pool-size=1', '--no-memory-reducer', '--cpu-prof']);
  assert.deepEqual(withDataPlaneFlags([...DATA_PLANE_V8_FLAGS, '--cpu-prof']), [...DATA_PLANE_V8_FLAGS, '--cpu-prof']);
  assert.deepEqual(missingV8Flags(['--no-memory-reducer']), ['--v8-pool-size=1']);
  assert.deepEqual(missingV8Flags([]), [...DATA_PLANE_V8_FLAGS]);
});

test('the image entrypoint and the example start node with every data plane flag (the executable: test/e2e/executable.test.ts)', () => {
  const root = new URL('../../', import.meta.url);
  const entrypoint = readFileSync(new URL('deploy/Dockerfile', root), 'utf8').split('\n').find((l) => l.startsWith('ENTRYPOINT'))!;
  const example = readFileSync(new URL('examples/run.mjs', root), 'utf8');
  const launcher = readFileSync(new URL('bin/waygate.js', root), 'utf8').split('\n')[1]!;
  for (const flag of DATA_PLANE_V8_FLAGS) {
    assert.ok(entrypoint.includes(`"${flag}"`), `Dockerfile ENTRYPOINT lacks ${flag}`);
    assert.ok(example.includes(`'${flag}'`), `examples/run.mjs lacks ${flag}`);
    assert.ok(launcher.includes(` ${flag} `), `bin/waygate.js lacks ${flag}`);
  }
});

// An operator's own value or polarity of a flag is their choice: not reported missing, and
// workers do not get ours put in front of it.
test('missingV8Flags: a flag given with another value or polarity, or with underscores, is not missing', () => {
  assert.deepEqual(missingV8Flags(['--v8-pool-size=2']), ['--no-memory-reducer']);
  assert.deepEqual(missingV8Flags(['--memory-reducer', '--v8_pool_size=4']), []);
  assert.deepEqual(missingV8Flags(['--no_memory_reducer']), ['--v8-pool-size=1']);
  assert.deepEqual(withDataPlaneFlags(['--v8-pool-size=2', '--cpu-prof']), ['--no-memory-reducer', '--v8-pool-size=2', '--cpu-prof']);
  assert.deepEqual(missingV8Flags(['--import', 'tsx', '--max-old-space-size=512']), [...DATA_PLANE_V8_FLAGS]);
});
