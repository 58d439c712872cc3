/** L4 e2e: a bug while handling one connection closes that connection, not the process. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { config, listener, route, startGateway, startTcpBackend, svc, tcpGreeting } from './l4-support.js';

test('a throw while picking a TCP backend resets that connection; the next one is served', async () => {
  const backend = await startTcpBackend('t');
  let calls = 0;
  const random = (): number => {
    if (calls++ === 0) throw new Error('boom');
    return 0.5;
  };
  const gw = await startGateway(config('TCP', [listener('tcp', 'tcp', [route('r', [svc(backend)])])]), {}, random);
  try {
    assert.match(await tcpGreeting(gw.port()), /^error: /);
    assert.equal(await tcpGreeting(gw.port()), 't');
  } finally {
    await gw.dp.close(100);
    await backend.close();
  }
});
