/**
 * Frontend mTLS (AllowValidOnly, AllowInsecureFallback, listeners with and without validation on
 * one port) and certificate rotation under continuous handshakes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { createDataPlane } from '../../src/dataplane/index.js';
import { startBackend, type Backend } from './dataplane-support/helpers.js';
import { h2Connect, h2Request, httpsConfig, makeCert, peerCN, type CertPair } from './tls-support.js';

let backend: Backend;
let ca: CertPair;
let otherCa: CertPair;
let goodClient: CertPair;
let badClient: CertPair;
let server: CertPair;

before(async () => {
  backend = await startBackend('v1');
  ca = makeCert({ commonName: 'client-ca', isCA: true });
  otherCa = makeCert({ commonName: 'other-ca', isCA: true });
  goodClient = makeCert({ commonName: 'good-client', issuer: ca, usage: 'client' });
  badClient = makeCert({ commonName: 'bad-client', issuer: otherCa, usage: 'client' });
  server = makeCert({ commonName: 'server', sans: { dns: ['*.example.com', 'open.test'] } });
});

after(async () => {
  await backend.close();
});

/** GET over HTTPS/1.1 with SNI `servername`; resolves the status or 'error'. */
function get(port: number, servername: string, client: CertPair | null): Promise<number | 'error'> {
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        servername,
        headers: { host: servername },
        rejectUnauthorized: false,
        agent: false,
        timeout: 5_000,
        ...(client ? { cert: client.cert, key: client.key } : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve('error'));
    req.end();
  });
}

test('AllowValidOnly: only clients with a certificate from the trusted CA get through', async () => {
  const dp = createDataPlane();
  try {
    await dp.apply(
      httpsConfig([
        { name: 'test/gw/https', hostname: null, certs: [server], backends: [{ endpoints: [backend.endpoint] }], clientValidation: { caPems: [ca.cert], mode: 'AllowValidOnly' } },
      ]),
    );
    const port = dp.stats().servers[0]!.boundPort!;
    assert.equal(await get(port, 'a.example.com', goodClient), 200);
    assert.equal(await get(port, 'a.example.com', null), 'error');
    assert.equal(await get(port, 'a.example.com', badClient), 'error');
  } finally {
    await dp.close(100);
  }
});

test('AllowInsecureFallback: certificates are requested but not required', async () => {
  const dp = createDataPlane();
  try {
    await dp.apply(
      httpsConfig([
        { name: 'test/gw/https', hostname: null, certs: [server], backends: [{ endpoints: [backend.endpoint] }], clientValidation: { caPems: [ca.cert], mode: 'AllowInsecureFallback' } },
      ]),
    );
    const port = dp.stats().servers[0]!.boundPort!;
    assert.equal(await get(port, 'a.example.com', goodClient), 200);
    assert.equal(await get(port, 'a.example.com', null), 200);
    assert.equal(await get(port, 'a.example.com', badClient), 200);
  } finally {
    await dp.close(100);
  }
});

test('validation is per listener: the SNI-selected listener decides', async () => {
  const dp = createDataPlane();
  try {
    await dp.apply(
      httpsConfig([
        { name: 'test/gw/secure', hostname: '*.example.com', certs: [server], backends: [{ endpoints: [backend.endpoint] }], clientValidation: { caPems: [ca.cert], mode: 'AllowValidOnly' } },
        { name: 'test/gw/open', hostname: 'open.test', certs: [server], backends: [{ endpoints: [backend.endpoint] }] },
      ]),
    );
    const port = dp.stats().servers[0]!.boundPort!;
    assert.equal(await get(port, 'open.test', null), 200);
    assert.equal(await get(port, 'a.example.com', null), 'error');
    assert.equal(await get(port, 'a.example.com', goodClient), 200);
  } finally {
    await dp.close(100);
  }
});

test('certificate rotation under continuous handshakes: no failed handshake, new certificate served after apply', async () => {
  const certs = [0, 1, 2].map((i) => makeCert({ commonName: `rot-${i}`, sans: { dns: ['rot.example.com'] } }));
  const config = (c: CertPair) => httpsConfig([{ name: 'test/gw/https', hostname: 'rot.example.com', certs: [c], backends: [{ endpoints: [backend.endpoint] }] }]);
  const dp = createDataPlane();
  try {
    await dp.apply(config(certs[0]!));
    const port = dp.stats().servers[0]!.boundPort!;
    // A session opened before any rotation must survive all of them.
    const session = await h2Connect(port, 'rot.example.com');
    assert.equal((await h2Request(session, { ':path': '/', ':authority': 'rot.example.com' })).status, 200);

    let stop = false;
    let handshakes = 0;
    const failures: string[] = [];
    const seen = new Set<string>();
    const worker = async (): Promise<void> => {
      // Bounded: stops when told, or after 2 000 handshakes per worker at most.
      for (let i = 0; i < 2_000 && !stop; i++) {
        try {
          seen.add(await peerCN(port, 'rot.example.com'));
          handshakes++;
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    for (let round = 0; round < 10; round++) {
      await dp.apply(config(certs[round % 2 === 0 ? 1 : 0]!));
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await dp.apply(config(certs[2]!));
    // Right after the apply, new handshakes get the newest certificate.
    assert.equal(await peerCN(port, 'rot.example.com'), 'rot-2');
    stop = true;
    await Promise.all(workers);
    assert.deepEqual(failures, []);
    assert.ok(handshakes > 20, `only ${handshakes} handshakes ran`);
    assert.ok(seen.has('rot-0') && seen.has('rot-1'), `rotation not observed: ${[...seen].join(', ')}`);
    // The listener was never restarted: same socket, and the old session still works.
    assert.equal(dp.stats().servers[0]!.boundPort, port);
    assert.equal(dp.stats().servers[0]!.totalConnections >= handshakes, true);
    assert.equal((await h2Request(session, { ':path': '/', ':authority': 'rot.example.com' })).status, 200);
    session.close();
  } finally {
    await dp.close(100);
  }
});
