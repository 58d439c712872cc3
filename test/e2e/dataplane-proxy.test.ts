/** Data plane e2e: proxying to real backends over loopback sockets. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startBackend, startDataPlane, send, spawnBackend, oneRule, type Backend, type Running } from './dataplane-support/helpers.js';

let a: Backend;
let b: Backend;
let mirror: Backend;
let run: Running;

before(async () => {
  a = await startBackend('a');
  b = await startBackend('b');
  mirror = await startBackend('mirror');
  run = await startDataPlane({
    servers: [
      {
        address: '127.0.0.1',
        port: 0,
        listeners: [
          {
            rules: [
              { name: 'split', match: { path: '/split' }, backends: [{ name: 'a', weight: 1, endpoints: [a.endpoint] }, { name: 'b', weight: 3, endpoints: [b.endpoint] }] },
              { name: 'invalid', match: { path: '/invalid' }, backends: [{ kind: 'invalid', name: 'x', status: 500 }] },
              { name: 'empty', match: { path: '/empty' }, backends: [{ name: 'empty', endpoints: [] }] },
              // Port 9 on loopback: nothing listens, connection refused.
              { name: 'refused', match: { path: '/refused' }, backends: [{ name: 'dead', endpoints: [{ address: '127.0.0.1', port: 9 }] }] },
              { name: 'mirror', match: { path: '/mirror' }, backends: [{ name: 'a', endpoints: [a.endpoint] }], mirrors: [{ backend: { name: 'm', endpoints: [mirror.endpoint] }, fraction: 1 }] },
              {
                name: 'headers',
                match: { path: '/headers' },
                backends: [{ name: 'a', endpoints: [a.endpoint] }],
                responseHeaders: { set: [{ name: 'x-resp', value: 'set' }], remove: ['x-backend'] },
              },
              { name: 'a', match: { path: '/' }, backends: [{ name: 'a', endpoints: [a.endpoint] }] },
            ],
          },
        ],
      },
    ],
  });
});

after(async () => {
  await run.dp.close(500);
  await Promise.all([a.close(), b.close(), mirror.close()]);
});

test('proxies with X-Forwarded-* and the Host unchanged', async () => {
  const r = await send(`${run.base}/hello?x=1`, { headers: { host: 'app.example.com', 'x-forwarded-for': '203.0.113.9', connection: 'keep-alive' } });
  assert.equal(r.status, 200);
  const body = JSON.parse(r.text) as { name: string; url: string; headers: Record<string, string> };
  assert.equal(body.name, 'a');
  assert.equal(body.url, '/hello?x=1');
  assert.equal(body.headers['host'], 'app.example.com');
  assert.equal(body.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
  assert.equal(body.headers['x-forwarded-proto'], 'http');
  assert.equal(body.headers['x-forwarded-host'], 'app.example.com');
  assert.equal(r.headers['x-backend'], 'a');
});

test('response header modifier applies to the backend answer', async () => {
  const r = await send(`${run.base}/headers`);
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-resp'], 'set');
  assert.equal(r.headers['x-backend'], undefined);
});

test('error answers: 404, 500, 503, 502 with short plain-text bodies', async () => {
  const none = await send(`${run.base}/nothing`, { headers: { host: 'unknown' } });
  assert.equal(none.status, 200, 'catch-all rule on / serves every host');
  const statuses = await Promise.all(['/invalid', '/empty', '/refused'].map((p) => send(`${run.base}${p}`)));
  assert.deepEqual(statuses.map((s) => s.status), [500, 503, 502]);
  for (const s of statuses) {
    assert.match(String(s.headers['content-type']), /^text\/plain/);
    assert.ok(s.text.length > 0 && s.text.length < 64);
  }
});

test('no route answers 404', async () => {
  const dp = await startDataPlane({ servers: [{ listeners: [{ hostname: 'only.example.com', rules: [{ backends: [{ endpoints: [a.endpoint] }] }] }] }] });
  try {
    const r = await send(`${dp.base}/`, { headers: { host: 'other.example.com' } });
    assert.equal(r.status, 404);
    assert.equal(r.text, 'no route\n');
  } finally {
    await dp.dp.close(100);
  }
});

test('weighted split stays within tolerance', async () => {
  const n = 400;
  let toB = 0;
  for (let i = 0; i < n; i += 20) {
    const batch = await Promise.all(Array.from({ length: 20 }, () => send(`${run.base}/split`)));
    for (const r of batch) if ((JSON.parse(r.text) as { name: string }).name === 'b') toB++;
  }
  const share = toB / n;
  assert.ok(Math.abs(share - 0.75) < 0.08, `share to b was ${share}`);
});

test('upstream connections are kept alive and reused', async () => {
  const before = a.connections;
  for (let i = 0; i < 30; i++) assert.equal((await send(`${run.base}/seq`)).status, 200);
  assert.ok(a.connections - before <= 2, `opened ${a.connections - before} connections for 30 sequential requests`);
});

test('mirror receives a copy, its answer is ignored', async () => {
  const r = await send(`${run.base}/mirror/x?id=42`, { method: 'POST', body: 'small body', headers: { 'content-type': 'text/plain' } });
  assert.equal(r.status, 200);
  for (let i = 0; i < 50 && !mirror.seen.some((s) => s.url === '/mirror/x?id=42'); i++) await delay(20);
  const copy = mirror.seen.find((s) => s.url === '/mirror/x?id=42');
  assert.ok(copy, 'mirror saw the request');
  assert.equal(copy.method, 'POST');
  assert.equal(copy.headers['content-length'], '10');
});

test('a backend in a separate process', async () => {
  const proc = await spawnBackend('proc');
  const dp = await startDataPlane(oneRule([{ name: 'proc', endpoints: [proc.endpoint] }]));
  try {
    const r = await send(`${dp.base}/p`);
    assert.equal(r.status, 200);
    const body = JSON.parse(r.text) as { name: string; pid: number };
    assert.equal(body.name, 'proc');
    assert.notEqual(body.pid, process.pid);
  } finally {
    await dp.dp.close(100);
    await proc.stop();
  }
});

test('a malformed request gets 400 and the server keeps serving', async () => {
  const answer = await new Promise<string>((resolve, reject) => {
    const s = net.connect(run.port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'));
    let buf = '';
    s.on('data', (d) => (buf += d.toString()));
    s.on('close', () => resolve(buf));
    s.on('error', reject);
    s.setTimeout(3_000, () => s.destroy());
  });
  assert.match(answer, /^HTTP\/1\.1 400/);
  const missingHost = await new Promise<string>((resolve, reject) => {
    const s = net.connect(run.port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\n\r\n'));
    let buf = '';
    s.on('data', (d) => (buf += d.toString()));
    s.on('close', () => resolve(buf));
    s.on('error', reject);
    s.setTimeout(3_000, () => s.destroy());
  });
  assert.match(missingHost, /^HTTP\/1\.1 400/);
  assert.equal((await send(`${run.base}/still`)).status, 200);
});

test('stats count requests and connections', () => {
  const s = run.dp.stats();
  assert.equal(s.generation, 1);
  assert.equal(s.servers.length, 1);
  assert.ok((s.servers[0]?.totalRequests ?? 0) > 400);
  assert.equal(s.totals.inFlight, 0);
  assert.ok(s.upstream.pools >= 2);
});
