/**
 * The config stream's limits over HTTPS (as the chart deploys it): the TLS handshake is under
 * the header timeout, and the connection cap counts TLS connections and answers 503 over TLS.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import { ConfigStreamClient } from '../../src/proxy/stream-client.js';
import { ConfigStreamServer } from '../../src/proxy/stream-server.js';
import { streamToken } from '../../src/proxy/token.js';
import { makeCert } from '../conformance/certs.js';

const GW = 'ns/gw';
const cert = makeCert({ commonName: 'waygate', sans: { ips: ['127.0.0.1'] } });

async function waitFor(what: string, fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function statusOver(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${url}/v2/config?gateway=${GW}`, { ca: cert.cert, headers: { authorization: `Bearer ${streamToken('k', GW)}` }, agent: false }, (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.on('error', reject);
    req.setTimeout(2000, () => req.destroy(new Error('no answer')));
  });
}

describe('config stream limits over TLS', () => {
  it('drops a client that never starts the TLS handshake after the header timeout', async () => {
    const s = new ConfigStreamServer({ host: '127.0.0.1', port: 0, tokenKey: 'k', tls: cert, headerTimeoutMs: 300 });
    await s.listen();
    let closed = false;
    const c = net.connect(Number(new URL(s.url).port), '127.0.0.1');
    c.on('error', () => undefined);
    c.on('close', () => { closed = true; });
    try {
      await waitFor('the silent TLS client to be dropped', () => closed);
    } finally {
      c.destroy();
      await s.close();
    }
  });

  it('answers 503 over TLS past the connection cap; the subscribed proxy keeps its stream', async () => {
    const s = new ConfigStreamServer({ host: '127.0.0.1', port: 0, tokenKey: 'k', tls: cert, maxConnections: 1 });
    await s.listen();
    s.publish({ version: 1, servers: [] });
    const versions: number[] = [];
    const client = new ConfigStreamClient({ url: s.url, gateway: GW, token: streamToken('k', GW), caPem: cert.cert, onConfig: (_c, v) => { versions.push(v); } });
    try {
      client.start();
      await waitFor('the proxy to subscribe', () => versions.length === 1);
      assert.equal(await statusOver(s.url), 503);
      assert.equal(s.connections, 1);
      client.stop();
      await waitFor('the proxy to leave', () => s.connections === 0);
      assert.equal(await statusOver(s.url), 200);
    } finally {
      client.stop();
      await s.close();
    }
  });
});
