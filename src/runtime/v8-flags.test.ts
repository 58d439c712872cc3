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
