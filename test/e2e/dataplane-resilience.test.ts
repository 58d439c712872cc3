/** Data plane e2e: request and backend timeouts, retries on status codes and connection errors. */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { send, startBackend, startDataPlane, type Backend, type Running } from './dataplane-support/helpers.js';

let flaky: Backend;
let run: Running;
const attempts = new Map<string, number>();
const bodies = new Map<string, string[]>();
let cancelled = 0;

before(async () => {
  // ?uuid=U&succeedAfter=N[&code=C][&delay=ms][&delayRetry=ms]: the first N requests of U fail
  // (status C, or a TCP reset without C) after delayRetry; then it answers 200 after delay.
  flaky = await startBackend('flaky', (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams;
    const uuid = q.get('uuid') ?? '';
    const n = (attempts.get(uuid) ?? 0) + 1;
    attempts.set(uuid, n);
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      bodies.set(uuid, [...(bodies.get(uuid) ?? []), body]);
      const fail = n <= Number(q.get('succeedAfter') ?? 0);
      const wait = Number((fail ? q.get('delayRetry') : q.get('delay')) ?? 0);
      const timer = setTimeout(() => {
        if (!fail) {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(`ok after ${n}`);
        } else if (q.get('code') !== null) {
          res.writeHead(Number(q.get('code')));
          res.end('failing');
        } else {
          (req.socket as Socket).resetAndDestroy();
        }
      }, wait);
      res.once('close', () => {
        if (!res.writableFinished) {
          cancelled++;
          clearTimeout(timer);
        }
      });
    });
  });
  const be = [{ name: 'flaky', endpoints: [flaky.endpoint] }];
  run = await startDataPlane({
    servers: [
      {
        listeners: [
          {
            rules: [
              { name: 'request-timeout', match: { path: '/request-timeout' }, backends: be, timeouts: { requestMs: 300 } },
              { name: 'backend-timeout', match: { path: '/backend-timeout' }, backends: be, timeouts: { backendRequestMs: 200 } },
              { name: 'retry-503', match: { path: '/retry-503' }, backends: be, retry: { codes: [503], attempts: 2, backoffMs: 10 } },
              { name: 'retry-reset', match: { path: '/retry-reset' }, backends: be, retry: { codes: [], attempts: 3, backoffMs: 5 } },
              { name: 'retry-attempt-timeout', match: { path: '/retry-attempt-timeout' }, backends: be, retry: { codes: [], attempts: 2, backoffMs: 0 }, timeouts: { backendRequestMs: 200 } },
              { name: 'retry-bounded', match: { path: '/retry-bounded' }, backends: be, retry: { codes: [500], attempts: 5, backoffMs: 0 }, timeouts: { backendRequestMs: 200, requestMs: 400 } },
              { name: 'plain', match: { path: '/' }, backends: be },
            ],
          },
        ],
      },
    ],
  });
});

after(async () => {
  await run.dp.close(500);
  await flaky.close();
});

let seq = 0;
const uuid = (): string => `u${++seq}`;

test('request timeout answers 504 and cancels the backend request', async () => {
  assert.equal((await send(`${run.base}/request-timeout?delay=0&uuid=${uuid()}`)).status, 200);
  const before = cancelled;
  const t0 = Date.now();
  const r = await send(`${run.base}/request-timeout?delay=2000&uuid=${uuid()}`);
  const took = Date.now() - t0;
  assert.equal(r.status, 504);
  assert.ok(took >= 280 && took < 1500, `took ${took} ms`);
  for (let i = 0; i < 50 && cancelled === before; i++) await new Promise((res) => setTimeout(res, 10));
  assert.equal(cancelled, before + 1, 'the backend saw the request cancelled');
});

test('backend request timeout answers 504', async () => {
  const r = await send(`${run.base}/backend-timeout?delay=1000&uuid=${uuid()}`);
  assert.equal(r.status, 504);
});

test('retry on 503 until success, last answer after exhaustion', async () => {
  const ok = await send(`${run.base}/retry-503?code=503&succeedAfter=2&uuid=${uuid()}`);
  assert.equal(ok.status, 200);
  assert.equal(ok.text, 'ok after 3');
  const id = uuid();
  const exhausted = await send(`${run.base}/retry-503?code=503&succeedAfter=3&uuid=${id}`);
  assert.equal(exhausted.status, 503);
  assert.equal(exhausted.text, 'failing');
  assert.equal(attempts.get(id), 3);
  const other = await send(`${run.base}/retry-503?code=500&succeedAfter=1&uuid=${uuid()}`);
  assert.equal(other.status, 500, 'codes not listed are not retried');
});

test('small request bodies are replayed on retry', async () => {
  const id = uuid();
  const r = await send(`${run.base}/retry-503?code=503&succeedAfter=1&uuid=${id}`, { method: 'POST', body: 'payload' });
  assert.equal(r.status, 200);
  assert.deepEqual(bodies.get(id), ['payload', 'payload']);
});

test('retry on connection reset; 503 once exhausted; 502 without a retry policy', async () => {
  assert.equal((await send(`${run.base}/retry-reset?succeedAfter=2&uuid=${uuid()}`)).status, 200);
  assert.equal((await send(`${run.base}/retry-reset?succeedAfter=4&uuid=${uuid()}`)).status, 503);
  assert.equal((await send(`${run.base}/plain?succeedAfter=1&uuid=${uuid()}`)).status, 502);
});

test('each attempt is bounded by the backend timeout and retried', async () => {
  assert.equal((await send(`${run.base}/retry-attempt-timeout?delayRetry=300&succeedAfter=2&uuid=${uuid()}`)).status, 200);
  assert.equal((await send(`${run.base}/retry-attempt-timeout?delayRetry=300&succeedAfter=3&uuid=${uuid()}`)).status, 504);
});

test('the whole retry sequence is bounded by the request timeout', async () => {
  const t0 = Date.now();
  const r = await send(`${run.base}/retry-bounded?code=500&delayRetry=100&succeedAfter=4&uuid=${uuid()}`);
  assert.equal(r.status, 504);
  assert.ok(Date.now() - t0 < 1000);
  assert.equal((await send(`${run.base}/retry-bounded?code=500&succeedAfter=1&uuid=${uuid()}`)).status, 200);
});
