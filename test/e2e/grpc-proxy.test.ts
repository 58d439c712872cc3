/**
 * gRPC through the gateway, end to end: grpc-js clients → waygate (h2c prior knowledge on an
 * HTTP listener) → grpc-js backends (h2c), with the routing decided by the real controller
 * from GRPCRoute objects. Unary, server streaming, bidirectional streaming, a large message,
 * metadata and trailers, deadlines, and the gateway's own gRPC statuses.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { KubeObject } from '../../src/api/types.js';
import { gatewayObjects, loadProto, serviceObjects, startGateway, startGrpcBackend, unary, type Gateway, type Msg } from './grpc-support/harness.js';

let a: Awaited<ReturnType<typeof startGrpcBackend>>;
let b: Awaited<ReturnType<typeof startGrpcBackend>>;
let gw: Gateway;
let echo: grpc.Client;
let other: grpc.Client;

const MAX = 64 * 1024 * 1024;

function route(name: string, rules: unknown[], hostnames?: string[]): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: { name, namespace: 'default' },
    spec: { parentRefs: [{ name: 'gw' }], ...(hostnames ? { hostnames } : {}), rules },
  } as KubeObject;
}

before(async () => {
  a = await startGrpcBackend('a');
  b = await startGrpcBackend('b');
  gw = await startGateway([
    ...gatewayObjects(),
    ...serviceObjects('svc-a', a.port),
    // No appProtocol: a GRPCRoute backend is spoken to with h2c anyway.
    ...serviceObjects('svc-b', b.port, null),
    route('echo', [
      {
        matches: [{ method: { service: 'waygate.test.Echo' } }],
        filters: [
          { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-set', value: 'by-gateway' }], remove: ['x-drop'] } },
          { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'x-resp', value: 'added' }] } },
        ],
        backendRefs: [{ name: 'svc-a', port: 8080 }],
      },
      { matches: [{ method: { service: 'waygate.test.Echo', method: 'Unary' }, headers: [{ name: 'x-pick', value: 'b' }] }], backendRefs: [{ name: 'svc-b', port: 8080 }] },
      { matches: [{ method: { service: 'waygate.test.Other', method: 'Unary' } }], backendRefs: [{ name: 'missing', port: 8080 }] },
    ]),
  ]);
  const { Echo, Other } = loadProto();
  const opts = { 'grpc.max_receive_message_length': MAX, 'grpc.max_send_message_length': MAX };
  echo = new Echo(gw.target, grpc.credentials.createInsecure(), opts);
  other = new Other(gw.target, grpc.credentials.createInsecure(), opts);
});

after(async () => {
  echo?.close();
  other?.close();
  await gw?.close();
  await a?.stop();
  await b?.stop();
});

test('the GRPCRoute is accepted with resolved references except the missing Service', () => {
  const parents = (gw.statuses['GRPCRoute/default/echo']?.['parents'] ?? []) as Array<{ conditions: Array<{ type: string; status: string; reason: string }> }>;
  const conds = parents[0]?.conditions ?? [];
  assert.equal(conds.find((c) => c.type === 'Accepted')?.status, 'True');
  assert.equal(conds.find((c) => c.type === 'ResolvedRefs')?.reason, 'BackendNotFound');
});

test('unary: routed by service, metadata both ways, header filters, trailers relayed', async () => {
  const md = new grpc.Metadata();
  md.set('x-client', 'hello');
  md.set('x-drop', 'should-go');
  const r = await unary(echo, 'Unary', { text: 'hi' }, md);
  assert.equal(r.err, undefined, r.err?.message);
  assert.equal(r.res?.text, 'hi');
  assert.equal(r.res?.backend, 'a');
  const seen = r.res?.seen ?? [];
  assert.ok(seen.includes('x-client=hello'), seen.join(' '));
  assert.ok(seen.includes('x-set=by-gateway'), seen.join(' '));
  assert.ok(!seen.some((s) => s.startsWith('x-drop=')), seen.join(' '));
  // A call without a deadline carries none to the backend.
  assert.ok(!seen.includes('deadline=set'), seen.join(' '));
  assert.deepEqual(r.headers?.get('x-backend'), ['a']);
  assert.deepEqual(r.headers?.get('x-resp'), ['added']);
  assert.deepEqual(r.trailers?.get('x-trailer'), ['done']);
});

test('unary: a header match sends the call to the other backend (more specific match first)', async () => {
  const md = new grpc.Metadata();
  md.set('x-pick', 'b');
  const r = await unary(echo, 'Unary', { text: 'to b' }, md);
  assert.equal(r.err, undefined, r.err?.message);
  assert.equal(r.res?.backend, 'b');
});

test('a backend error status travels back in the trailers', async () => {
  const r = await unary(echo, 'Fail', {});
  assert.equal(r.err?.code, grpc.status.FAILED_PRECONDITION);
  assert.equal(r.err?.details, 'nope from a');
});

test('an 8 MiB message goes through in both directions', async () => {
  const blob = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < blob.length; i += 4096) blob[i] = i % 251;
  const r = await unary(echo, 'Unary', { text: 'big', blob });
  assert.equal(r.err, undefined, r.err?.message);
  assert.equal(r.res?.blob?.length, blob.length);
  assert.ok(r.res?.blob?.equals(blob));
});

test('server streaming: every message in order, then OK', async () => {
  const call = (echo as unknown as { ServerStream(req: Msg): grpc.ClientReadableStream<Msg> }).ServerStream({ text: 's', count: 50 });
  const got: string[] = [];
  call.on('data', (m: Msg) => got.push(m.text ?? ''));
  const status = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  assert.equal(status.code, grpc.status.OK);
  assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => `s#${i}`));
});

test('bidirectional streaming: each message answered before the next is sent', async () => {
  const call = (echo as unknown as { Bidi(): grpc.ClientDuplexStream<Msg, Msg> }).Bidi();
  const got: string[] = [];
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  for (let i = 0; i < 5; i++) {
    const next = new Promise<Msg>((resolve) => call.once('data', resolve));
    call.write({ text: `m${i}` });
    // The answer arrives while the request stream is still open: nothing is buffered whole.
    got.push((await next).text ?? '');
  }
  call.end();
  assert.equal((await status).code, grpc.status.OK);
  assert.deepEqual(got, ['echo:m0', 'echo:m1', 'echo:m2', 'echo:m3', 'echo:m4']);
});

test('deadline: grpc-timeout is propagated and enforced as DEADLINE_EXCEEDED', async () => {
  // The backend sees the deadline the client set.
  const ok = await unary(echo, 'Unary', { text: 'quick' }, new grpc.Metadata(), { deadline: Date.now() + 5000 });
  assert.equal(ok.err, undefined, ok.err?.message);
  assert.ok((ok.res?.seen ?? []).includes('deadline=set'), (ok.res?.seen ?? []).join(' '));
  // The backend answers after 1.5 s; the call's deadline is 300 ms.
  const started = Date.now();
  const late = await unary(echo, 'Unary', { text: 'slow', delayMs: 1500 }, new grpc.Metadata(), { deadline: Date.now() + 300 });
  assert.equal(late.err?.code, grpc.status.DEADLINE_EXCEEDED);
  assert.ok(Date.now() - started < 1400, 'the deadline fired before the backend answered');
});

test('the gateway enforces grpc-timeout itself, answering DEADLINE_EXCEEDED in trailers', async () => {
  // A raw HTTP/2 client that does not give up on its own: only the gateway can end the call.
  const http2 = await import('node:http2');
  const session = http2.connect(`http://${gw.target}`);
  try {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/waygate.test.Echo/ServerStream',
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': '200m',
    });
    // count = 100 (field 3, varint), delay_ms = 50 (field 4): about 5 s of streaming.
    const msg = Buffer.from([0x18, 100, 0x20, 50]);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(msg.length, 1);
    stream.end(Buffer.concat([header, msg]));
    const started = Date.now();
    const trailers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no trailers within 3 s')), 3000);
      stream.on('trailers', (h) => {
        clearTimeout(t);
        resolve(h);
      });
      stream.on('data', () => undefined);
      stream.on('error', reject);
    });
    assert.equal(trailers['grpc-status'], '4');
    assert.ok(Date.now() - started < 2000);
  } finally {
    session.close();
  }
});

test('an unmatched method is UNIMPLEMENTED; a missing backend is UNAVAILABLE', async () => {
  const unmatched = await new Promise<grpc.ServiceError | null>((resolve) =>
    echo.makeUnaryRequest('/waygate.test.Nothing/Here', (x: Msg) => Buffer.from(JSON.stringify(x)), (b: Buffer) => b, {}, (err) => resolve(err)),
  );
  assert.equal(unmatched?.code, grpc.status.UNIMPLEMENTED);
  const missing = await unary(other, 'Unary', { text: 'x' });
  assert.equal(missing.err?.code, grpc.status.UNAVAILABLE);
});

test('every call above has finished on the gateway side (Trailers-Only answers included)', async () => {
  const deadline = Date.now() + 3000;
  let inFlight = -1;
  while (Date.now() < deadline) {
    inFlight = gw.dp.stats().servers[0]?.inFlight ?? -1;
    if (inFlight === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(inFlight, 0);
  assert.ok((gw.dp.stats().servers[0]?.totalRequests ?? 0) >= 10);
});
