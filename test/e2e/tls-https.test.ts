/**
 * HTTPS listeners end to end: SNI selection of listeners and certificates, HTTP/1.1 and HTTP/2
 * (ALPN) to HTTP/1.1 and h2c backends, misdirected requests (421), h2c with prior knowledge on
 * plain listeners, and curl / openssl when installed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createDataPlane, type HttpDataPlane } from '../../src/dataplane/index.js';
import { fillConfig } from '../golden/dataplane/ir-defaults.js';
import { startBackend, type Backend } from './dataplane-support/helpers.js';
import { h2Connect, h2Request, httpsConfig, makeCert, peerCN, type CertPair } from './tls-support.js';

let dp: HttpDataPlane;
let port = 0;
let v1: Backend;
let v2: Backend;
let h2cBackend: http2.Http2Server;
let h2cPort = 0;
let wildcard: CertPair;
let special: CertPair;
let fallbackCert: CertPair;

before(async () => {
  v1 = await startBackend('v1');
  v2 = await startBackend('v2');
  h2cBackend = http2.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name: 'h2c', version: req.httpVersion, authority: req.headers[':authority'], path: req.url }));
  });
  await new Promise<void>((resolve) => h2cBackend.listen(0, '127.0.0.1', resolve));
  h2cPort = (h2cBackend.address() as AddressInfo).port;
  wildcard = makeCert({ commonName: 'wildcard.example.com', sans: { dns: ['*.example.com'] } });
  special = makeCert({ commonName: 'special.example.com', sans: { dns: ['special.example.com'] } });
  fallbackCert = makeCert({ commonName: 'fallback', sans: { dns: ['fallback.test'] } });
  dp = createDataPlane();
  const config = httpsConfig([
    { name: 'test/gw/wild', hostname: '*.example.com', certs: [wildcard, special], backends: [{ endpoints: [v1.endpoint] }] },
    { name: 'test/gw/h2c', hostname: 'h2c.test', certs: [fallbackCert], backends: [{ protocol: 'h2c', endpoints: [{ address: '127.0.0.1', port: h2cPort }] }] },
    { name: 'test/gw/any', hostname: null, certs: [fallbackCert], backends: [{ endpoints: [v2.endpoint] }] },
  ]);
  const res = await dp.apply(config);
  assert.deepEqual(res.errors, []);
  port = dp.stats().servers[0]!.boundPort!;
});

after(async () => {
  await dp.close(100);
  await v1.close();
  await v2.close();
  await new Promise<void>((resolve) => h2cBackend.close(() => resolve()));
});

test('SNI selects the listener, then the certificate whose SAN matches best', async () => {
  assert.equal(await peerCN(port, 'special.example.com'), 'special.example.com');
  assert.equal(await peerCN(port, 'other.example.com'), 'wildcard.example.com');
  assert.equal(await peerCN(port, 'deep.sub.example.com'), 'wildcard.example.com');
  assert.equal(await peerCN(port, 'unknown.test'), 'fallback');
  assert.equal(await peerCN(port, null), 'fallback', 'no SNI: the hostname-less listener');
});

test('HTTPS with HTTP/1.1 reaches the listener chosen by Host and says so upstream', async () => {
  const body = await new Promise<string>((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: '/p?q=1', servername: 'a.example.com', headers: { host: 'a.example.com' }, rejectUnauthorized: false, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`status ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end();
  });
  const seen = JSON.parse(body) as { name: string; url: string; headers: Record<string, string> };
  assert.equal(seen.name, 'v1');
  assert.equal(seen.url, '/p?q=1');
  assert.equal(seen.headers['x-forwarded-proto'], 'https');
});

test('HTTP/2 over TLS to an HTTP/1.1 backend: authority becomes Host, no pseudo-headers, bodies stream', async () => {
  const session = await h2Connect(port, 'a.example.com');
  try {
    assert.equal(session.alpnProtocol, 'h2');
    const get = await h2Request(session, { ':method': 'GET', ':path': '/h2', ':authority': 'a.example.com' });
    assert.equal(get.status, 200);
    const seen = JSON.parse(get.text) as { name: string; headers: Record<string, string> };
    assert.equal(seen.name, 'v1');
    assert.equal(seen.headers['host'], 'a.example.com');
    assert.ok(!Object.keys(seen.headers).some((h) => h.startsWith(':')), 'pseudo-headers must not reach the backend');
    // A POST without content-length: the body still travels (chunked upstream).
    const before = v1.seen.length;
    const post = await h2Request(session, { ':method': 'POST', ':path': '/upload', ':authority': 'a.example.com' }, 'x'.repeat(70_000));
    assert.equal(post.status, 200);
    const upstream = v1.seen[before]!;
    assert.equal(upstream.method, 'POST');
    assert.ok(upstream.headers['transfer-encoding'] === 'chunked' || upstream.headers['content-length'] === '70000');
  } finally {
    session.close();
  }
});

test('HTTP/2 over TLS to an h2c backend', async () => {
  const session = await h2Connect(port, 'h2c.test');
  try {
    const res = await h2Request(session, { ':method': 'GET', ':path': '/grpc-ish', ':authority': 'h2c.test' });
    assert.equal(res.status, 200);
    const seen = JSON.parse(res.text) as { name: string; version: string; authority: string };
    assert.equal(seen.name, 'h2c');
    assert.equal(seen.version, '2.0');
    assert.equal(seen.authority, 'h2c.test');
  } finally {
    session.close();
  }
});

test('misdirected requests: Host of another listener than the SNI one is 421', async () => {
  const session = await h2Connect(port, 'special.example.com');
  try {
    // Same listener (*.example.com) as the SNI: served.
    assert.equal((await h2Request(session, { ':path': '/', ':authority': 'other.example.com' })).status, 200);
    // Host belongs to the hostname-less listener, SNI chose *.example.com: 421.
    assert.equal((await h2Request(session, { ':path': '/', ':authority': 'unknown.test' })).status, 421);
    assert.equal((await h2Request(session, { ':path': '/', ':authority': 'h2c.test' })).status, 421);
  } finally {
    session.close();
  }
  const fallback = await h2Connect(port, 'unknown.test');
  try {
    assert.equal((await h2Request(fallback, { ':path': '/', ':authority': 'whatever.test' })).status, 200);
    assert.equal((await h2Request(fallback, { ':path': '/', ':authority': 'a.example.com' })).status, 421);
  } finally {
    fallback.close();
  }
});

test('h2c with prior knowledge and HTTP/1.1 share a plain listener', async () => {
  const plain = createDataPlane();
  try {
    await plain.apply(fillConfig({ servers: [{ listeners: [{ rules: [{ backends: [{ endpoints: [v2.endpoint] }] }] }] }] }));
    const p = plain.stats().servers[0]!.boundPort!;
    const session = http2.connect(`http://127.0.0.1:${p}`);
    try {
      const res = await h2Request(session, { ':path': '/prior', ':authority': 'plain.test' });
      assert.equal(res.status, 200);
      const seen = JSON.parse(res.text) as { name: string; headers: Record<string, string> };
      assert.equal(seen.name, 'v2');
      assert.equal(seen.headers['host'], 'plain.test');
    } finally {
      session.close();
    }
    const h1 = await fetch(`http://127.0.0.1:${p}/h1`);
    assert.equal(h1.status, 200);
    assert.equal(((await h1.json()) as { name: string }).name, 'v2');
  } finally {
    await plain.close(100);
  }
});

function run(cmd: string, args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    // The child may exit before reading its input (EPIPE): that is not a test failure.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

async function has(cmd: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${cmd}`])).code === 0;
}

test('curl --http2 negotiates h2 and is routed by SNI and Host', async (t) => {
  if (!(await has('curl'))) return t.skip('curl not installed');
  const r = await run('curl', ['-sk', '--http2', '-o', '/dev/null', '-w', '%{http_version} %{http_code}', '--resolve', `a.example.com:${port}:127.0.0.1`, `https://a.example.com:${port}/curl`]);
  assert.equal(r.stdout, '2 200', r.stderr);
  const mis = await run('curl', ['-sk', '--http2', '-o', '/dev/null', '-w', '%{http_code}', '--resolve', `a.example.com:${port}:127.0.0.1`, '-H', 'host: unknown.test', `https://a.example.com:${port}/curl`]);
  assert.equal(mis.stdout, '421', mis.stderr);
});

test('openssl s_client sees the SNI-selected certificate', async (t) => {
  if (!(await has('openssl'))) return t.skip('openssl not installed');
  const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'special.example.com', '-alpn', 'h2'], 'Q\n');
  assert.match(r.stdout, /subject=.*CN ?= ?special\.example\.com/);
  assert.match(r.stdout, /ALPN protocol: h2/);
});
