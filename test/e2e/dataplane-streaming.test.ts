/** Data plane e2e: large bodies stream both ways with backpressure, never buffered whole. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { client, oneRule, startBackend, startDataPlane, type Backend, type Running } from './dataplane-support/helpers.js';

const SIZE = 50 * 1024 * 1024;
const CHUNK = 64 * 1024;
// A handle on the garbage collector, so the measurement sees live memory rather than garbage.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

let echo: Backend;
let run: Running;

before(async () => {
  // Echoes the request body back as it arrives.
  echo = await startBackend('echo', (req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    req.pipe(res);
  });
  run = await startDataPlane(oneRule([{ name: 'echo', endpoints: [echo.endpoint] }]));
});

after(async () => {
  await run.dp.close(500);
  await echo.close();
});

function source(total: number): Readable {
  let sent = 0;
  const chunk = Buffer.alloc(CHUNK, 0x61);
  return new Readable({
    read() {
      if (sent >= total) return this.push(null);
      const n = Math.min(CHUNK, total - sent);
      sent += n;
      this.push(n === CHUNK ? chunk : chunk.subarray(0, n));
    },
  });
}

test('50 MiB up and down through the proxy with bounded memory', async () => {
  gc();
  const base = process.memoryUsage().arrayBuffers;
  let peak = 0;
  let samples = 0;
  const sampler = setInterval(() => {
    gc();
    samples++;
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
  }, 25);
  try {
    const res = await request(`${run.base}/upload`, {
      method: 'POST',
      body: source(SIZE),
      headers: { 'content-type': 'application/octet-stream' },
      dispatcher: client,
    });
    assert.equal(res.statusCode, 200);
    let received = 0;
    for await (const c of res.body) {
      received += (c as Buffer).length;
      // A slow reader: backpressure has to travel back through the proxy to the sender.
      if (received % (8 * 1024 * 1024) < CHUNK) await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(received, SIZE);
  } finally {
    clearInterval(sampler);
  }
  // Everything (client, proxy, backend) runs in this process; buffering the body anywhere would
  // show as ≥ 50 MiB of external memory.
  assert.ok(samples >= 3, `only ${samples} memory samples`);
  assert.ok(peak < 36 * 1024 * 1024, `peak external memory grew by ${(peak / 1048576).toFixed(1)} MiB`);
});
