import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
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
    assert.match(await statusLine(port, 'GET http://[/v1/config HTTP/1.1\r\nhost: a\r\n\r\n'), /^HTTP\/1\.1 400 /);
    assert.match(await statusLine(port, 'GET /v1/config?gateway=ns/gw HTTP/1.1\r\nhost: a\r\nauthorization: Bearer nope\r\n\r\n'), /^HTTP\/1\.1 401 /);
    const token = streamToken('k', 'ns/gw');
    assert.match(await statusLine(port, `GET /v1/config?gateway=ns/gw HTTP/1.1\r\nhost: a\r\nauthorization: Bearer ${token}\r\n\r\n`), /^HTTP\/1\.1 200 /);
  } finally {
    await s.close();
  }
});
