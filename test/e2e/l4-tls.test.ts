/**
 * L4 TLS e2e (127.0.0.1, port 0): passthrough to a TLS backend that sees the client's SNI,
 * Terminate to a plain TCP backend, both modes on one port chosen by SNI, rejection of unknown
 * SNI and invalid backends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { makeCert } from '../conformance/certs.js';
import { config, invalid, listener, route, startGateway, startTcpBackend, startTlsBackend, svc } from './l4-support.js';
import type * as ir from '../../src/ir/types.js';

const ca = makeCert({ commonName: 'l4 test CA', isCA: true });
const backendCert = makeCert({ commonName: 'abc.example.com', sans: { dns: ['abc.example.com', '*.wild.example.com'] }, issuer: ca });
const gatewayCert = makeCert({ commonName: 'tls.example.com', sans: { dns: ['tls.example.com'] }, issuer: ca });
const otherCert = makeCert({ commonName: 'other.example.com', sans: { dns: ['other.example.com'] }, issuer: ca });

function terminateTls(...certs: { cert: string; key: string }[]): ir.ListenerTLS {
  return {
    certificates: certs.map((c, i) => ({ name: `default/cert-${i}`, certPem: c.cert, keyPem: c.key })),
    clientValidation: null,
    minVersion: 'TLSv1.2',
    ciphers: null,
  };
}

/** TLS-dials the gateway with `sni`, trusting the test CA; returns the first line, the peer CN, or an error. */
function dial(port: number, sni: string, send?: string): Promise<{ line?: string; cn?: string; error?: string }> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: sni, ca: ca.cert, checkServerIdentity: () => undefined });
    let buf = '';
    let cn: string | undefined;
    const done = (v: { line?: string; error?: string }): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ ...v, ...(cn ? { cn } : {}) });
    };
    const timer = setTimeout(() => done({ error: 'timeout' }), 3000);
    s.on('secureConnect', () => {
      cn = String(s.getPeerCertificate().subject?.CN ?? '');
      if (send) s.write(send);
    });
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      if (send ? lines.length > 2 : lines.length > 1) done({ line: send ? lines.slice(0, 2).join('|') : (lines[0] ?? '') });
    });
    s.on('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
    s.on('end', () => done({ error: `EOF ${buf}` }));
  });
}

test('tls passthrough: the TLS backend terminates and sees the client SNI', async (t) => {
  const backend = await startTlsBackend('tls-backend', backendCert);
  const gw = await startGateway(
    config('TLS', [listener('tls', 'passthrough', [route('r', [svc(backend)], ['abc.example.com', '*.wild.example.com'])], { hostname: '*.example.com' })]),
  );
  t.after(async () => {
    await gw.dp.close(100);
    await backend.close();
  });
  const r = await dial(gw.port(), 'abc.example.com');
  assert.equal(r.cn, 'abc.example.com', 'the client sees the backend certificate');
  assert.deepEqual(JSON.parse(r.line ?? '{}'), { name: 'tls-backend', sni: 'abc.example.com' });
  const w = await dial(gw.port(), 'x.wild.example.com');
  assert.deepEqual(JSON.parse(w.line ?? '{}'), { name: 'tls-backend', sni: 'x.wild.example.com' });

  // SNI the route does not serve (the listener would): rejected at connection level.
  const other = await dial(gw.port(), 'nope.example.com');
  assert.ok(other.error && /ECONNRESET|EOF|socket disconnected/i.test(other.error), JSON.stringify(other));
  assert.equal(backend.hits, 2);
});

test('tls terminate: the gateway terminates with its certificate and forwards plaintext', async (t) => {
  const plain = await startTcpBackend('plain');
  const gw = await startGateway(
    config('TLS', [listener('tls', 'terminate', [route('r', [svc(plain)], ['tls.example.com'])], { hostname: 'tls.example.com', tls: terminateTls(otherCert, gatewayCert) })]),
  );
  t.after(async () => {
    await gw.dp.close(100);
    await plain.close();
  });
  const r = await dial(gw.port(), 'tls.example.com', 'PING\n');
  assert.equal(r.cn, 'tls.example.com', 'the certificate matching the SNI is chosen');
  assert.equal(r.line, 'plain|plain:PING');
});

test('tls mixed: Terminate and Passthrough listeners on one port, chosen by SNI; invalid backends rejected', async (t) => {
  const plain = await startTcpBackend('plain');
  const backend = await startTlsBackend('tls-backend', backendCert);
  const cfg = config('TLS', [
    listener('tls-passthrough', 'passthrough', [route('p', [svc(backend)], ['abc.example.com'])], { hostname: 'abc.example.com' }),
    listener('tls-terminate', 'terminate', [route('t', [svc(plain)], ['tls.example.com'])], { hostname: 'tls.example.com', tls: terminateTls(gatewayCert) }),
    listener('broken', 'passthrough', [route('b', [invalid('default/nonexistent:443')], ['broken.example.com'])], { hostname: 'broken.example.com' }),
  ]);
  const gw = await startGateway(cfg);
  t.after(async () => {
    await gw.dp.close(100);
    await Promise.all([plain.close(), backend.close()]);
  });
  const [p, term] = await Promise.all([dial(gw.port(), 'abc.example.com'), dial(gw.port(), 'tls.example.com', 'PING\n')]);
  assert.deepEqual(JSON.parse(p.line ?? '{}'), { name: 'tls-backend', sni: 'abc.example.com' });
  assert.equal(p.cn, 'abc.example.com');
  assert.equal(term.line, 'plain|plain:PING');
  assert.equal(term.cn, 'tls.example.com');
  const broken = await dial(gw.port(), 'broken.example.com');
  assert.ok(broken.error && broken.line === undefined, JSON.stringify(broken));
  const unknown = await dial(gw.port(), 'unknown.example.org');
  assert.ok(unknown.error, JSON.stringify(unknown));
  // Not TLS at all: closed.
  const raw = await new Promise<string>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: gw.port() }, () => s.write('GET / HTTP/1.1\r\n\r\n'));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    s.on('close', () => resolve('closed'));
  });
  assert.match(raw, /ECONNRESET|closed/);
});

test('tls terminate: a certificate that does not load fails only its listener; client validation is enforced', async (t) => {
  const plain = await startTcpBackend('plain');
  const broken: ir.ListenerTLS = { ...terminateTls(gatewayCert), certificates: [{ name: 'default/bad', certPem: gatewayCert.cert, keyPem: otherCert.key }] };
  const clientCa = makeCert({ commonName: 'client CA', isCA: true });
  const client = makeCert({ commonName: 'client', issuer: clientCa, usage: 'client' });
  const mtls: ir.ListenerTLS = { ...terminateTls(otherCert), clientValidation: { caPems: [clientCa.cert], mode: 'AllowValidOnly' } };
  const gw = await startGateway(
    config('TLS', [
      listener('bad', 'terminate', [route('b', [svc(plain)])], { hostname: 'tls.example.com', tls: broken }),
      listener('mtls', 'terminate', [route('m', [svc(plain)])], { hostname: 'other.example.com', tls: mtls }),
    ]),
  );
  t.after(async () => {
    await gw.dp.close(100);
    await plain.close();
  });
  assert.ok((await dial(gw.port(), 'tls.example.com')).error, 'no usable certificate: the handshake fails');
  // Without a client certificate the AllowValidOnly listener refuses the handshake.
  const anonymous = await dial(gw.port(), 'other.example.com', 'PING\n');
  assert.ok(anonymous.error, JSON.stringify(anonymous));
  const withCert = await new Promise<string>((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port: gw.port(), servername: 'other.example.com', ca: ca.cert, cert: client.cert, key: client.key, checkServerIdentity: () => undefined });
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) {
        s.destroy();
        resolve(buf.split('\n')[0] ?? '');
      }
    });
    s.on('error', (e) => resolve(`error: ${e.message}`));
  });
  assert.equal(withCert, 'plain');
});
