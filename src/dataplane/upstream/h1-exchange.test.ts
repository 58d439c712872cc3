import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { DataPlaneError, GW_ERR } from '../errors.js';
import { rawResponseHeaders } from '../headers.js';
import { Http1Exchange, MAX_QUEUED, type ExchangeOwner } from './h1-exchange.js';
import { UpstreamPools } from './pools.js';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** A backend speaking raw HTTP/1.1 (exact bytes, so hop-by-hop and latin1 headers can be tested). */
async function rawBackend(answer: string): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((s) => {
    s.on('data', () => s.write(Buffer.from(answer, 'latin1')));
    s.on('error', () => undefined);
  });
  const port = await listen(server);
  return { port, close: () => server.close() };
}

/** Forwards `req` through an Http1Exchange on `pool`, writing the raw header list to `res`. */
function forward(pool: Parameters<Http1Exchange['send']>[0], req: http.IncomingMessage, res: http.ServerResponse, onEnd: ExchangeOwner['onEnd']): void {
  const owner: ExchangeOwner = {
    onHead: (x) => {
      res.writeHead(x.status, rawResponseHeaders(x.rawHeaders));
      x.stream(res);
    },
    onFail: (err) => {
      res.writeHead(err.status);
      res.end(err.code);
    },
    onEnd,
  };
  new Http1Exchange(owner).send(pool, { method: req.method ?? 'GET', target: req.url ?? '/', headers: { host: 'b' }, body: null, headersTimeoutMs: 2000, servername: null });
}

/** A proxy whose only forwarding logic is an Http1Exchange writing the raw header list. */
async function proxy(backendPort: number): Promise<{ port: number; close: () => Promise<void> }> {
  const pool = new Pool(`http://127.0.0.1:${backendPort}`, { pipelining: 1 });
  const server = http.createServer((req, res) => forward(pool, req, res, () => undefined));
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

/**
 * A proxy like `proxy()` but on an UpstreamPools pool (the socket options of production), which
 * counts the write calls that reach each client socket and hands out each ServerResponse.
 */
async function countingProxy(backendPort: number, onResponse: (res: http.ServerResponse) => void = () => undefined, onEnd: (err: Error | null) => void = () => undefined) {
  const pools = new UpstreamPools({ connectionsPerEndpoint: null, keepAliveTimeoutMs: 4000, connectTimeoutMs: 2000, headersTimeoutMs: 5000, bodyTimeoutMs: 30_000 });
  const pool = pools.pool({ address: '127.0.0.1', port: backendPort });
  const writes = { calls: 0 };
  const server = http.createServer((req, res) => {
    onResponse(res);
    forward(pool, req, res, onEnd);
  });
  server.on('connection', (socket: net.Socket) => {
    // Count what the stream layer hands to the kernel: one call per write/writev syscall.
    const s = socket as net.Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const write = s._write.bind(s);
    const writev = s._writev.bind(s);
    s._write = (...a) => {
      writes.calls++;
      write(...a);
    };
    s._writev = (...a) => {
      writes.calls++;
      writev(...a);
    };
  });
  const port = await listen(server);
  return {
    port,
    writes,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await pools.close(100);
    },
  };
}

test('Http1Exchange: an answer that arrives in two reads (head + 64 KiB body) reaches the client in one write', async () => {
  const body = Buffer.alloc(64 * 1024, 0x62);
  // One backend write of head + body: more than one 64 KiB socket read on the proxy side.
  const be = await rawBackend(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nX-Pad: ${'p'.repeat(200)}\r\n\r\n${body.toString('latin1')}`);
  const p = await countingProxy(be.port);
  try {
    const r = await get(p.port);
    assert.equal(r.status, 200);
    assert.equal(r.body.length, body.length);
    assert.ok(r.body.equals(body));
    assert.equal(p.writes.calls, 1, 'head and both body reads in one write to the client');
  } finally {
    await p.close();
    be.close();
  }
});

test('Http1Exchange: answers without a body (204) are ended too, and keep-alive goes on', async () => {
  const be = await rawBackend('HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n');
  const p = await countingProxy(be.port);
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 2; i++) {
      const r = await new Promise<{ status: number; a: string | undefined }>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: p.port, path: '/', agent, timeout: 3000 }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, a: res.headers['x-a'] as string | undefined }));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
      });
      assert.deepEqual(r, { status: 204, a: '1' });
    }
    agent.destroy();
  } finally {
    await p.close();
    be.close();
  }
});

test('Http1Exchange: a client that does not read pauses the backend (bounded buffering), then gets the whole body', async () => {
  const total = 16 * 1024 * 1024;
  let sent = 0;
  // A backend that streams 16 MiB as fast as its socket takes it.
  const backend = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(total) });
    const chunk = Buffer.alloc(64 * 1024, 0x63);
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  const bport = await listen(backend);
  let maxQueued = 0;
  let proxied: http.ServerResponse | null = null;
  const p = await countingProxy(bport, (res) => (proxied = res));
  const sampler = setInterval(() => {
    if (proxied !== null) maxQueued = Math.max(maxQueued, proxied.writableLength);
  }, 2);
  const client = net.connect(p.port, '127.0.0.1');
  try {
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    client.pause(); // reads nothing: the kernel buffers fill, then the proxy's, then it must pause
    client.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    // Wait until the backend is stalled: `sent` stops moving.
    let last = -1;
    for (let i = 0; i < 200 && sent !== last; i++) {
      last = sent;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(sent < total, `the backend sent everything (${sent} bytes) although the client read nothing`);
    assert.ok(proxied !== null);
    assert.ok(maxQueued > 0, 'the sampler saw the response queue');
    assert.ok(maxQueued <= MAX_QUEUED + 2 * 64 * 1024, `the proxy queued ${maxQueued} bytes for a stalled client`);
    // Now read everything: the whole body arrives (head + 16 MiB).
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      client.on('data', (c: Buffer) => {
        received += c.length;
        if (received >= total) resolve();
      });
      client.on('error', reject);
    });
    client.resume();
    await done;
    assert.ok(received > total && received < total + 1024, `received ${received} bytes`);
  } finally {
    clearInterval(sampler);
    client.destroy();
    await p.close();
    backend.closeAllConnections();
    backend.close();
  }
});

test('Http1Exchange: a throw while ending one answer of a batch cuts that answer only; the others and later ones are served', async () => {
  const be = await rawBackend('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  let n = 0;
  const ends: (string | null)[] = [];
  const p = await countingProxy(be.port, (res) => {
    if (n++ > 0) return;
    res.end = () => {
      throw new Error('end failed');
    };
  }, (err) => ends.push(err === null ? null : err.message));
  /** Status and body, or 'cut' when the connection closed without a whole answer. */
  const attempt = (): Promise<string> =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: p.port, path: '/x', agent: false, timeout: 3000 }, (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
        res.on('error', () => resolve('cut'));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => resolve(err.message === 'timeout' ? 'timeout' : 'cut'));
    });
  try {
    const first = await Promise.all([attempt(), attempt()]);
    assert.deepEqual([...first].sort(), ['200 ok', 'cut']);
    assert.equal(await attempt(), '200 ok');
    // The owner hears onEnd once per answer, with the error for the cut one (its deadline stops).
    assert.deepEqual([...ends].sort(), ['end failed', null, null]);
  } finally {
    await p.close();
    be.close();
  }
});
