import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigFor } from '../../../test/k8s/fixtures.js';
import { KubeRest } from './rest.js';

/**
 * Runs `body` against a loopback API server stand-in that answers every request with JSON of
 * its path and Authorization header, through a KubeConfig with `token`; counts connections
 * opened and closed.
 */
async function withServer(token: string, body: (kc: KubeConfig, connections: () => number, closed: () => number) => Promise<void>): Promise<void> {
  let connections = 0;
  let closedCount = 0;
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, auth: req.headers.authorization ?? null }));
  });
  server.on('connection', (socket) => {
    connections++;
    socket.on('close', () => closedCount++);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await body(kubeConfigFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, token), () => connections, () => closedCount);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Counts the KubeConfig's option lookups; `fail(n)` makes the n-th (from 0) reject. */
function countLookups(kc: KubeConfig, fail: (n: number) => boolean = () => false): () => number {
  let applied = 0;
  const apply = kc.applyToHTTPSOptions.bind(kc);
  kc.applyToHTTPSOptions = async (o) => {
    if (fail(applied++)) throw new Error('credential plugin failed');
    return apply(o);
  };
  return () => applied;
}

type Echo = { path: string; auth: string | null };

// client-node hands out a new agent per request; KubeRest must keep connections alive, or a
// controller writing hundreds of statuses per second opens (and TLS-handshakes) as many.
test('KubeRest: consecutive requests share one keep-alive connection', async () => {
  await withServer('secret-token', async (kc, connections) => {
    const rest = new KubeRest(kc);
    for (let i = 0; i < 5; i++) {
      const body = await rest.request<Echo>('GET', `/api/v1/namespaces/n${i}`);
      assert.equal(body.path, `/api/v1/namespaces/n${i}`);
      assert.equal(body.auth, 'Bearer secret-token', 'credentials still sent per request');
    }
    assert.equal(connections(), 1);
  });
});

// client-node reads the CA file and builds an agent on every call; KubeRest works its options
// out once per second, and still picks up a rotated token within that second.
test('KubeRest: the KubeConfig\'s options are worked out once per second, and a rotated token is sent after that', async () => {
  await withServer('first-token', async (kc, connections) => {
    const lookups = countLookups(kc);
    const rest = new KubeRest(kc);
    const auths = await Promise.all(Array.from({ length: 20 }, (_, i) => rest.request<Echo>('GET', `/api/v1/namespaces/n${i}`)));
    assert.deepEqual(new Set(auths.map((a) => a.auth)), new Set(['Bearer first-token']));
    assert.equal(lookups(), 1, 'one lookup for 20 requests');
    const opened = connections();
    (kc.getCurrentUser() as { token?: string }).token = 'second-token';
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await rest.request<Echo>('GET', '/api/v1/namespaces/later')).auth, 'Bearer second-token');
    assert.equal(lookups(), 2);
    // A new token is not new TLS material: the same agent, on a connection it kept.
    assert.equal(connections(), opened);
  });
});

// A lookup that fails (an exec credential plugin down, say) is not kept for the second.
test('KubeRest: a failed lookup of the KubeConfig\'s options fails its request and is tried again by the next', async () => {
  await withServer('token', async (kc) => {
    const lookups = countLookups(kc, (n) => n === 0);
    const rest = new KubeRest(kc);
    await assert.rejects(rest.request('GET', '/api/v1/namespaces/a'), /credential plugin failed/);
    assert.equal((await rest.request<Echo>('GET', '/api/v1/namespaces/b')).auth, 'Bearer token');
    assert.equal(lookups(), 2);
  });
});

// A status write's answer is the whole object; send() must not parse it, must still drain it
// (the connection is reused), and must still report a refusal with the API's reason.
test('KubeRest: send() drops a successful answer unparsed and reports a failed one', async () => {
  const answer = JSON.stringify({ kind: 'HTTPRoute', metadata: { name: 'r', resourceVersion: '7' }, status: { parents: [] }, pad: 'x'.repeat(100_000) });
  const server = http.createServer((req, res) => {
    req.resume();
    res.setHeader('content-type', 'application/json');
    if (req.url?.endsWith('/conflict')) {
      res.statusCode = 409;
      res.end(JSON.stringify({ kind: 'Status', reason: 'Conflict', message: 'the object has been modified' }));
    } else res.end(answer);
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const parse = JSON.parse;
  let parsedAnswers = 0;
  JSON.parse = ((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
    if (text === answer) parsedAnswers++;
    return parse(text, reviver);
  }) as typeof JSON.parse;
  try {
    const rest = new KubeRest(kubeConfigFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 't'));
    for (let i = 0; i < 3; i++) assert.equal(await rest.send('PATCH', '/apis/x/v1/namespaces/n/things/r/status', { body: { status: {} } }), undefined);
    assert.equal(parsedAnswers, 0, 'the answer was not parsed');
    assert.equal(connections, 1, 'the answer was drained and the connection kept');
    await assert.rejects(rest.send('PATCH', '/apis/x/v1/namespaces/n/things/conflict'), (e: Error & { code?: number; reason?: string }) => e.code === 409 && e.reason === 'Conflict' && /modified/.test(e.message));
    assert.equal((await rest.request<{ kind: string }>('GET', '/apis/x/v1/namespaces/n/things/r')).kind, 'HTTPRoute');
    assert.equal(parsedAnswers, 1, 'request() parses');
  } finally {
    JSON.parse = parse;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

// An agent of rotated-out TLS material took no more requests but kept its idle keep-alive
// connections open until the server dropped them: one more per rotation.
test('KubeRest: after the TLS material changes, the old agent\'s idle connection is closed', async () => {
  await withServer('t', async (kc, connections, closed) => {
    let lookups = 0;
    const apply = kc.applyToHTTPSOptions.bind(kc);
    kc.applyToHTTPSOptions = async (o) => {
      await apply(o);
      o.ca = `ca-${lookups++}`; // as if the CA file had been rotated
    };
    const rest = new KubeRest(kc);
    await rest.request<Echo>('GET', '/api/v1/namespaces/a');
    await rest.request<Echo>('GET', '/api/v1/namespaces/b');
    assert.equal(connections(), 1);
    await new Promise((r) => setTimeout(r, 1100)); // CLIENT_OPTIONS_TTL_MS
    await rest.request<Echo>('GET', '/api/v1/namespaces/c');
    assert.equal(connections(), 2, 'the new material has a connection of its own');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(closed(), 1, 'the old idle connection was closed');
  });
});
