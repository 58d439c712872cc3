import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { parseClientHello } from './client-hello.js';

/** Captures the first bytes a real node:tls client sends (its ClientHello). */
async function captureHello(servername: string | undefined): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const got = new Promise<Buffer>((resolve, reject) => {
      server.once('connection', (s) => {
        const chunks: Buffer[] = [];
        const timer = setTimeout(() => reject(new Error('no hello')), 2000);
        s.on('data', (c: Buffer) => {
          chunks.push(c);
          const all = Buffer.concat(chunks);
          if (parseClientHello(all).kind !== 'partial') {
            clearTimeout(timer);
            s.destroy();
            resolve(all);
          }
        });
      });
    });
    const client = tls.connect({ host: '127.0.0.1', port, ...(servername ? { servername } : {}), rejectUnauthorized: false });
    client.on('error', () => undefined);
    const hello = await got;
    client.destroy();
    return hello;
  } finally {
    server.close();
  }
}

/** Re-frames one handshake message into TLS records of at most `size` bytes each. */
function refragment(hello: Buffer, size: number): Buffer {
  const body = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const frag = body.subarray(i, i + size);
    const head = Buffer.from([22, 3, 1, 0, 0]);
    head.writeUInt16BE(frag.length, 3);
    out.push(head, frag);
  }
  return Buffer.concat(out);
}

test('client hello: SNI of a real TLS client, lower-cased', async () => {
  const hello = await captureHello('Abc.Example.com');
  assert.deepEqual(parseClientHello(hello), { kind: 'hello', sni: 'abc.example.com' });
});

test('client hello: no SNI extension gives null', async () => {
  const hello = await captureHello(undefined);
  assert.deepEqual(parseClientHello(hello), { kind: 'hello', sni: null });
});

test('client hello: partial until complete, byte by byte', async () => {
  const hello = await captureHello('partial.example.com');
  for (let n = 0; n < hello.length; n += 37) assert.equal(parseClientHello(hello.subarray(0, n)).kind, 'partial', `at ${n}`);
  assert.deepEqual(parseClientHello(hello), { kind: 'hello', sni: 'partial.example.com' });
});

test('client hello: a hello split over several records is reassembled', async () => {
  const hello = await captureHello('split.example.com');
  const split = refragment(hello, 50);
  assert.ok(split.length > hello.length);
  assert.equal(parseClientHello(split.subarray(0, split.length - 1)).kind, 'partial');
  assert.deepEqual(parseClientHello(split), { kind: 'hello', sni: 'split.example.com' });
});

test('client hello: not TLS, oversized and malformed input are invalid', async () => {
  assert.equal(parseClientHello(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')).kind, 'invalid');
  const hello = await captureHello('big.example.com');
  assert.equal(parseClientHello(hello, 64).kind, 'invalid');
  const broken = Buffer.from(hello);
  broken[5] = 2; // ServerHello instead of ClientHello
  assert.equal(parseClientHello(broken).kind, 'invalid');
  // A server_name with a control byte is refused.
  const i = hello.indexOf(Buffer.from('big.example.com'));
  const bad = Buffer.from(hello);
  bad[i] = 0x0a;
  assert.equal(parseClientHello(bad).kind, 'invalid');
});
