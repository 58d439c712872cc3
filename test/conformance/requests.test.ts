import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeCert } from './certs.js';
import { startTlsTestPod, type TlsTestPod } from './echo/tls-test-pod.js';
import { EchoPod } from './echo/echo.js';
import { sendHttp1, sendHttp2, sendRequest, sendWebSocket, type Outgoing } from './requests.js';

const IP = '127.0.0.1';

describe('request senders against the echo backend', () => {
  let pod: EchoPod;
  const ca = makeCert({ commonName: 'req-ca', isCA: true });
  const leaf = makeCert({ commonName: 'abc.example.com', issuer: ca, sans: { dns: ['abc.example.com'] } });
  const other = makeCert({ commonName: 'other-ca', isCA: true });
  const base = (over: Partial<Outgoing>): Outgoing => ({ address: IP, port: 0, protocol: 'HTTP/1.1', scheme: 'http', host: 'h.example', method: 'GET', path: '/', headers: {}, timeoutMs: 5000, ...over });

  let fixture: TlsTestPod;
  before(async () => {
    fixture = await startTlsTestPod('p-a-b', leaf);
    pod = fixture.pod;
  });
  after(() => fixture.close());

  it('HTTP/1.1 sends the explicit Host and the raw path', async () => {
    const cap = await sendHttp1(base({ port: pod.ports.http ?? 0, path: '/x/%2e%2e/y?q=a%20b', headers: { 'X-Echo-Set-Header': 'X-R:1' } }));
    assert.equal(cap.status, 200);
    assert.equal(cap.echo?.host, 'h.example');
    assert.equal(cap.echo?.path, '/x/%2e%2e/y?q=a%20b');
    assert.deepEqual(cap.headers['x-r'], ['1']);
  });

  it('HTTPS verifies the chain against the given CA and sends SNI', async () => {
    const ok = await sendHttp1(base({ port: pod.ports.https ?? 0, scheme: 'https', sni: 'abc.example.com', ca: ca.cert }));
    assert.equal(ok.status, 200);
    assert.equal(ok.echo?.sni, 'abc.example.com');
    const bad = await sendHttp1(base({ port: pod.ports.https ?? 0, scheme: 'https', sni: 'abc.example.com', ca: other.cert }));
    assert.ok(bad.error, 'an untrusted chain must fail');
  });

  it('HTTP/2 over TLS (ALPN h2) and h2c with prior knowledge', async () => {
    const h2 = await sendHttp2(base({ port: pod.ports.https ?? 0, scheme: 'https', protocol: 'H2', sni: 'abc.example.com', ca: ca.cert, path: '/h2' }));
    assert.equal(h2.echo?.proto, 'HTTP/2.0');
    assert.equal(h2.echo?.tls?.negotiatedProtocol, 'h2');
    const h2c = await sendRequest(base({ port: pod.ports.h2c ?? 0, protocol: 'H2C_PRIOR_KNOWLEDGE', path: '/c' }));
    assert.equal(h2c.echo?.proto, 'HTTP/2.0');
    assert.equal(h2c.echo?.host, 'h.example');
  });

  it('reports connection failures as errors', async () => {
    const cap = await sendHttp1(base({ address: '127.0.0.1', port: 1 }));
    assert.match(cap.error ?? '', /ECONNREFUSED/);
    const other = await sendRequest(base({ protocol: 'gRPC' }));
    assert.match(other.error ?? '', /does not speak gRPC/);
  });

  it('WebSocket exchanges text and binary frames', async () => {
    const res = await sendWebSocket({
      ...base({ port: pod.ports.http ?? 0, scheme: 'ws', path: '/ws' }),
      origin: 'ws://gateway/test',
      frames: [
        { type: 'text', data: 'hi' },
        { type: 'binary', data: [1, 2, 3] },
      ],
    });
    assert.equal(res.error, undefined);
    assert.deepEqual(res.frames, [
      { type: 'text', data: 'hi' },
      { type: 'binary', data: [1, 2, 3] },
    ]);
  });
});
