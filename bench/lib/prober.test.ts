import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prober } from './prober.js';
import { newTally } from './route-probe.js';

const REPO = new URL('../..', import.meta.url).pathname;

// The prober is a child process; if it is gone, a probe must fail (the scenario reports it)
// instead of an unhandled 'error' on the child taking the whole harness down.
test('Prober: a probe after the child is gone rejects, and the harness keeps running', async () => {
  const prober = new Prober(REPO, null);
  prober.close(); // the child exits when its channel closes
  await assert.rejects(
    prober.probe({ post: { apiUrl: 'http://127.0.0.1:9', path: '/x', object: {} }, address: '127.0.0.1', port: 9, host: 'h', timeoutMs: 100 }, newTally()),
    /channel closed|prober exited|ERR_IPC/i,
  );
});
