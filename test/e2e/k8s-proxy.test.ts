/**
 * The config stream between controller and proxy over real sockets: the proxy serves its
 * Gateway's config only, applies updates, rejects no token, and keeps serving when the
 * controller goes away, then picks up the new controller's config.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type * as ir from '../../src/ir/types.js';
import { createDataPlane } from '../../src/dataplane/index.js';
import { ProxyRuntime } from '../../src/proxy/proxy-runtime.js';
import { ConfigStreamServer } from '../../src/proxy/stream-server.js';
import { streamToken } from '../../src/proxy/token.js';

const KEY = 'k'.repeat(32);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen({ host: '127.0.0.1', port: 0 }, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function server(gateway: string, port: number, status: number): ir.Server {
  const rule = {
    name: `httproute/${gateway}/rule/0`, kind: 'HTTPRoute', route: gateway, sectionName: null, requestFilters: [], responseHeaders: null,
    cors: null, mirrors: [], action: { kind: 'direct', status }, timeouts: { requestMs: null, backendRequestMs: null }, retry: null,
  } as unknown as ir.Rule;
  return {
    name: `${gateway}/10.0.0.1:${port}`, gateway, address: '10.0.0.1', port, protocol: 'HTTP', streamListeners: [],
    listeners: [{
      name: `${gateway}/http`, hostname: null, port, scheme: 'http', tls: null, rules: [rule],
      virtualHosts: [{ hostname: '*', entries: [{ rule: 0, match: { path: { type: 'PathPrefix', value: '/' }, method: null, headers: [], queryParams: [] } }] }],
    }],
  };
}

async function statusOf(port: number): Promise<number | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return null;
  }
}

async function waitFor(what: string, fn: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('waygate proxy config stream', () => {
  it('serves its own Gateway, applies updates, survives the controller going away', async () => {
    const [mine, other, streamPort] = [await freePort(), await freePort(), await freePort()];
    let stream = new ConfigStreamServer({ host: '127.0.0.1', port: streamPort, tokenKey: KEY, tls: null, heartbeatMs: 200 });
    await stream.listen();
    stream.publish({ version: 1, servers: [server('infra/gw', mine, 500), server('infra/other', other, 500)] });

    // No or a wrong token: 401.
    const bad = await fetch(`${stream.url}/v2/config?gateway=infra/gw`, { headers: { authorization: `Bearer ${streamToken(KEY, 'infra/other')}` } });
    assert.equal(bad.status, 401);
    await bad.arrayBuffer();

    const proxy = new ProxyRuntime({
      url: stream.url, gateway: 'infra/gw', token: streamToken(KEY, 'infra/gw'), bindAddress: '127.0.0.1',
      dataPlane: createDataPlane(), initialBackoffMs: 50, maxBackoffMs: 200, idleTimeoutMs: 2000,
    });
    try {
      assert.equal(proxy.ready, false);
      proxy.start();
      await waitFor('first config', () => proxy.ready);
      assert.equal(await statusOf(mine), 500);
      assert.equal(await statusOf(other), null, 'the other Gateway is not served here');

      stream.publish({ version: 1, servers: [server('infra/gw', mine, 503)] });
      await waitFor('update', async () => (await statusOf(mine)) === 503);

      // The controller disappears: the proxy keeps serving its last config.
      await stream.close();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await statusOf(mine), 503);
      assert.equal(proxy.ready, true);

      // A new controller comes back on the same address: the proxy reconnects.
      stream = new ConfigStreamServer({ host: '127.0.0.1', port: streamPort, tokenKey: KEY, tls: null });
      await stream.listen();
      stream.publish({ version: 1, servers: [server('infra/gw', mine, 502)] });
      await waitFor('reconnect and new config', async () => (await statusOf(mine)) === 502);
    } finally {
      await proxy.stop(0);
      await stream.close();
    }
  });
});
