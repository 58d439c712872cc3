/**
 * Unit tests of the churn scenario's parts: the certificate-rotation check, the WebSocket echo
 * accounting, and (on loopback, against local servers) the TLS load generator, the handshake
 * prober and the WebSocket clients with the echo backend.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { makeCert, type CertPair } from '../test/conformance/certs.js';
import { runLoad, type LoadResult } from './lib/loadgen.js';
import { checkRotation, type Handshake } from './lib/rotation-check.js';
import { HandshakeProbe } from './lib/tls-probe.js';
import { EchoTracker, newEchoCounts, WsClients } from './lib/ws-clients.js';
import { startWsEcho } from './lib/ws-echo.js';
import { verdict } from './scenarios/churn.js';

const hs = (start: number, cn: string, end = start + 1): Handshake => ({ start, end, cn });

describe('certificate rotation check', () => {
  it('measures the lag of each rotation and counts rotated handshakes', () => {
    const r = checkRotation('c0', [{ at: 100, cn: 'c1' }, { at: 200, cn: 'c2' }], [
      hs(90, 'c0'), hs(110, 'c0'), hs(130, 'c1', 135), hs(150, 'c1'), hs(205, 'c1'), hs(240, 'c2', 250),
    ]);
    assert.equal(r.rotations, 2);
    assert.equal(r.handshakes, 6);
    assert.equal(r.rotatedHandshakes, 4);
    assert.deepEqual(r.lagMs, [35, 50]);
    assert.equal(r.rotationsServed, 2);
    assert.equal(r.certificatesSeen, 2);
    assert.equal(r.lagMaxMs, 50);
    assert.equal(r.stale, 0);
    assert.equal(r.unknown, 0);
  });
  it('counts a handshake that gets an older certificate after a newer one was served as stale', () => {
    const r = checkRotation('c0', [{ at: 100, cn: 'c1' }], [hs(120, 'c1', 125), hs(130, 'c0', 131), hs(140, 'c1')]);
    assert.equal(r.stale, 1);
    // overlapping handshakes are not ordered: the second began before the first ended
    assert.equal(checkRotation('c0', [{ at: 100, cn: 'c1' }], [hs(120, 'c1', 125), hs(124, 'c0', 126)]).stale, 0);
  });
  it('a superseded rotation is served by the later certificate; unknown and never-served ones are told apart', () => {
    const r = checkRotation('c0', [{ at: 100, cn: 'c1' }, { at: 110, cn: 'c2' }, { at: 300, cn: 'c3' }], [hs(150, 'c2', 160), hs(170, 'x')]);
    assert.deepEqual(r.lagMs, [60, 50, null]);
    assert.equal(r.rotationsServed, 2);
    assert.equal(r.certificatesSeen, 1);
    assert.equal(r.unknown, 1);
  });
});

describe('churn verdict', () => {
  const load = (o: Partial<LoadResult> = {}): LoadResult => ({
    durationS: 1, sent: 10, completed: 10, rps: 10, latencyMs: { p50: 1, p90: 1, p99: 1, p999: 1, max: 1, mean: 1 },
    correctedLatencyMs: { p50: 1, p90: 1, p99: 1, p999: 1, max: 1, mean: 1 }, statuses: { 200: 10 }, non2xx: 0, errors: {},
    droppedConnections: 0, connectionsOpened: 2, ...o,
  });
  const ws = { connections: 2, opened: 2, sent: 5, echoed: 5, missed: 0, late: 0, wrong: 0, closedByPeer: 0, closeCodes: {}, errors: {}, cleanCloses: 2, uncleanCloses: 0, rttP50Ms: 1, rttP99Ms: 1, rttMaxMs: 1 };
  const probe = { probes: 3, statuses: { 200: 3 }, non2xx: 0, errors: {} };
  const rotation = checkRotation('c0', [{ at: 1, cn: 'c1' }], [hs(2, 'c1')]);
  it('is empty when nothing failed', () => {
    assert.deepEqual(verdict(load(), load(), probe, [ws, ws], rotation, 2), []);
  });
  it('names each failure: https reconnects, a dropped WebSocket, a rotation never served', () => {
    const unserved = checkRotation('c0', [{ at: 1, cn: 'c1' }], [hs(2, 'c0')]);
    const out = verdict(load(), load({ connectionsOpened: 3, droppedConnections: 1 }), probe, [ws, { ...ws, closedByPeer: 1, missed: 2 }], unserved, 2);
    assert.deepEqual(out, [
      'https: 1 connections closed by the proxy', 'https: 1 reconnects', 'wss: 1 connections closed by the proxy',
      'wss: 2 missed and 0 wrong echoes', '1 rotations never served to a new handshake',
    ]);
  });
});

describe('WebSocket echo accounting', () => {
  it('counts echoes in order, skipped ones as missed, late and wrong ones apart', () => {
    const counts = newEchoCounts();
    const t = new EchoTracker('a', counts);
    const p0 = t.next(0);
    const p1 = t.next(10);
    const p2 = t.next(20);
    assert.equal(p0, 'a:0');
    t.receive(p0, 5);
    t.receive(p2, 30); // p1 skipped
    assert.deepEqual({ ...counts, rttMs: [...counts.rttMs] }, { sent: 3, echoed: 2, missed: 1, late: 0, wrong: 0, rttMs: [5, 10] });
    t.receive(p1, 31); // after it was counted missed
    t.receive('b:0', 32);
    assert.equal(counts.late, 1);
    assert.equal(counts.wrong, 1);
  });
  it('expires unanswered messages and abandons them with the connection', () => {
    const counts = newEchoCounts();
    const t = new EchoTracker('a', counts);
    t.next(0);
    t.next(50);
    t.next(90);
    t.expire(100, 60); // only the first is older than 60 ms
    assert.equal(counts.missed, 1);
    assert.equal(t.outstanding, 2);
    t.abandon();
    assert.equal(counts.missed, 3);
    assert.equal(t.outstanding, 0);
  });
});

describe('WebSocket clients against local servers', () => {
  it('holds connections to the echo backend, every message echoed, closes cleanly', async () => {
    const server = await startWsEcho('127.0.0.1', 0);
    try {
      const port = (server.address() as AddressInfo).port;
      const clients = await new WsClients({ url: `ws://127.0.0.1:${port}/`, host: 'ws.test', connections: 3, intervalMs: 20, echoTimeoutMs: 1000, tag: 't' }).start();
      await new Promise((r) => setTimeout(r, 250));
      const c = await clients.stop();
      assert.equal(c.opened, 3);
      assert.ok(c.sent >= 9, `sent ${c.sent}`);
      assert.equal(c.echoed, c.sent);
      assert.equal(c.missed + c.wrong + c.late + c.closedByPeer, 0);
      assert.deepEqual(c.errors, {});
      assert.equal(c.cleanCloses, 3);
      assert.equal(c.uncleanCloses, 0);
    } finally {
      server.close();
    }
  });
  it('counts closes it did not ask for, the messages lost with them, and reopens', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    let n = 0;
    // The first connection is closed by the server (1001) on its second message and not echoed.
    wss.on('connection', (ws) => {
      const first = n++ === 0;
      let m = 0;
      ws.on('message', (d) => (first && ++m === 2 ? ws.close(1001, 'going away') : ws.send(d)));
    });
    try {
      const port = (wss.address() as AddressInfo).port;
      const clients = await new WsClients({ url: `ws://127.0.0.1:${port}/`, host: 'ws.test', connections: 1, intervalMs: 20, echoTimeoutMs: 1000, tag: 't' }).start();
      await new Promise((r) => setTimeout(r, 400));
      const c = await clients.stop();
      assert.equal(c.closedByPeer, 1);
      assert.deepEqual(c.closeCodes, { '1001': 1 });
      assert.ok(c.missed >= 1);
      assert.equal(c.opened, 2);
      assert.equal(c.cleanCloses, 1);
    } finally {
      wss.close();
    }
  });
});

describe('TLS load and handshake probe against a local HTTPS server', () => {
  let ca: CertPair;
  let certs: CertPair[];
  let server: Server;
  let port: number;
  before(async () => {
    ca = makeCert({ commonName: 'test-ca', isCA: true });
    certs = [0, 1].map((i) => makeCert({ commonName: `leaf-${i}`, issuer: ca, sans: { dns: ['*.bench.test'] } }));
    server = createServer({ cert: certs[0]!.cert, key: certs[0]!.key }, (_req, res) => res.end('ok\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it('load generator: keep-alive over TLS verified against the CA, handshakes counted by certificate', async () => {
    const r = await runLoad({
      address: '127.0.0.1', port, targets: [{ host: 'a.bench.test', path: '/' }], connections: 2, durationMs: 300, rate: null, timeoutMs: 1000,
      tls: { ca: ca.cert, servername: 'a.bench.test' },
    });
    assert.ok(r.completed > 0);
    assert.equal(r.non2xx, 0);
    assert.deepEqual(r.errors, {});
    assert.deepEqual(r.handshakes, { 'leaf-0': 2 });
    assert.equal(r.droppedConnections, 0);
  });
  it('load generator: a certificate from another CA fails the handshake and is counted', async () => {
    const other = makeCert({ commonName: 'other-ca', isCA: true });
    const r = await runLoad({
      address: '127.0.0.1', port, targets: [{ host: 'a.bench.test', path: '/' }], connections: 1, durationMs: 200, rate: null, timeoutMs: 1000,
      tls: { ca: other.cert, servername: 'a.bench.test' },
    });
    assert.equal(r.completed, 0);
    assert.ok((r.errors['UNABLE_TO_VERIFY_LEAF_SIGNATURE'] ?? 0) > 0, JSON.stringify(r.errors));
    assert.deepEqual(r.handshakes, {});
  });
  it('probe: new handshakes see the certificate the server switched to', async () => {
    const probe = new HandshakeProbe({ address: '127.0.0.1', port, servername: 'p.bench.test', path: '/', ca: ca.cert, intervalMs: 10, timeoutMs: 1000 }).start();
    await new Promise((r) => setTimeout(r, 100));
    server.setSecureContext({ cert: certs[1]!.cert, key: certs[1]!.key });
    const at = Date.now();
    await new Promise((r) => setTimeout(r, 100));
    const counts = await probe.stop();
    assert.equal(counts.non2xx, 0);
    assert.deepEqual(counts.errors, {});
    assert.equal(counts.statuses['200'], counts.probes);
    const report = checkRotation('leaf-0', [{ at, cn: 'leaf-1' }], probe.handshakes);
    assert.equal(report.rotationsServed, 1);
    assert.equal(report.stale, 0);
    assert.ok(report.rotatedHandshakes > 0);
    server.setSecureContext({ cert: certs[0]!.cert, key: certs[0]!.key });
  });
});
