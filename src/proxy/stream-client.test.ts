import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type * as ir from '../ir/types.js';
import { ConfigStreamClient, type StreamClientOptions } from './stream-client.js';
import { ConfigStreamServer } from './stream-server.js';
import { streamToken } from './token.js';

const GW = 'ns/gw';

async function waitFor(what: string, fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A stream endpoint whose answer to the n-th connection (from 1) is `answer(n, res)`. */
async function fakeController(answer: (n: number, res: http.ServerResponse) => void): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = http.createServer((_req, res) => answer(++n, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => n,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A client that records its configs and state changes. */
function recordingClient(url: string, extra: Partial<StreamClientOptions>): { client: ConfigStreamClient; versions: number[]; states: string[] } {
  const versions: number[] = [];
  const states: string[] = [];
  const client = new ConfigStreamClient({
    url, gateway: GW, token: 't', initialBackoffMs: 20, maxBackoffMs: 50,
    onConfig: (_c, v) => { versions.push(v); },
    onState: (s, d) => { states.push(d ? `${s}: ${d}` : s); },
    ...extra,
  });
  return { client, versions, states };
}

/** A direct-answer HTTPRoute rule of that name. */
const rule = (name: string, status = 200): ir.Rule => ({
  name, kind: 'HTTPRoute', route: 'ns/r', sectionName: null, requestFilters: [], responseHeaders: null, cors: null, mirrors: [],
  action: { kind: 'direct', status }, timeouts: { requestMs: null, backendRequestMs: null }, retry: null,
});
const MATCH: ir.Match = { path: { type: 'PathPrefix', value: '/' }, method: null, headers: [], queryParams: [] };
/** The Gateway's config: one HTTP listener holding `rules`, each matching every path. */
const config = (rules: ir.Rule[]): ir.Config => ({
  version: 1,
  servers: [{
    name: `${GW}/10.0.0.1:80`, gateway: GW, address: '10.0.0.1', port: 80, protocol: 'HTTP', streamListeners: [],
    listeners: [{ name: `${GW}/http`, hostname: null, port: 80, scheme: 'http', tls: null, rules, virtualHosts: [{ hostname: '*', entries: rules.map((_, i) => ({ rule: i, match: MATCH })) }] }],
  }],
});

const line = (version: number, pad = ''): string => `${JSON.stringify({ version, names: [], changed: { reset: true, servers: [] }, pad })}\n`;

test('stream client: a line over maxLineBytes aborts the connection before its end, and the client reconnects', async () => {
  let firstClosed = false;
  const ctl = await fakeController((n, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    if (n === 1) {
      // A good config, then a line that never ends: the client may not wait for its newline.
      res.write(line(1));
      res.write(`{"version":2,"names":[],"changed":{"reset":true,"servers":[]},"pad":"${'x'.repeat(4096)}`);
      res.on('close', () => { firstClosed = true; });
    } else {
      res.write(line(3, 'y'.repeat(900)));
    }
  });
  const { client, versions, states } = recordingClient(ctl.url, { maxLineBytes: 1024 });
  try {
    client.start();
    await waitFor('the config of the second connection', () => versions.includes(3));
    assert.deepEqual(versions, [1, 3], 'the oversized config is never applied; one under the bound is');
    assert.ok(firstClosed, 'the first connection was closed');
    assert.equal(ctl.connections(), 2);
    assert.ok(states.some((s) => /^disconnected: config stream line longer than 1024 bytes/.test(s)), states.join('; '));
  } finally {
    client.stop();
    await ctl.close();
  }
});

test('stream client: a controller that accepts but never answers times out after connectTimeoutMs', async () => {
  const ctl = await fakeController(() => undefined); // no head, ever
  const { client, states } = recordingClient(ctl.url, { connectTimeoutMs: 200, idleTimeoutMs: 60_000 });
  try {
    client.start();
    await waitFor('a retry', () => ctl.connections() >= 2);
    assert.match(states[0] ?? '', /^disconnected: no answer from the controller within 200 ms/);
  } finally {
    client.stop();
    await ctl.close();
  }
});

test('stream client: a silent stream is dropped after idleTimeoutMs; heartbeats keep a real one open', async () => {
  const silent = await fakeController((_n, res) => {
    res.writeHead(200);
    res.flushHeaders();
  });
  const s = new ConfigStreamServer({ host: '127.0.0.1', port: 0, tokenKey: 'k', tls: null, heartbeatMs: 100 });
  await s.listen();
  s.publish({ version: 1, servers: [] });
  const dropped = recordingClient(silent.url, { idleTimeoutMs: 300 });
  const kept = recordingClient(s.url, { idleTimeoutMs: 300, token: streamToken('k', GW) });
  try {
    dropped.client.start();
    kept.client.start();
    await waitFor('the silent stream to be dropped', () => dropped.states.some((x) => x.startsWith('disconnected')));
    assert.ok(dropped.states.includes('disconnected: stream idle for 300 ms (no heartbeat)'), dropped.states.join('; '));
    await new Promise((r) => setTimeout(r, 900));
    assert.deepEqual(kept.states, ['connected'], 'three idle timeouts later the heartbeat stream is still the first connection');
    assert.equal(s.connections, 1);
    s.publish({ version: 1, servers: [{ name: `${GW}/10.0.0.1:80`, gateway: GW, address: '10.0.0.1', port: 80, protocol: 'HTTP', listeners: [], streamListeners: [] }] });
    await waitFor('the next config', () => kept.versions.length === 2);
  } finally {
    dropped.client.stop();
    kept.client.stop();
    await silent.close();
    await s.close();
  }
});

test('stream client: answers other than 200 (a controller over its connection cap: 503) retry with backoff', async () => {
  const s = new ConfigStreamServer({ host: '127.0.0.1', port: 0, tokenKey: 'k', tls: null, maxConnections: 1 });
  await s.listen();
  s.publish({ version: 1, servers: [] });
  const first = recordingClient(s.url, { token: streamToken('k', GW) });
  const second = recordingClient(s.url, { token: streamToken('k', GW) });
  try {
    first.client.start();
    await waitFor('the first proxy', () => first.versions.length === 1);
    second.client.start();
    await waitFor('refusals', () => second.states.filter((x) => x === 'disconnected: HTTP 503').length >= 2);
    first.client.stop();
    await waitFor('the second proxy admitted once the first left', () => second.versions.length === 1);
  } finally {
    first.client.stop();
    second.client.stop();
    await s.close();
  }
});

test('config stream: a change travels as a delta; unchanged rules arrive as the objects received before', async () => {
  const bulk = Array.from({ length: 200 }, (_, i) => rule(`r${i}`));
  const s = new ConfigStreamServer({ host: '127.0.0.1', port: 0, tokenKey: 'k', tls: null });
  await s.listen();
  const received: ir.Config[] = [];
  const lines: number[] = [];
  const client = new ConfigStreamClient({ url: s.url, gateway: GW, token: streamToken('k', GW), onConfig: (c) => { received.push(c); } });
  const first = config(bulk);
  s.publish(first);
  try {
    client.start();
    await waitFor('the first config', () => received.length === 1);
    const edited = [...bulk];
    edited[7] = rule('r7', 503);
    const second = config(edited);
    // Measure the line the server writes for the change.
    const sizes = http.ServerResponse.prototype.write;
    http.ServerResponse.prototype.write = function (this: http.ServerResponse, chunk: unknown, ...rest: unknown[]) {
      if (typeof chunk === 'string' && chunk.length > 2) lines.push(chunk.length);
      return (sizes as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof sizes;
    try {
      s.publish(second);
    } finally {
      http.ServerResponse.prototype.write = sizes;
    }
    await waitFor('the second config', () => received.length === 2);
    assert.deepEqual(received[1], second);
    const [l1, l2] = [received[0]!.servers[0]!.listeners[0]!, received[1]!.servers[0]!.listeners[0]!];
    assert.equal(l2.rules[0], l1.rules[0], 'an unchanged rule is the object received before');
    assert.notEqual(l2.rules[7], l1.rules[7]);
    assert.equal(l2.rules[7]!.action.kind === 'direct' && l2.rules[7]!.action.status, 503);
    assert.ok(lines.length === 1 && lines[0]! < JSON.stringify(second).length / 4, `the change line is ${lines[0]} bytes, the config ${JSON.stringify(second).length}`);
  } finally {
    client.stop();
    await s.close();
  }
});

test('stream client: configs apply one at a time, and those that arrive during an apply are skipped for the newest', async () => {
  let release = (): void => undefined;
  let active = 0;
  let overlapped = false;
  const ctl = await fakeController((_n, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.write(line(1));
    setTimeout(() => res.write(line(2)), 50);
    setTimeout(() => res.write(line(3)), 100);
    setTimeout(() => res.write(line(4)), 150);
  });
  const { client, versions } = recordingClient(ctl.url, {
    onConfig: async (_c, v) => {
      versions.push(v);
      if (++active > 1) overlapped = true;
      if (v === 1) await new Promise<void>((r) => (release = r)); // the first apply takes until released
      active--;
    },
  });
  try {
    client.start();
    await waitFor('the first config', () => versions.length === 1);
    await new Promise((r) => setTimeout(r, 400)); // lines 2, 3 and 4 arrive while it applies
    assert.deepEqual(versions, [1]);
    release();
    await waitFor('the newest config', () => versions.length === 2);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(versions, [1, 4], 'the configs that waited behind the apply were skipped for the newest');
    assert.equal(overlapped, false);
  } finally {
    client.stop();
    await ctl.close();
  }
});

test('stream client: of the configs that arrive in one read, only the newest applies', async () => {
  const ctl = await fakeController((_n, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.write(line(1) + line(2) + line(3));
  });
  const { client, versions } = recordingClient(ctl.url, {});
  try {
    client.start();
    await waitFor('a config', () => versions.length > 0);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(versions, [3]);
  } finally {
    client.stop();
    await ctl.close();
  }
});

// Lines skipped for a newer one are still decoded: the next delta names objects they carried.
// Three edits published through a real stream server while the first apply is held: the one
// applied after it must equal the last published, on the same connection.
test('config stream: deltas that arrive during an apply are decoded though skipped; the newest applies whole', async () => {
  const s = new ConfigStreamServer({ host: '127.0.0.1', port: 0, tokenKey: 'k', tls: null });
  await s.listen();
  let rules = Array.from({ length: 50 }, (_, i) => rule(`r${i}`));
  s.publish(config(rules));
  const received: ir.Config[] = [];
  let release = (): void => undefined;
  const states: string[] = [];
  const client = new ConfigStreamClient({
    url: s.url, gateway: GW, token: streamToken('k', GW),
    onConfig: async (c) => {
      received.push(c);
      if (received.length === 1) await new Promise<void>((r) => (release = r));
    },
    onState: (st) => { states.push(st); },
  });
  try {
    client.start();
    await waitFor('the first config', () => received.length === 1);
    // Each edit adds a rule and changes one the previous edit added: a delta naming its objects.
    for (let k = 0; k < 3; k++) {
      rules = [...rules.slice(0, -1), rule(`r${49 + k}`, 500 + k), rule(`new${k}`)];
      s.publish(config(rules));
    }
    await new Promise((r) => setTimeout(r, 200));
    release();
    await waitFor('the newest config', () => received.length === 2);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(received.length, 2, 'the two configs in between were skipped');
    assert.deepEqual(received[1], config(rules));
    assert.deepEqual(states.filter((st) => st !== 'connected'), [], 'no reconnect: every delta resolved');
  } finally {
    client.stop();
    await s.close();
  }
});

// The proxy stops the client and then closes its data plane: a config that was waiting behind
// the apply in flight must not be applied after stop().
test('stream client: after stop(), a config waiting behind the apply in flight is not applied', async () => {
  let release = (): void => undefined;
  const ctl = await fakeController((_n, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.write(line(1));
    setTimeout(() => res.write(line(2)), 50);
  });
  const { client, versions } = recordingClient(ctl.url, {
    onConfig: async (_c, v) => {
      versions.push(v);
      if (v === 1) await new Promise<void>((r) => (release = r));
    },
  });
  try {
    client.start();
    await waitFor('the first config', () => versions.length === 1);
    await new Promise((r) => setTimeout(r, 200)); // line 2 arrives and waits
    client.stop();
    release();
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(versions, [1]);
  } finally {
    client.stop();
    await ctl.close();
  }
});
