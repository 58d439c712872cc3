import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeBody } from './pipe-body.js';

/** A server that answers every request by piping `makeBody()` with pipeBody; reports done(). */
async function serve(makeBody: () => Readable, onDone: (err: Error | null, body: Readable) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    const body = makeBody();
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    pipeBody(body, res, (err) => onDone(err, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

test('pipeBody streams every byte, then done(null)', async () => {
  const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(16 * 1024, i));
  let result: Error | null | undefined;
  const s = await serve(() => Readable.from(chunks), (err) => (result = err));
  try {
    const res = await fetch(`http://127.0.0.1:${s.port}/`);
    const got = Buffer.from(await res.arrayBuffer());
    assert.equal(got.length, 64 * 16 * 1024);
    assert.ok(got.equals(Buffer.concat(chunks)));
    for (let i = 0; i < 50 && result === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(result, null);
  } finally {
    await s.close();
  }
});

test('pipeBody: a client that goes away mid-body destroys the body and reports a premature close', async () => {
  let pushed = 0;
  const endless = (): Readable => new Readable({
    read() {
      pushed++;
      this.push(Buffer.alloc(64 * 1024, 1)); // never ends: only backpressure bounds it
    },
  });
  let done: { err: Error | null; body: Readable } | null = null;
  const s = await serve(endless, (err, body) => (done = { err, body }));
  try {
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`http://127.0.0.1:${s.port}/`, (res) => {
        res.once('data', () => {
          req.destroy(); // the client goes away
          resolve();
        });
      });
      req.on('error', () => undefined);
      setTimeout(() => reject(new Error('no data')), 2000).unref();
    });
    for (let i = 0; i < 100 && done === null; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(done, 'done was called');
    const d = done as { err: Error | null; body: Readable };
    assert.equal((d.err as { code?: string } | null)?.code, 'ERR_STREAM_PREMATURE_CLOSE');
    assert.equal(d.body.destroyed, true);
    assert.ok(pushed < 1000, `backpressure held the body (${pushed} chunks read)`);
  } finally {
    await s.close();
  }
});
