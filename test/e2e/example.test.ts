/**
 * The README's first command works: the example launcher starts the backends and waygate,
 * a request through the Gateway reaches the right backend, and Ctrl-C (SIGINT) stops it all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort, get, ROOT, run, stop, waitFor } from './cli-harness.js';

test('npm run example: routes through 127.0.1.10:8080 to the echo backends, stops on SIGINT', { timeout: 90_000 }, async () => {
  const admin = `127.0.0.1:${await freePort()}`;
  const launcher = run(process.execPath, [join(ROOT, 'examples/run.mjs'), '--from-source', '--', '--admin-address', admin]);
  try {
    await waitFor('the launcher to print the curl commands', () => {
      if (launcher.child.exitCode !== null) throw new Error(`launcher exited: ${launcher.stdout}`);
      return launcher.stdout.includes('waygate is ready') ? true : undefined;
    }, 60_000, 100);
    assert.match(launcher.stdout, /curl -s -H 'Host: store\.example\.com' http:\/\/127\.0\.1\.10:8080\//);

    const store = await get('127.0.1.10', 8080, 'store.example.com', '/');
    assert.equal(store.status, 200);
    assert.equal(store.backend, 'store/store-v1');
    const canary = await get('127.0.1.10', 8080, 'store.example.com', '/', undefined, 5000, { 'x-canary': 'true' });
    assert.equal(canary.backend, 'store/store-v2', 'header match');
    const inventory = await get('127.0.1.10', 8080, 'store.example.com', '/inventory/42');
    assert.equal(inventory.backend, 'shared/inventory', 'cross-namespace backend allowed by the ReferenceGrant');
    const redirect = await get('127.0.1.10', 8080, 'blog.example.com', '/archive/2019/hello');
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers['location'], 'http://blog.example.com:8080/posts/2019/hello');
  } finally {
    const { code } = await stop(launcher, 'SIGINT', 20_000);
    assert.equal(code, 0, `${launcher.stdout}\n${launcher.stderr}`);
  }
});
