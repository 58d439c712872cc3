/** Data plane e2e: hot config swaps under load, server add/remove, bind errors, bad configs. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'undici';
import { createDataPlane } from '../../src/dataplane/index.js';
import { fillConfig } from '../golden/dataplane/ir-defaults.js';
import { send, startBackend, type Backend } from './dataplane-support/helpers.js';

let v1: Backend;
let v2: Backend;
let slow: Backend;

before(async () => {
  v1 = await startBackend('v1');
  v2 = await startBackend('v2');
  slow = await startBackend('slow', (req, res) => {
    req.resume();
    setTimeout(() => res.end('slow done'), 300);
  });
});

after(async () => {
  await Promise.all([v1.close(), v2.close(), slow.close()]);
});

/** Config number k: /stable → v1; /edit → v1 or v2 by parity; /added only in odd configs. */
function configK(k: number, withSecond: boolean): unknown {
  const rules: unknown[] = [
    { name: 'stable', match: { path: '/stable' }, backends: [{ name: 'v1', endpoints: [v1.endpoint] }] },
    { name: 'edit', match: { path: '/edit' }, backends: [{ name: k % 2 === 0 ? 'v1' : 'v2', endpoints: [(k % 2 === 0 ? v1 : v2).endpoint] }] },
  ];
  if (k % 2 === 1) rules.push({ name: 'added', match: { path: '/added' }, backends: [{ name: 'v2', endpoints: [v2.endpoint] }] });
  const servers: unknown[] = [{ name: 'main', address: '127.0.0.1', port: 0, listeners: [{ rules }] }];
  if (withSecond) servers.push({ name: 'second', address: '127.0.0.2', port: 0, listeners: [{ rules: [{ backends: [{ name: 'v2', endpoints: [v2.endpoint] }] }] }] });
  return { servers };
}

/** What config k answers for a path: `<status> <backend>`. */
function expected(k: number, path: string): string {
  if (path === '/stable') return '200 v1';
  if (path === '/edit') return k % 2 === 0 ? '200 v1' : '200 v2';
  return k % 2 === 1 ? '200 v2' : '404 -';
}

test('100 applies under continuous keep-alive load: no failures, only old-or-new answers', async () => {
  const dp = createDataPlane();
  let started = 0; // index of the config being (or last) applied
  let done = 0; // index of the last config fully applied
  assert.deepEqual((await dp.apply(fillConfig(configK(0, false)))).errors, []);
  const port = dp.stats().servers.find((s) => s.name === 'main')?.boundPort ?? 0;
  const CLIENTS = 6;
  const clients = Array.from({ length: CLIENTS }, () => new Client(`http://127.0.0.1:${port}`, { pipelining: 1, keepAliveTimeout: 10_000 }));
  const paths = ['/stable', '/edit', '/added'];
  let stop = false;
  let total = 0;
  const failures: string[] = [];
  const loops = clients.map(async (c, ci) => {
    for (let i = 0; !stop && i < 100_000; i++) {
      const path = paths[(i + ci) % paths.length] as string;
      const from = done;
      try {
        const res = await c.request({ method: 'GET', path });
        const body = await res.body.text();
        const got = `${res.statusCode} ${res.statusCode === 200 ? (JSON.parse(body) as { name: string }).name : '-'}`;
        const to = started;
        let ok = false;
        for (let k = from; k <= to && !ok; k++) ok = expected(k, path) === got;
        if (!ok) failures.push(`${path}: got ${got}, configs ${from}..${to}`);
      } catch (err) {
        failures.push(`${path}: ${(err as Error).message}`);
      }
      total++;
    }
  });

  let secondChecks = 0;
  for (let k = 1; k <= 100; k++) {
    const withSecond = k % 10 >= 5;
    started = k;
    const res = await dp.apply(fillConfig(configK(k, withSecond)));
    done = k;
    assert.deepEqual(res.errors, []);
    if (k % 10 === 5 || k % 10 === 0) {
      // The second server appears on 5, 15, ... and is gone on 10, 20, ...
      const second = dp.stats().servers.find((s) => s.name === 'second' && s.state === 'serving');
      if (withSecond) {
        assert.ok(second?.boundPort, 'second server bound');
        const r = await send(`http://127.0.0.2:${second.boundPort}/x`);
        assert.equal(r.status, 200);
        secondChecks++;
      } else {
        assert.equal(second, undefined);
      }
    }
    await delay(5);
  }
  stop = true;
  await Promise.all(loops);
  await Promise.all(clients.map((c) => c.close()));
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} failures of ${total}`);
  assert.ok(total > 300, `only ${total} requests`);
  assert.equal(secondChecks, 10);
  const main = dp.stats().servers.find((s) => s.name === 'main');
  assert.equal(main?.boundPort, port, 'the main socket was kept across all applies');
  assert.ok((main?.totalConnections ?? 0) <= CLIENTS + 1, `clients reconnected: ${main?.totalConnections} connections`);
  assert.equal(dp.stats().generation, 101);
  await dp.close(500);
});

test('a removed server finishes requests in flight and stops accepting', async () => {
  const dp = createDataPlane({ drainGraceMs: 2_000 });
  const withB = {
    servers: [
      { name: 'a', address: '127.0.0.1', port: 0, listeners: [{ rules: [{ backends: [{ endpoints: [v1.endpoint] }] }] }] },
      { name: 'b', address: '127.0.0.3', port: 0, listeners: [{ rules: [{ backends: [{ endpoints: [slow.endpoint] }] }] }] },
    ],
  };
  await dp.apply(fillConfig(withB));
  const portB = dp.stats().servers.find((s) => s.name === 'b')?.boundPort ?? 0;
  const pending = send(`http://127.0.0.3:${portB}/slow`);
  await delay(50);
  await dp.apply(fillConfig({ servers: [withB.servers[0]] }));
  const r = await pending;
  assert.equal(r.status, 200);
  assert.equal(r.text, 'slow done');
  await assert.rejects(
    () =>
      new Promise<void>((resolve, reject) => {
        const s = net.connect(portB, '127.0.0.3', () => {
          s.destroy();
          resolve();
        });
        s.on('error', reject);
      }),
    /ECONNREFUSED/,
  );
  await dp.close(500);
});

test('a bind failure is reported and does not affect other servers', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as net.AddressInfo).port;
  const dp = createDataPlane();
  try {
    const res = await dp.apply(
      fillConfig({
        servers: [
          { name: 'ok', address: '127.0.0.4', port: 0, listeners: [{ rules: [{ backends: [{ endpoints: [v1.endpoint] }] }] }] },
          { name: 'taken', address: '127.0.0.1', port: taken, listeners: [{ rules: [{ backends: [{ endpoints: [v1.endpoint] }] }] }] },
        ],
      }),
    );
    assert.equal(res.errors.length, 1);
    assert.equal(res.errors[0]?.server, 'taken');
    assert.equal(res.errors[0]?.code, 'GW_ERR_BIND');
    const ok = dp.stats().servers.find((s) => s.name === 'ok');
    assert.equal((await send(`http://127.0.0.4:${ok?.boundPort}/`)).status, 200);
  } finally {
    await dp.close(200);
    await new Promise<void>((r) => blocker.close(() => r()));
  }
});

test('a config that does not compile is rejected and the old one keeps serving', async () => {
  const dp = createDataPlane();
  try {
    await dp.apply(fillConfig({ servers: [{ address: '127.0.0.5', port: 0, listeners: [{ rules: [{ backends: [{ endpoints: [v1.endpoint] }] }] }] }] }));
    const port = dp.stats().servers[0]?.boundPort;
    const bad = fillConfig({ servers: [{ address: '127.0.0.5', port: 0, listeners: [{ rules: [{ match: { path: { type: 'RegularExpression', value: '/(' } } }] }] }] });
    await assert.rejects(() => dp.apply(bad), (e: { code?: string }) => e.code === 'GW_ERR_INVALID_CONFIG');
    assert.equal(dp.stats().generation, 1);
    assert.equal((await send(`http://127.0.0.5:${port}/`)).status, 200);
  } finally {
    await dp.close(200);
  }
});

test('the pool of an endpoint no config references any more is closed soon after the apply', async () => {
  const server = (endpoint: { address: string; port: number }): unknown => ({
    servers: [{ address: '127.0.0.1', port: 0, listeners: [{ rules: [{ name: 'r', match: { path: '/' }, backends: [{ name: 'b', endpoints: [endpoint] }] }] }] }],
  });
  const dp = createDataPlane();
  try {
    await dp.apply(fillConfig(server(v1.endpoint)));
    const port = dp.stats().servers[0]!.boundPort!;
    assert.equal((await send(`http://127.0.0.1:${port}/`)).status, 200);
    assert.equal(dp.stats().upstream.pools, 1);
    await dp.apply(fillConfig(server(v2.endpoint)));
    assert.equal((await send(`http://127.0.0.1:${port}/`)).status, 200);
    const deadline = Date.now() + 3_000;
    while (dp.stats().upstream.pools !== 1 && Date.now() < deadline) await delay(50);
    assert.equal(dp.stats().upstream.pools, 1, "v1's pool is closed, v2's stays");
  } finally {
    await dp.close(200);
  }
});
