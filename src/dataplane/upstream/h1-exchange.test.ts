import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { DataPlaneError, GW_ERR } from '../errors.js';
import { rawResponseHeaders } from '../headers.js';
import { Http1Exchange, type ExchangeOwner } from './h1-exchange.js';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** A backend speaking raw HTTP/1.1 (exact bytes, so hop-by-hop and latin1 headers can be tested). */
async function rawBackend(answer: string): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((s) => {
    s.once('data', () => s.write(Buffer.from(answer, 'latin1')));
    s.on('error', () => undefined);
  });
  const port = await listen(server);
  return { port, close: () => server.close() };
}

/** A proxy whose only forwarding logic is an Http1Exchange writing the raw header list. */
async function proxy(backendPort: number): Promise<{ port: number; close: () => Promise<void> }> {
  const pool = new Pool(`http://127.0.0.1:${backendPort}`, { pipelining: 1 });
  const server = http.createServer((req, res) => {
    const owner: ExchangeOwner = {
      onHead: (x) => {
        res.writeHead(x.status, rawResponseHeaders(x.rawHeaders));
        x.stream(res);
      },
      onFail: (err) => {
        res.writeHead(err.status);
        res.end(err.code);
      },
      onEnd: () => undefined,
    };
    new Http1Exchange(owner).send(pool, { method: req.method ?? 'GET', target: req.url ?? '/', headers: { host: 'b' }, body: null, headersTimeoutMs: 2000, servername: null });
  });
  const port = await listen(server);
  return {
    port,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await pool.destroy();
    },
  };
}

function get(port: number): Promise<{ status: number; raw: string[]; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/x', agent: false, timeout: 3000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, raw: res.rawHeaders, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

test('Http1Exchange relays status, headers (hop-by-hop dropped, repeats and latin1 bytes kept) and body; 1xx not relayed', async () => {
  const be = await rawBackend(
    'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n' +
      'HTTP/1.1 201 Created\r\nContent-Length: 5\r\nKeep-Alive: timeout=9\r\nX-Name: caf\xe9\r\n' +
      'Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nConnection: keep-alive\r\n\r\nhello',
  );
  const p = await proxy(be.port);
  try {
    const r = await get(p.port);
    assert.equal(r.status, 201);
    assert.equal(r.body.toString(), 'hello');
    const names = r.raw.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    assert.equal(names.includes('link'), false, '1xx headers must not leak into the answer');
    assert.deepEqual(r.raw.filter((_, i) => i % 2 === 1 && r.raw[i - 1] === 'Set-Cookie'), ['a=1', 'b=2']);
    assert.equal(r.raw[r.raw.indexOf('X-Name') + 1], 'caf\xe9');
    assert.equal(r.raw.includes('timeout=9'), false, 'the backend Keep-Alive header is hop-by-hop');
  } finally {
    await p.close();
    be.close();
  }
});

test('Http1Exchange: connection refused is an UPSTREAM_CONNECT failure', async () => {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise<void>((r) => s.close(() => r()));
  const pool = new Pool(`http://127.0.0.1:${port}`);
  try {
    const err = await new Promise<DataPlaneError>((resolve, reject) => {
      const owner: ExchangeOwner = { onHead: () => reject(new Error('unexpected answer')), onFail: resolve, onEnd: () => undefined };
      new Http1Exchange(owner).send(pool, { method: 'GET', target: '/', headers: {}, body: null, headersTimeoutMs: 1000, servername: null });
    });
    assert.equal(err.code, GW_ERR.UPSTREAM_CONNECT);
  } finally {
    await pool.destroy();
  }
});

test('Http1Exchange.cancel while queued for a connection fails at once with the reason', async () => {
  // One connection, held by a request the backend never answers: the second one waits in the queue.
  const server = http.createServer(() => undefined);
  const port = await listen(server);
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1, pipelining: 1 });
  const quiet: ExchangeOwner = { onHead: (x) => x.discard(), onFail: () => undefined, onEnd: () => undefined };
  try {
    new Http1Exchange(quiet).send(pool, { method: 'GET', target: '/hang', headers: {}, body: null, headersTimeoutMs: 5000, servername: null });
    const failures: DataPlaneError[] = [];
    const x = new Http1Exchange({ onHead: () => assert.fail('no answer expected'), onFail: (e) => failures.push(e), onEnd: () => undefined });
    x.send(pool, { method: 'GET', target: '/queued', headers: {}, body: null, headersTimeoutMs: 5000, servername: null });
    const reason = new DataPlaneError(GW_ERR.UPSTREAM_TIMEOUT, 'request timeout');
    x.cancel(reason);
    assert.deepEqual(failures, [reason]);
    x.cancel(reason);
    assert.equal(failures.length, 1, 'a second cancel is a no-op');
  } finally {
    server.closeAllConnections();
    server.close();
    await pool.destroy();
  }
});
