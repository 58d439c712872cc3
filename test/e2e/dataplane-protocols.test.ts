/** Data plane e2e: h2c backends and WebSocket upgrades through HTTP routes. */
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { send, startBackend, startDataPlane, type Backend, type Running } from './dataplane-support/helpers.js';

let h2: http2.Http2Server;
let h2port = 0;
let h2sessions = 0;
let wsHttp: http.Server;
let wsPort = 0;
let plain: Backend;
let run: Running;

before(async () => {
  h2 = http2.createServer();
  h2.on('session', () => h2sessions++);
  h2.on('stream', (stream, headers) => {
    const body = JSON.stringify({ path: headers[':path'], authority: headers[':authority'], method: headers[':method'], xff: headers['x-forwarded-for'] });
    stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-proto': 'h2' });
    stream.end(body);
  });
  await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
  h2port = (h2.address() as AddressInfo).port;

  wsHttp = http.createServer((_req, res) => res.end('plain http on the ws backend'));
  const wss = new WebSocketServer({ server: wsHttp });
  wss.on('connection', (sock, req) => {
    sock.on('message', (data, isBinary) => sock.send(data, { binary: isBinary }));
    sock.send(`hello ${req.url} ${req.headers['x-forwarded-proto']}`);
  });
  await new Promise<void>((r) => wsHttp.listen(0, '127.0.0.1', r));
  wsPort = (wsHttp.address() as AddressInfo).port;
  plain = await startBackend('plain');

  run = await startDataPlane({
    servers: [
      {
        listeners: [
          {
            rules: [
              { name: 'h2c', match: { path: '/h2' }, backends: [{ name: 'h2', protocol: 'h2c', endpoints: [{ address: '127.0.0.1', port: h2port }] }] },
              { name: 'ws', match: { path: '/ws' }, backends: [{ name: 'ws', protocol: 'ws', endpoints: [{ address: '127.0.0.1', port: wsPort }] }] },
              { name: 'ws-http1', match: { path: '/chat' }, backends: [{ name: 'ws1', protocol: 'http1', endpoints: [{ address: '127.0.0.1', port: wsPort }] }] },
              { name: 'refused', match: { path: '/dead' }, backends: [{ name: 'dead', endpoints: [{ address: '127.0.0.1', port: 9 }] }] },
              { name: 'plain', match: { path: '/' }, backends: [{ name: 'plain', endpoints: [plain.endpoint] }] },
            ],
          },
        ],
      },
    ],
  });
});

after(async () => {
  await run.dp.close(500);
  await new Promise<void>((r) => h2.close(() => r()));
  await new Promise<void>((r) => wsHttp.close(() => r()));
  await plain.close();
});

test('h2c backend: HTTP/2 with prior knowledge, one session reused', async () => {
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => send(`${run.base}/h2/x${i}?q=1`, { headers: { host: 'svc.example' } })));
  for (const [i, r] of results.entries()) {
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-proto'], 'h2');
    const body = JSON.parse(r.text) as { path: string; authority: string; xff: string };
    assert.equal(body.path, `/h2/x${i}?q=1`);
    assert.equal(body.authority, 'svc.example');
    assert.equal(body.xff, '127.0.0.1');
  }
  assert.equal(h2sessions, 1);
});

function echoThrough(url: string): Promise<{ greeting: string; text: string; binary: Buffer }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const got: (string | Buffer)[] = [];
    const timer = setTimeout(() => reject(new Error('websocket timed out')), 5_000);
    ws.on('open', () => {
      ws.send('Websocket Support!');
      ws.send(Buffer.from([1, 2, 3, 4, 5, 6, 7]));
    });
    ws.on('message', (data, isBinary) => {
      got.push(isBinary ? Buffer.from(data as Buffer) : String(data));
      if (got.length === 3) {
        clearTimeout(timer);
        ws.close();
        resolve({ greeting: got[0] as string, text: got[1] as string, binary: got[2] as Buffer });
      }
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

test('WebSocket echo through a ws backend', async () => {
  const r = await echoThrough(`ws://127.0.0.1:${run.port}/ws`);
  assert.equal(r.greeting, 'hello /ws http');
  assert.equal(r.text, 'Websocket Support!');
  assert.deepEqual([...r.binary], [1, 2, 3, 4, 5, 6, 7]);
});

test('WebSocket works through a route whose backend protocol is http1', async () => {
  const r = await echoThrough(`ws://127.0.0.1:${run.port}/chat/room`);
  assert.equal(r.greeting, 'hello /chat/room http');
  assert.equal(r.text, 'Websocket Support!');
});

test('WebSocket to an unreachable backend gets 502, to no route 404', async () => {
  const status = (url: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        ws.terminate();
      });
      ws.on('open', () => reject(new Error('should not open')));
      ws.on('error', () => undefined);
    });
  assert.equal(await status(`ws://127.0.0.1:${run.port}/dead`), 502);
  const other = await startDataPlane({ servers: [{ listeners: [{ hostname: 'x.example', rules: [{ backends: [{ endpoints: [plain.endpoint] }] }] }] }] });
  try {
    assert.equal(await status(`ws://127.0.0.1:${other.port}/`), 404);
  } finally {
    await other.dp.close(100);
  }
  assert.equal(run.dp.stats().totals.inFlight, 0);
});
