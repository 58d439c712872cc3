import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { makeCert } from './certs.js';
import { startTlsTestPod, type TlsTestPod } from './echo/tls-test-pod.js';
import { EchoPod, type EchoBody } from './echo/echo.js';

const IP = '127.0.0.1';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: IP, port, path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('echo backend (HTTP mode)', () => {
  const logs: string[] = [];
  let pod: EchoPod;
  let port: number;

  before(async () => {
    pod = await EchoPod.start(
      { name: 'infra-backend-v1-abc-xyz', namespace: 'ns1', ip: IP, env: { POD_NAME: 'infra-backend-v1-abc-xyz', NAMESPACE: 'ns1', SERVICE_NAME: 'svc', HTTP_PORT: '0', H2C_PORT: '0' } },
      (l) => logs.push(l),
    );
    port = pod.ports.http ?? 0;
  });
  after(() => pod.close());

  it('echoes the raw path, host, method, canonical headers and pod context', async () => {
    const res = await get(port, '/a//b?x=1&y=%20', { Host: 'example.com', 'x-lower-case': 'v1', 'X-Multi': 'a' });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body) as EchoBody;
    assert.equal(body.path, '/a//b?x=1&y=%20');
    assert.equal(body.host, 'example.com');
    assert.equal(body.method, 'GET');
    assert.equal(body.proto, 'HTTP/1.1');
    assert.deepEqual(body.headers['X-Lower-Case'], ['v1']);
    assert.equal(body.headers['Host'], undefined);
    assert.equal(body.namespace, 'ns1');
    assert.equal(body.pod, 'infra-backend-v1-abc-xyz');
    assert.equal(body.service, 'svc');
    assert.ok(logs.some((l) => l.startsWith('Echoing back request made to /a//b?x=1&y=%20 to client (')));
  });

  it('sets the response headers named in X-Echo-Set-Header', async () => {
    const res = await get(port, '/', { 'X-Echo-Set-Header': 'X-One:1, X-Two:2,X-One:3' });
    assert.equal(res.headers['x-one'], '1,3');
    assert.equal(res.headers['x-two'], '2');
  });

  it('honours ?delay= with a Go duration', async () => {
    const start = Date.now();
    const res = await get(port, '/?delay=300ms');
    assert.equal(res.status, 200);
    assert.ok(Date.now() - start >= 290, `answered after ${Date.now() - start} ms`);
    assert.equal((await get(port, '/?delay=bogus')).status, 500);
  });

  it('answers /health and /status/NNN', async () => {
    assert.equal((await get(port, '/health')).body, 'OK');
    assert.equal((await get(port, '/status/418')).status, 418);
    assert.equal((await get(port, '/status/41')).status, 400);
  });

  it('simulates retries with a status code, then succeeds', async () => {
    const path = '/retry/x?responseCode=503&succeedAfter=2&uuid=u-code';
    assert.equal((await get(port, path)).status, 503);
    assert.equal((await get(port, path)).status, 503);
    const ok = await get(port, path);
    assert.equal(ok.status, 200);
    assert.equal((JSON.parse(ok.body) as EchoBody).path, path);
  });

  it('simulates retries by resetting the TCP connection', async () => {
    const path = '/retry/y?succeedAfter=1&uuid=u-reset';
    await assert.rejects(get(port, path), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET');
    assert.equal((await get(port, path)).status, 200);
  });

  it('speaks h2c with prior knowledge and refuses plain HTTP/1.1 on the h2c port', async () => {
    const h2cPort = pod.ports.h2c ?? 0;
    const session = http2.connect(`http://${IP}:${h2cPort}`);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const s = session.request({ ':path': '/h2?q=1', ':authority': 'h2.example' });
        let data = '';
        s.on('data', (c: Buffer) => (data += c.toString()));
        s.on('end', () => resolve(data));
        s.on('error', reject);
      });
      const echo = JSON.parse(body) as EchoBody;
      assert.equal(echo.proto, 'HTTP/2.0');
      assert.equal(echo.path, '/h2?q=1');
      assert.equal(echo.host, 'h2.example');
    } finally {
      session.close();
    }
    const plain = await get(h2cPort, '/');
    assert.equal(plain.status, 400);
    const upgrade = await get(h2cPort, '/up', { Connection: 'Upgrade, HTTP2-Settings', Upgrade: 'h2c', 'HTTP2-Settings': '' });
    assert.equal(upgrade.status, 200);
  });

  it('echoes WebSocket frames at /ws', async () => {
    const ws = new WebSocket(`ws://${IP}:${port}/ws`, { origin: 'ws://gateway/test' });
    const got: Array<{ binary: boolean; data: Buffer }> = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => ws.send('Websocket Support!'));
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        got.push({ binary: isBinary, data });
        if (got.length === 1) ws.send(Buffer.from([1, 2, 3]), { binary: true });
        else resolve();
      });
      ws.on('error', reject);
    });
    ws.close();
    assert.equal(got[0]?.binary, false);
    assert.equal(got[0]?.data.toString(), 'Websocket Support!');
    assert.equal(got[1]?.binary, true);
    assert.deepEqual([...(got[1]?.data ?? [])], [1, 2, 3]);
  });
});

describe('echo backend (HTTPS port)', () => {
  let pod: EchoPod;
  const ca = makeCert({ commonName: 'test-ca', isCA: true });
  const leaf = makeCert({ commonName: 'abc.example.com', issuer: ca, sans: { dns: ['abc.example.com'] } });

  let fixture: TlsTestPod;
  before(async () => {
    fixture = await startTlsTestPod('tls-backend-a-b', leaf);
    pod = fixture.pod;
  });
  after(() => fixture.close());

  it('serves HTTPS and reports TLS facts and SNI', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = https.request({ host: IP, port: pod.ports.https, path: '/backendtls', servername: 'abc.example.com', ca: ca.cert, agent: false }, (res) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c.toString()));
        res.on('end', () => resolve(data));
      });
      req.on('error', reject);
      req.end();
    });
    const echo = JSON.parse(body) as EchoBody;
    assert.equal(echo.sni, 'abc.example.com');
    assert.equal(echo.tls?.serverName, 'abc.example.com');
    assert.match(echo.tls?.version ?? '', /^TLSv1\.[23]$/);
  });
});
