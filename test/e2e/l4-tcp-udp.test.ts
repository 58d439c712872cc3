/**
 * L4 data plane e2e (real sockets on 127.0.0.1, port 0): TCP weighted spreading, rejected
 * shares, a backend that goes away, half-close; UDP weighted sessions, expiry, a backend that
 * goes away.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import {
  config,
  invalid,
  listener,
  route,
  startGateway,
  startTcpBackend,
  startUdpBackend,
  svc,
  tally,
  tcpGreeting,
  udpExchange,
} from './l4-support.js';

test('tcp: connections are spread by weight, weight 0 gets none', async (t) => {
  const [a, b, c] = await Promise.all([startTcpBackend('a'), startTcpBackend('b'), startTcpBackend('c')]);
  const gw = await startGateway(config('TCP', [listener('tcp', 'tcp', [route('r', [svc(a, 70), svc(b, 30), svc(c, 0)])])]));
  t.after(async () => {
    await gw.dp.close(100);
    await Promise.all([a.close(), b.close(), c.close()]);
  });
  const seen: string[] = [];
  for (let i = 0; i < 200; i++) seen.push(await tcpGreeting(gw.port()));
  const counts = tally(seen);
  assert.equal(counts['c'], undefined, JSON.stringify(counts));
  assert.equal((counts['a'] ?? 0) + (counts['b'] ?? 0), 200, JSON.stringify(counts));
  assert.ok(Math.abs((counts['a'] ?? 0) / 200 - 0.7) < 0.1, JSON.stringify(counts));
});

test('tcp: only the oldest route of a listener gets traffic', async (t) => {
  const [a, b] = await Promise.all([startTcpBackend('older'), startTcpBackend('newer')]);
  const gw = await startGateway(config('TCP', [listener('tcp', 'tcp', [route('older', [svc(a)]), route('newer', [svc(b)])])]));
  t.after(async () => {
    await gw.dp.close(100);
    await Promise.all([a.close(), b.close()]);
  });
  for (let i = 0; i < 20; i++) assert.equal(await tcpGreeting(gw.port()), 'older');
});

test('tcp: an invalid backend share is rejected with a reset; an empty route rejects all', async (t) => {
  const a = await startTcpBackend('a');
  const gw = await startGateway(config('TCP', [listener('tcp', 'tcp', [route('r', [svc(a, 1), invalid('default/missing:1', 1)])])]));
  t.after(async () => {
    await gw.dp.close(100);
    await a.close();
  });
  const seen: string[] = [];
  for (let i = 0; i < 60; i++) seen.push(await tcpGreeting(gw.port()));
  const counts = tally(seen);
  const rejected = seen.filter((s) => s.startsWith('error:')).length;
  assert.ok(rejected > 15 && rejected < 45, JSON.stringify(counts));
  assert.ok(seen.filter((s) => s.startsWith('error:')).every((s) => /ECONNRESET|EOF/.test(s)), JSON.stringify(counts));
  assert.equal(counts['a'], 60 - rejected);

  await gw.dp.apply(config('TCP', [listener('tcp', 'tcp', [route('r', [])])]));
  assert.match(await tcpGreeting(gw.port()), /^error: (ECONNRESET|EOF)/);
});

test('tcp: a backend that goes away — new connections go elsewhere, a dead endpoint is skipped', async (t) => {
  const [a, b] = await Promise.all([startTcpBackend('a'), startTcpBackend('b')]);
  const gw = await startGateway(config('TCP', [listener('tcp', 'tcp', [route('r', [svc(a, 1), svc(b, 1)])])]));
  t.after(async () => {
    await gw.dp.close(100);
    await Promise.all([a.close(), b.close()]);
  });
  const port = gw.port();
  // A connection in progress on `a` survives the config change.
  const live = net.connect({ host: '127.0.0.1', port });
  const greeting = await new Promise<string>((r) => live.once('data', (d: Buffer) => r(d.toString().trim())));
  await gw.dp.apply(config('TCP', [listener('tcp', 'tcp', [route('r', [svc(b, 1)])])]));
  assert.equal(gw.port(), port, 'the socket is kept');
  for (let i = 0; i < 10; i++) assert.equal(await tcpGreeting(port), 'b');
  const echoed = new Promise<string>((r) => live.once('data', (d: Buffer) => r(d.toString().trim())));
  live.write('ping\n');
  assert.equal(await echoed, `${greeting}:ping`);
  live.destroy();

  // One backend with a dead endpoint and a live one: connecting moves on to the live endpoint.
  const dead = await startTcpBackend('dead');
  await dead.close();
  await gw.dp.apply(config('TCP', [listener('tcp', 'tcp', [route('r', [svc(a, 1, [dead.endpoint, a.endpoint])])])]));
  for (let i = 0; i < 6; i++) assert.equal(await tcpGreeting(port), 'a');
});

test('tcp: half-close is propagated both ways', async (t) => {
  const a = await startTcpBackend('a');
  const gw = await startGateway(config('TCP', [listener('tcp', 'tcp', [route('r', [svc(a)])])]));
  t.after(async () => {
    await gw.dp.close(100);
    await a.close();
  });
  const s = net.connect({ host: '127.0.0.1', port: gw.port(), allowHalfOpen: true });
  let got = '';
  const ended = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no end; got ${JSON.stringify(got)}`)), 3000);
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  s.write('one\n');
  // Wait for the echo, then close our writing side: the backend sees EOF, answers, ends.
  await new Promise<void>((r) => {
    const check = (): void => (got.includes('a:one') ? r() : void setTimeout(check, 10));
    check();
  });
  s.end();
  await ended;
  assert.equal(got, 'a\na:one\na:bye\n');
  s.destroy();
});

test('tcp: idle connections are closed after the idle timeout', async (t) => {
  const a = await startTcpBackend('a');
  const gw = await startGateway(config('TCP', [listener('tcp', 'tcp', [route('r', [svc(a)])])]), { idleTimeoutMs: 150 });
  t.after(async () => {
    await gw.dp.close(100);
    await a.close();
  });
  const s = net.connect({ host: '127.0.0.1', port: gw.port() });
  s.on('data', () => undefined);
  const start = Date.now();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('idle connection not closed')), 3000);
    s.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    s.on('error', () => undefined);
  });
  assert.ok(Date.now() - start >= 100);
});

test('udp: sessions are spread by weight (hash of the client address) and stick to their backend', async (t) => {
  const [a, b] = await Promise.all([startUdpBackend('a'), startUdpBackend('b')]);
  const gw = await startGateway(config('UDP', [listener('udp', 'udp', [route('r', [svc(a, 1), svc(b, 1)])])]));
  const socks: dgram.Socket[] = [];
  t.after(async () => {
    for (const s of socks) s.close();
    await gw.dp.close(100);
    await Promise.all([a.close(), b.close()]);
  });
  const first: string[] = [];
  for (let i = 0; i < 60; i++) {
    const s = dgram.createSocket('udp4');
    socks.push(s);
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const reply = await udpExchange(s, gw.port(), `hello${i}`);
    first.push(reply.split(':')[0] ?? '');
    assert.match(reply, new RegExp(`^[ab]:hello${i}$`));
    // The same client keeps its backend.
    assert.equal((await udpExchange(s, gw.port(), 'again')).split(':')[0], reply.split(':')[0]);
  }
  const counts = tally(first);
  assert.ok((counts['a'] ?? 0) >= 10 && (counts['b'] ?? 0) >= 10, JSON.stringify(counts));
  const stats = gw.dp.stats().servers.find((s) => s.name.endsWith('/udp'));
  assert.equal(stats?.connections, 60);
});

test('udp: idle sessions expire; a backend that goes away loses its sessions; invalid shares are dropped', async (t) => {
  const [a, b] = await Promise.all([startUdpBackend('a'), startUdpBackend('b')]);
  const gw = await startGateway(config('UDP', [listener('udp', 'udp', [route('r', [svc(a)])])]), { sessionIdleMs: 150 });
  const s = dgram.createSocket('udp4');
  t.after(async () => {
    s.close();
    await gw.dp.close(100);
    await Promise.all([a.close(), b.close()]);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  assert.equal(await udpExchange(s, gw.port(), 'x'), 'a:x');
  const sessions = (): number => gw.dp.stats().servers.find((x) => x.state === 'serving')?.connections ?? -1;
  assert.equal(sessions(), 1);
  const deadline = Date.now() + 2000;
  while (sessions() !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  assert.equal(sessions(), 0, 'the idle session expired');

  // a session on `a`, then `a` leaves the config: the session closes, the next datagram goes to b.
  assert.equal(await udpExchange(s, gw.port(), 'y'), 'a:y');
  await gw.dp.apply(config('UDP', [listener('udp', 'udp', [route('r', [svc(b)])])]));
  assert.equal(await udpExchange(s, gw.port(), 'z'), 'b:z');

  // Only an invalid backend: datagrams are dropped.
  await gw.dp.apply(config('UDP', [listener('udp', 'udp', [route('r', [invalid('default/gone:1')])])]));
  const other = dgram.createSocket('udp4');
  await new Promise<void>((r) => other.bind(0, '127.0.0.1', r));
  assert.equal(await udpExchange(other, gw.port(), 'dropped', 300), 'error: timeout');
  other.close();
});
