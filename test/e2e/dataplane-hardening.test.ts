/** Data plane e2e: client-side limits (slow headers, oversized headers) and upstream failures mid-stream. */
import assert from 'node:assert/strict';
import net, { type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { client, oneRule, send, startBackend, startDataPlane, type Backend, type Running } from './dataplane-support/helpers.js';

let backend: Backend;
let run: Running;

before(async () => {
  // /reset-mid-body: headers and part of the body, then a TCP reset.
  backend = await startBackend('b', (req, res) => {
    req.resume();
    if (req.url === '/reset-mid-body') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000' });
      res.write('x'.repeat(1000), () => setTimeout(() => (req.socket as Socket).resetAndDestroy(), 20));
      return;
    }
    res.end('ok');
  });
  run = await startDataPlane(oneRule([{ name: 'b', endpoints: [backend.endpoint] }]), {
    server: { headersTimeoutMs: 300, requestTimeoutMs: 2_000 },
  });
});

after(async () => {
  await run.dp.close(100);
  await backend.close();
  await client.close();
});

/** Opens a raw connection, runs `drive`, resolves with everything read and the ms until close. */
function rawExchange(port: number, drive: (s: Socket) => void, capMs = 5_000): Promise<{ text: string; ms: number }> {
  return new Promise((resolve) => {
    const start = Date.now();
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    const cap = setTimeout(() => s.destroy(), capMs);
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(cap);
      resolve({ text, ms: Date.now() - start });
    });
    s.on('connect', () => drive(s));
  });
}

test('a client sending its headers too slowly is cut off near headersTimeout', async () => {
  let timer: NodeJS.Timeout | undefined;
  const r = await rawExchange(run.port, (s) => {
    s.write('GET / HTTP/1.1\r\nhost: a\r\n');
    let n = 0;
    timer = setInterval(() => {
      if (n++ < 40 && !s.destroyed) s.write(`x-slow-${n}: y\r\n`);
    }, 100);
  });
  clearInterval(timer);
  assert.ok(r.ms < 2_500, `closed after ${r.ms} ms`);
  assert.match(r.text, /^HTTP\/1\.1 408 /);
});

test('an oversized request header gets 431 and the server keeps serving', async () => {
  const r = await rawExchange(run.port, (s) => s.write(`GET / HTTP/1.1\r\nhost: a\r\nx-big: ${'a'.repeat(70_000)}\r\n\r\n`));
  assert.match(r.text, /^HTTP\/1\.1 431 /);
  assert.equal((await send(`${run.base}/`)).status, 200);
});

test('an upstream that resets mid-body aborts that answer only', async () => {
  await assert.rejects(send(`${run.base}/reset-mid-body`));
  assert.equal((await send(`${run.base}/`)).status, 200);
});

test('an upgraded tunnel with no traffic either way is closed after idleTimeout', async () => {
  const silent = await startBackend('silent');
  silent.server.on('upgrade', (_req, socket: Socket) => {
    socket.on('error', () => undefined);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\r\n');
  });
  const gw = await startDataPlane(oneRule([{ name: 'silent', endpoints: [silent.endpoint] }]), { server: { idleTimeoutMs: 300 } });
  try {
    const r = await rawExchange(gw.port, (s) => s.write('GET / HTTP/1.1\r\nhost: a\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n'));
    assert.match(r.text, /^HTTP\/1\.1 101 /);
    assert.ok(r.ms < 2_000, `tunnel closed after ${r.ms} ms`);
  } finally {
    await gw.dp.close(100);
    await silent.close();
  }
});
