/**
 * The L4 echo modes and probes against each other, without a gateway: the probes must pass on
 * the right backend and fail on the wrong one (pod, TLS, SNI, namespace, rejected dials, DNS).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { makeCert } from './certs.js';
import { startTcpEcho, type L4Echo } from './echo/tcp.js';
import { startUdpEcho } from './echo/udp.js';
import { probeL4 } from './probes-l4.js';
import type { RequestCase } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'probes-l4-'));
const ca = makeCert({ commonName: 'probe CA', isCA: true });
const cert = makeCert({ commonName: 'abc.example.com', sans: { dns: ['abc.example.com'] }, issuer: ca });
writeFileSync(join(dir, 'crt'), cert.cert);
writeFileSync(join(dir, 'key'), cert.key);

const env = { NAMESPACE: 'infra', POD_NAME: 'tcp-backend-abc123-xyz12', SERVICE_NAME: 'svc' };
const running: L4Echo[] = [];
after(async () => {
  await Promise.all(running.map((e) => e.close()));
});

function tcpCase(expect: RequestCase['expect'], protocol = 'TCP', sni?: string): RequestCase {
  return { request: { protocol, ...(sni ? { sni } : {}), exchange: "read welcome line; PING->PONG; IS_TLS->'true'/'false'; TEST->JSON" }, expect };
}

describe('L4 probes against the echo modes', () => {
  it('TCP and TLS: pod, namespace, isTLS and SNI are checked', async () => {
    const echo = await startTcpEcho(
      { name: 'p', namespace: 'infra', ip: '127.0.0.1', env: { ...env, TCP_ECHO_SERVER: '1', TCP_PORT: '0', TLS_PORT: '0', TLS_SERVER_CERT: join(dir, 'crt'), TLS_SERVER_PRIV_KEY: join(dir, 'key') } },
      () => undefined,
    );
    running.push(echo);
    const plain = { resolve: async () => ({ address: '127.0.0.1', port: echo.ports['tcp']! }), timeoutMs: 2000 };
    const secure = { resolve: async () => ({ address: '127.0.0.1', port: echo.ports['tls']! }), timeoutMs: 2000, ca: ca.cert };
    assert.equal((await probeL4(tcpCase({ backend: 'tcp-backend', namespace: 'infra', backendIsTLS: false }), plain)).error, null);
    const r = await probeL4(tcpCase({ backend: 'tcp-backend', namespace: 'infra', backendIsTLS: false }), plain);
    assert.equal(r.captured?.echo?.pod, env.POD_NAME);
    assert.match((await probeL4(tcpCase({ backend: 'other' }), plain)).error ?? '', /pod name to start with other/);
    assert.match((await probeL4(tcpCase({ namespace: 'elsewhere' }), plain)).error ?? '', /namespace/);
    assert.match((await probeL4(tcpCase({ backendIsTLS: true }), plain)).error ?? '', /TLS/);
    assert.equal((await probeL4(tcpCase({ backendIsTLS: true, backendSNI: 'abc.example.com' }, 'TLS', 'abc.example.com'), secure)).error, null);
    assert.match((await probeL4(tcpCase({ backendIsTLS: true, backendSNI: 'x.example.com' }, 'TLS', 'abc.example.com'), secure)).error ?? '', /SNI/);
    // An untrusted chain fails the TLS probe.
    assert.notEqual((await probeL4(tcpCase({ backendIsTLS: true }, 'TLS', 'abc.example.com'), { ...secure, ca: makeCert({ commonName: 'other CA', isCA: true }).cert })).error, null);
    // repeat + prefixes.
    assert.equal((await probeL4(tcpCase({ repeat: 3, podPrefix: 'tcp-backend-', podPrefixMustNot: 'tcp-backend-2' }), plain)).error, null);
    assert.match((await probeL4(tcpCase({ repeat: 2, podPrefixMustNot: 'tcp-backend' }), plain)).error ?? '', /must not/);
  });

  it('connection-rejected passes only when the dial is reset or closed', async () => {
    const rst = net.createServer((s) => s.resetAndDestroy());
    await new Promise<void>((r) => rst.listen(0, '127.0.0.1', r));
    const target = { resolve: async () => ({ address: '127.0.0.1', port: (rst.address() as net.AddressInfo).port }), timeoutMs: 2000 };
    assert.equal((await probeL4(tcpCase({ failure: 'connection-rejected' }, 'TLS', 'example.com'), target)).error, null);
    rst.close();
    const echo = await startTcpEcho(
      { name: 'q', namespace: 'infra', ip: '127.0.0.1', env: { ...env, TCP_PORT: '0', TLS_PORT: '0', TLS_SERVER_CERT: join(dir, 'crt'), TLS_SERVER_PRIV_KEY: join(dir, 'key') } },
      () => undefined,
    );
    running.push(echo);
    const ok = { resolve: async () => ({ address: '127.0.0.1', port: echo.ports['tls']! }), timeoutMs: 2000, ca: ca.cert };
    assert.match((await probeL4(tcpCase({ failure: 'connection-rejected' }, 'TLS', 'abc.example.com'), ok)).error ?? '', /handshake succeeded/);
  });

  it('UDP echo and the DNS stand-in', async () => {
    const udp = await startUdpEcho({ name: 'u', namespace: 'infra', ip: '127.0.0.1', env: { ...env, POD_NAME: 'udp-backend-v1-abc-xyz', UDP_ECHO_SERVER: '1', UDP_PORT: '0' } }, () => undefined);
    running.push(udp);
    const t = { resolve: async () => ({ address: '127.0.0.1', port: udp.ports['udp']! }), timeoutMs: 2000 };
    const uc = (expect: RequestCase['expect']): RequestCase => ({ request: { protocol: 'UDP', payload: 'hello' }, expect });
    assert.equal((await probeL4(uc({ namespace: 'infra', service: 'svc', backendFromPod: 'udp-backend-v1' }), t)).error, null);
    assert.match((await probeL4(uc({ backendFromPod: 'udp-backend-v2' }), t)).error ?? '', /expected a pod of udp-backend-v2/);
    const dns = await startUdpEcho({ name: 'd', namespace: 'infra', ip: '127.0.0.1', env: { UDP_ECHO_SERVER: '1', WAYGATE_DNS: '1', UDP_PORT: '0' } }, () => undefined);
    running.push(dns);
    const dq: RequestCase = { request: { protocol: 'UDP', dns: { question: 'foo.bar.com.', type: 'A' } }, expect: { dnsResponse: true } };
    assert.equal((await probeL4(dq, { resolve: async () => ({ address: '127.0.0.1', port: dns.ports['udp']! }), timeoutMs: 2000 })).error, null);
    // The UDP echo is not a DNS server: the reply is not an answer to the query.
    assert.match((await probeL4(dq, t)).error ?? '', /not a DNS answer/);
  });
});
