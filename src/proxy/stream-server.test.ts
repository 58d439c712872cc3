import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import type * as ir from '../ir/types.js';
import { createLogger, type Logger } from '../log.js';
import { ConfigStreamServer } from './stream-server.js';
import { streamToken } from './token.js';

/** Sends one raw request and reads the status line (bounded). */
function statusLine(port: number, head: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const c = net.connect(port, '127.0.0.1', () => c.write(head));
    const timer = setTimeout(() => c.destroy(), 2_000);
    c.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes('\r\n')) c.destroy();
    });
    c.on('error', () => undefined);
    c.on('close', () => {
      clearTimeout(timer);
      resolve(text.split('\r\n')[0] ?? '');
    });
  });
}

test('config stream: an unparsable target gets 400, a wrong token 401, and the server keeps serving', async () => {
  const s = new ConfigStreamServer({ host: '127.0.0.1', port: 0, tokenKey: 'k', tls: null, heartbeatMs: 60_000 });
  await s.listen();
  const port = Number(new URL(s.url).port);
  try {
    assert.match(await statusLine(port, 'GET http://[/v2/config HTTP/1.1\r\nhost: a\r\n\r\n'), /^HTTP\/1\.1 400 /);
    assert.match(await statusLine(port, 'GET /v2/config?gateway=ns/gw HTTP/1.1\r\nhost: a\r\nauthorization: Bearer nope\r\n\r\n'), /^HTTP\/1\.1 401 /);
    const token = streamToken('k', 'ns/gw');
    assert.match(await statusLine(port, `GET /v2/config?gateway=ns/gw HTTP/1.1\r\nhost: a\r\nauthorization: Bearer ${token}\r\n\r\n`), /^HTTP\/1\.1 200 /);
  } finally {
    await s.close();
  }
});

const KEY = 'k';
const GW = 'ns/gw';
const HEAD = `GET /v2/config?gateway=${GW} HTTP/1.1\r\nhost: a\r\nauthorization: Bearer ${streamToken(KEY, GW)}\r\n\r\n`;

/** A logger that keeps its records (message and fields). */
function recordingLog(): { log: Logger; records: { msg: string; fields: Record<string, unknown> }[] } {
  const records: { msg: string; fields: Record<string, unknown> }[] = [];
  const log = createLogger({ level: 'debug', format: 'json', write: (line) => {
    const { msg, ...fields } = JSON.parse(line) as { msg: string };
    records.push({ msg, fields });
  } });
  return { log, records };
}

async function waitFor(what: string, fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw connection that records what it reads (the last `keep` characters) and when it closed. */
function rawClient(port: number, head = '', keep = Infinity): { socket: net.Socket; text: () => string; closed: () => boolean; connected: Promise<void> } {
  let text = '';
  let closed = false;
  const socket = net.connect(port, '127.0.0.1');
  const connected = new Promise<void>((resolve) => socket.once('connect', () => {
    if (head) socket.write(head);
    resolve();
  }));
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    if (text.length > keep) text = text.slice(-keep);
  });
  socket.on('error', () => undefined);
  socket.on('close', () => { closed = true; });
  return { socket, text: () => text, closed: () => closed, connected };
}

/** A config whose one server carries `padBytes` of padding (to make big stream lines), then its version. */
/** Whether `text` holds the end of bigConfig(version). */
function hasConfig(text: string, version: number): boolean {
  return text.includes(`:${version}"}]}`);
}

function bigConfig(version: number, padBytes: number): ir.Config {
  const server = { name: `${GW}/s`, gateway: GW, address: '10.0.0.1', port: 80, protocol: 'HTTP', listeners: [], streamListeners: [], pad: `${'x'.repeat(padBytes)}:${version}` };
  return { version: 1, servers: [server as unknown as ir.Server] };
}

test('config stream: a client that sends nothing, or its head a byte at a time, is dropped after the header timeout', async () => {
  const s = new ConfigStreamServer({ host: '127.0.0.1', port: 0, tokenKey: KEY, tls: null, headerTimeoutMs: 300 });
  await s.listen();
  const port = Number(new URL(s.url).port);
  const silent = rawClient(port);
  const loris = rawClient(port);
  await loris.connected;
  let i = 0;
  const drip = setInterval(() => { if (!loris.closed() && i < HEAD.length) loris.socket.write(HEAD[i++]!); }, 50);
  try {
    const t0 = Date.now();
    await waitFor('the silent client to be dropped', () => silent.closed());
    await waitFor('the slow-loris client to be dropped', () => loris.closed());
    assert.ok(i < HEAD.length, 'dropped before its head was complete');
    assert.match(loris.text(), /^HTTP\/1\.1 408 /);
    assert.ok(Date.now() - t0 >= 250, 'not before the timeout');
  } finally {
    clearInterval(drip);
    silent.socket.destroy();
    loris.socket.destroy();
    await s.close();
  }
});

test('config stream: connections over the cap get 503 and a log line; below it again, a proxy is admitted', async () => {
  const { log, records } = recordingLog();
  const s = new ConfigStreamServer({ host: '127.0.0.1', port: 0, tokenKey: KEY, tls: null, maxConnections: 2, log });
  await s.listen();
  const port = Number(new URL(s.url).port);
  s.publish(bigConfig(1, 10));
  const a = rawClient(port, HEAD);
  const b = rawClient(port, HEAD);
  try {
    await waitFor('two subscribers', () => s.connections === 2);
    assert.match(await statusLine(port, HEAD), /^HTTP\/1\.1 503 /);
    const refusal = records.find((r) => r.msg.includes('too many connections'));
    assert.ok(refusal, 'the refusal is logged');
    assert.equal(refusal.fields['maxConnections'], 2);
    assert.equal(s.connections, 2, 'the subscribed proxies stay');
    assert.match(a.text(), /"version":1/);

    a.socket.destroy();
    await waitFor('the first subscriber to go', () => s.connections === 1);
    assert.match(await statusLine(port, HEAD), /^HTTP\/1\.1 200 /);
  } finally {
    a.socket.destroy();
    b.socket.destroy();
    await s.close();
  }
});

test('config stream: a subscriber that never reads is dropped while another keeps receiving every config', async () => {
  const { log, records } = recordingLog();
  const s = new ConfigStreamServer({ host: '127.0.0.1', port: 0, tokenKey: KEY, tls: null, maxBufferedBytes: 1 << 20, drainTimeoutMs: 60_000, log });
  await s.listen();
  const port = Number(new URL(s.url).port);
  const stuck = rawClient(port, HEAD);
  const reader = rawClient(port, HEAD, 1 << 16);
  stuck.socket.pause(); // never reads: the kernel buffers fill, then the server's
  try {
    await waitFor('two subscribers', () => s.connections === 2);
    // Configs of 2 MiB, each once the reader has the one before, until the stuck one is
    // dropped: loopback socket buffers hold a few MiB, so it takes a handful.
    for (let v = 1; v <= 16 && s.connections === 2; v++) {
      s.publish(bigConfig(v, 2 << 20));
      await waitFor(`the reader to get config ${v}`, () => hasConfig(reader.text(), v));
    }
    assert.equal(s.connections, 1, 'the stuck subscriber is dropped');
    const drop = records.find((r) => r.msg.includes('too slow'));
    assert.ok(drop, 'the drop is logged');
    assert.equal(drop.fields['gateway'], GW);
    assert.match(String(drop.fields['reason']), /bytes unsent/);
    s.publish(bigConfig(99, 10));
    await waitFor('the reader to get the next config', () => hasConfig(reader.text(), 99));
    assert.equal(reader.closed(), false);
  } finally {
    stuck.socket.destroy();
    reader.socket.destroy();
    await s.close();
  }
});

test('config stream: a write not drained within the drain timeout drops the subscriber', async () => {
  const { log, records } = recordingLog();
  const s = new ConfigStreamServer({ host: '127.0.0.1', port: 0, tokenKey: KEY, tls: null, drainTimeoutMs: 300, log });
  await s.listen();
  const port = Number(new URL(s.url).port);
  const stuck = rawClient(port, HEAD);
  stuck.socket.pause();
  try {
    await waitFor('a subscriber', () => s.connections === 1);
    // One 16 MiB config (under the 64 MiB buffer bound) that a reader that never reads cannot take.
    s.publish(bigConfig(1, 16 << 20));
    await waitFor('the stuck subscriber to be dropped', () => s.connections === 0);
    assert.match(String(records.find((r) => r.msg.includes('too slow'))?.fields['reason']), /not drained within 300 ms/);
  } finally {
    stuck.socket.destroy();
    await s.close();
  }
});

test('config stream: heartbeats keep an idle subscription open past the idle and header timeouts', async () => {
  const s = new ConfigStreamServer({ host: '127.0.0.1', port: 0, tokenKey: KEY, tls: null, heartbeatMs: 100, idleTimeoutMs: 300, headerTimeoutMs: 200 });
  await s.listen();
  const port = Number(new URL(s.url).port);
  const sub = rawClient(port, HEAD);
  // The control: an idle connection that is no subscription is closed by the same server.
  const idle = rawClient(port, 'GET /nothing HTTP/1.1\r\nhost: a\r\n\r\n');
  try {
    await waitFor('a subscriber', () => s.connections === 1);
    const t0 = Date.now();
    await waitFor('the idle connection to be closed', () => idle.closed());
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t0))));
    assert.equal(sub.closed(), false, 'the subscription is open');
    assert.equal(s.connections, 1);
    assert.ok((sub.text().match(/\{\}\n/g) ?? []).length >= 5, 'heartbeats arrived');
    s.publish(bigConfig(7, 1));
    await waitFor('a config after the idle period', () => hasConfig(sub.text(), 7));
  } finally {
    sub.socket.destroy();
    idle.socket.destroy();
    await s.close();
  }
});

test('config stream: a heartbeat not shorter than the idle timeout is refused', () => {
  assert.throws(() => new ConfigStreamServer({ host: '127.0.0.1', port: 0, tokenKey: KEY, tls: null, heartbeatMs: 500, idleTimeoutMs: 500 }), /heartbeatMs/);
});
