import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeRest } from './rest.js';

// client-node hands out a new agent per request; KubeRest must keep connections alive, or a
// controller writing hundreds of statuses per second opens (and TLS-handshakes) as many.
test('KubeRest: consecutive requests share one keep-alive connection', async () => {
  let connections = 0;
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ kind: 'Status', path: req.url, auth: req.headers.authorization ?? null }));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'secret-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const rest = new KubeRest(kc);
    for (let i = 0; i < 5; i++) {
      const body = await rest.request<{ path: string; auth: string | null }>('GET', `/api/v1/namespaces/n${i}`);
      assert.equal(body.path, `/api/v1/namespaces/n${i}`);
      assert.equal(body.auth, 'Bearer secret-token', 'credentials still sent per request');
    }
    assert.equal(connections, 1);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
