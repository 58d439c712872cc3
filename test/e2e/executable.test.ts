/**
 * The executable, `bin/waygate.js`, run as users run it (directly, or through the symlink npm
 * links into PATH): node gets the data plane's V8 flags (src/runtime/v8-flags.ts) on its
 * command line, in the same process (sh execs node); `node bin/waygate.js` runs without them and
 * says so. Needs the build (`npm ci` makes it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_PLANE_V8_FLAGS } from '../../src/runtime/v8-flags.js';
import { ManifestDir, freePort, ROOT, run, stop, waitFor } from './cli-harness.js';

const BIN = join(ROOT, 'bin/waygate.js');
const built = existsSync(join(ROOT, 'dist/cli/main.js'));

test('bin/waygate.js, run directly or through a symlink, serves with the data plane flags on node\'s command line; node bin/waygate.js says they are missing', { skip: built ? false : 'needs the build (npm ci or npm run build)', timeout: 60_000 }, async () => {
  const dir = await ManifestDir.create('executable');
  try {
    // A link outside the watched directory, as npm puts one into node_modules/.bin.
    const link = `${dir.path}-bin-waygate`;
    symlinkSync(BIN, link);
    for (const argv of [[BIN], [link], [process.execPath, BIN]]) {
      const direct = argv.length === 1;
      const [cmd, ...pre] = argv as [string, ...string[]];
      const proc = run(cmd, [...pre, 'serve', '-f', dir.path, '--admin-address', `127.0.0.1:${await freePort()}`, '--address-pool', '127.0.3.99/32', '--workers', '0']);
      try {
        await waitFor('waygate serving', () => (proc.stderr.includes('waygate serving') ? true : undefined), 30_000, 50);
        const cmdline = readFileSync(`/proc/${proc.child.pid}/cmdline`, 'utf8').split('\0');
        for (const flag of DATA_PLANE_V8_FLAGS) assert.equal(cmdline.includes(flag), direct, `${flag} in ${argv.join(' ')}: ${cmdline.join(' ')}`);
        assert.equal(proc.stderr.includes('without the data plane V8 flags'), !direct, proc.stderr);
      } finally {
        assert.equal((await stop(proc, 'SIGINT')).code, 0, proc.stderr);
      }
    }
  } finally {
    rmSync(`${dir.path}-bin-waygate`, { force: true });
    await dir.cleanup();
  }
});
