import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeRest } from './rest.js';

/** A kubeconfig for a plain-HTTP test server on loopback, with a bearer token. */
function kubeConfigAt(port: number, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

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
    const kc = kubeConfigAt(port, 'secret-token');
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

// client-node reads the CA file and builds an agent on every call; KubeRest works its options
// out once per second, and still picks up a rotated token within that second.
test('KubeRest: the KubeConfig\'s options are worked out once per second, and a rotated token is sent after that', async () => {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ auth: req.headers.authorization ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const kc = kubeConfigAt(port, 'first-token');
    let applied = 0;
    const apply = kc.applyToHTTPSOptions.bind(kc);
    kc.applyToHTTPSOptions = async (o) => {
      applied++;
      return apply(o);
    };
    const rest = new KubeRest(kc);
    const auths = await Promise.all(Array.from({ length: 20 }, (_, i) => rest.request<{ auth: string }>('GET', `/api/v1/namespaces/n${i}`)));
    assert.deepEqual(new Set(auths.map((a) => a.auth)), new Set(['Bearer first-token']));
    assert.equal(applied, 1, 'one lookup for 20 requests');
    (kc.getCurrentUser() as { token?: string }).token = 'second-token';
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await rest.request<{ auth: string }>('GET', '/api/v1/namespaces/later')).auth, 'Bearer second-token');
    assert.equal(applied, 2);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
