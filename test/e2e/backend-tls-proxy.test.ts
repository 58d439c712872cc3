/**
 * Data plane e2e: TLS from the gateway to backends (ir.BackendTLS) — CA + hostname verification,
 * subjectAltNames, the System roots, the Gateway's client certificate, HTTP/2 over TLS (ALPN),
 * WebSocket over TLS, and a new pool when the TLS settings change.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import type * as ir from '../../src/ir/types.js';
import { fillConfig } from '../golden/dataplane/ir-defaults.js';
import { makeCert, type CertPair } from '../conformance/certs.js';
import { send, startDataPlane, type Running } from './dataplane-support/helpers.js';

interface SeenTLS {
  servername: string | false;
  alpn: string | false | null;
  clientCN: string | null;
  clientAuthorized: boolean;
  scheme?: string;
}

let ca: CertPair;
let otherCA: CertPair;
let client: CertPair;
let h1: https.Server;
let h2: http2.Http2SecureServer;
let h1Port = 0;
let h2Port = 0;
let h1Connections = 0;
let run: Running;

function seenOf(socket: TLSSocket): SeenTLS {
  const peer = socket.getPeerCertificate();
  return {
    servername: (socket as TLSSocket & { servername: string | false }).servername,
    alpn: socket.alpnProtocol,
    clientCN: peer && peer.subject ? String(peer.subject.CN) : null,
    clientAuthorized: socket.authorized,
  };
}

function tlsOf(partial: Partial<ir.BackendTLS>): ir.BackendTLS {
  return { serverName: 'backend.example.com', caPems: [ca.cert], subjectAltNames: [], clientCertificate: null, ...partial };
}

function rule(name: string, path: string, tls: ir.BackendTLS, port = h1Port, protocol: ir.BackendProtocol = 'http1'): unknown {
  return {
    name,
    match: { path: { type: 'PathPrefix', value: path } },
    backends: [{ name, protocol, tls, endpoints: [{ address: '127.0.0.1', port }] }],
  };
}

function config(rules: unknown[]): unknown {
  return { servers: [{ address: '127.0.0.1', port: 0, listeners: [{ rules }] }] };
}

function allRules(): unknown[] {
  return [
    rule('ca', '/ca', tlsOf({})),
    rule('wrong-host', '/wrong-host', tlsOf({ serverName: 'other.example.com' })),
    rule('wrong-ca', '/wrong-ca', tlsOf({ caPems: [otherCA.cert] })),
    rule('san-uri', '/san-uri', tlsOf({ serverName: 'sni.example.com', subjectAltNames: [{ type: 'URI', value: 'spiffe://example.com/backend' }] })),
    rule('san-host', '/san-host', tlsOf({ serverName: 'sni.example.com', subjectAltNames: [{ type: 'Hostname', value: 'alt.example.com' }] })),
    rule('san-mismatch', '/san-mismatch', tlsOf({ subjectAltNames: [{ type: 'Hostname', value: 'nope.example.com' }, { type: 'URI', value: 'spiffe://example.com/other' }] })),
    rule('system', '/system', tlsOf({ caPems: 'system' })),
    rule('client-cert', '/client-cert', tlsOf({ clientCertificate: { name: 'infra/client', certPem: client.cert, keyPem: client.key } })),
    rule('h2', '/h2', tlsOf({}), h2Port, 'h2'),
    rule('ws', '/ws', tlsOf({}), h1Port, 'ws'),
  ];
}

before(async () => {
  ca = makeCert({ commonName: 'test-backend-ca', isCA: true });
  otherCA = makeCert({ commonName: 'other-ca', isCA: true });
  client = makeCert({ commonName: 'gateway-client', issuer: ca, usage: 'client' });
  const server = makeCert({
    commonName: 'backend.example.com',
    issuer: ca,
    sans: { dns: ['backend.example.com', 'alt.example.com'], uris: ['spiffe://example.com/backend'] },
  });
  // Asks for a client certificate but accepts connections without one (reports what it got).
  h1 = https.createServer({ key: server.key, cert: server.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...seenOf(req.socket as TLSSocket), url: req.url, host: req.headers.host }));
  });
  h1.on('secureConnection', () => h1Connections++);
  new WebSocketServer({ server: h1 }).on('connection', (sock, req) => {
    sock.send(`hello over ${(req.socket as TLSSocket).encrypted ? 'tls' : 'plain'} sni=${String(seenOf(req.socket as TLSSocket).servername)}`);
    sock.on('message', (data) => sock.send(data));
  });
  await new Promise<void>((r) => h1.listen(0, '127.0.0.1', r));
  h1Port = (h1.address() as AddressInfo).port;

  h2 = http2.createSecureServer({ key: server.key, cert: server.cert, allowHTTP1: false });
  h2.on('stream', (stream, headers) => {
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    stream.end(JSON.stringify({ ...seenOf(stream.session!.socket as TLSSocket), scheme: headers[':scheme'], authority: headers[':authority'] }));
  });
  await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
  h2Port = (h2.address() as AddressInfo).port;

  run = await startDataPlane(config(allRules()));
});

after(async () => {
  await run.dp.close(500);
  h1.closeAllConnections();
  await new Promise<void>((r) => h1.close(() => r()));
  await new Promise<void>((r) => h2.close(() => r()));
});

async function get(path: string): Promise<{ status: number; body: SeenTLS & Record<string, unknown> }> {
  const r = await send(`${run.base}${path}`, { headers: { host: 'front.example' } });
  return { status: r.status, body: r.status === 200 ? (JSON.parse(r.text) as SeenTLS & Record<string, unknown>) : ({} as SeenTLS & Record<string, unknown>) };
}

test('a TLS backend verified by CA and hostname: SNI is the policy hostname, not the Host header', async () => {
  const r = await get('/ca/x');
  assert.equal(r.status, 200);
  assert.equal(r.body.servername, 'backend.example.com');
  assert.equal(r.body['host'], 'front.example');
  assert.equal(r.body['url'], '/ca/x');
  assert.equal(r.body.alpn, 'http/1.1');
  assert.equal(r.body.clientCN, null, 'no client certificate unless the Gateway has one');
});

test('hostname or CA mismatch: the request fails with 502, never falls back to plaintext', async () => {
  assert.equal((await get('/wrong-host')).status, 502);
  assert.equal((await get('/wrong-ca')).status, 502);
});

test('subjectAltNames replace the hostname as identity (URI or Hostname match), SNI stays the hostname', async () => {
  const uri = await get('/san-uri');
  assert.equal(uri.status, 200);
  assert.equal(uri.body.servername, 'sni.example.com');
  const host = await get('/san-host');
  assert.equal(host.status, 200);
  assert.equal(host.body.servername, 'sni.example.com');
  // The hostname matches the certificate, but SANs are given and none matches: rejected.
  assert.equal((await get('/san-mismatch')).status, 502);
});

test('System CAs: a backend signed by a private CA is rejected', async () => {
  assert.equal((await get('/system')).status, 502);
});

test("the Gateway's client certificate is presented and verified by the backend", async () => {
  const r = await get('/client-cert');
  assert.equal(r.status, 200);
  assert.equal(r.body.clientCN, 'gateway-client');
  assert.equal(r.body.clientAuthorized, true);
});

test('h2 backend: HTTP/2 over TLS negotiated with ALPN, :scheme https', async () => {
  const r = await get('/h2/y');
  assert.equal(r.status, 200);
  assert.equal(r.body.alpn, 'h2');
  assert.equal(r.body.scheme, 'https');
  assert.equal(r.body['authority'], 'front.example');
  assert.equal(r.body.servername, 'backend.example.com');
});

test('WebSocket over TLS to the backend', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${run.port}/ws`);
  const messages: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('websocket timed out')), 5_000);
    ws.on('message', (d) => {
      messages.push(String(d));
      if (messages.length === 1) ws.send('ping');
      else {
        clearTimeout(timer);
        resolve();
      }
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  ws.close();
  assert.deepEqual(messages, ['hello over tls sni=backend.example.com', 'ping']);
});

test('changing the TLS settings of a backend opens a new pool; the old connections are not reused', async () => {
  const before = h1Connections;
  assert.equal((await get('/ca/1')).status, 200);
  assert.equal((await get('/ca/2')).status, 200);
  const reused = h1Connections;
  assert.ok(reused - before <= 1, 'keep-alive connections are reused under the same settings');
  // Same endpoint, the hostname changes to one the certificate does not cover: must fail now.
  const changed = allRules().map((r) => ((r as { name: string }).name === 'ca' ? rule('ca', '/ca', tlsOf({ serverName: 'other.example.com' })) : r));
  const res = await run.dp.apply(fillConfig(config(changed)));
  assert.deepEqual(res.errors, []);
  assert.equal((await get('/ca/3')).status, 502);
  // And back: a fresh, verified connection.
  await run.dp.apply(fillConfig(config(allRules())));
  assert.equal((await get('/ca/4')).status, 200);
});
