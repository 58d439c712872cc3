import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GRPC_ECHO_SERVICE, startGrpcEcho, type GrpcEcho } from './echo/grpc.js';
import { compareGrpc, sendGrpc } from './probes-grpc.js';
import type { RequestCase } from './types.js';

let echo: GrpcEcho;
const logs: string[] = [];

before(async () => {
  echo = await startGrpcEcho(
    { name: 'grpc-infra-backend-v1-abc-12345', namespace: 'infra', ip: '127.0.0.1', env: { GRPC_ECHO_SERVER: '1', HTTP_PORT: '0', POD_NAME: 'grpc-infra-backend-v1-abc-12345', NAMESPACE: 'infra' } },
    (l) => logs.push(l),
  );
});

after(async () => {
  await echo.close();
});

const target = (): { address: string; port: number } => ({ address: '127.0.0.1', port: echo.ports.grpc });

function kase(method: string, expect: RequestCase['expect']): RequestCase {
  return { request: { protocol: 'gRPC', fullMethod: `/${GRPC_ECHO_SERVICE}/${method}` }, expect };
}

test('gRPC echo: Echo and EchoTwo answer with the call assertions; EchoThree is unimplemented', async () => {
  const got = await sendGrpc(target(), `/${GRPC_ECHO_SERVICE}/EchoTwo`, { 'X-Thing': 'a' }, 'abc.example.com', 5000);
  assert.equal(got.code, 0, got.details);
  const a = got.response?.assertions;
  assert.equal(a?.fully_qualified_method, `/${GRPC_ECHO_SERVICE}/EchoTwo`);
  assert.equal(a?.authority, 'abc.example.com');
  assert.equal(a?.context?.pod, 'grpc-infra-backend-v1-abc-12345');
  assert.equal(a?.context?.namespace, 'infra');
  assert.ok(a?.headers?.some((h) => h.key === 'x-thing' && h.value === 'a'));
  assert.ok(logs.some((l) => l.includes('EchoTwo')));
  const three = await sendGrpc(target(), `/${GRPC_ECHO_SERVICE}/EchoThree`, {}, '', 5000);
  assert.equal(three.code, 12);
});

test('gRPC comparison: code, method seen, namespace, pod prefix, grpc-non-OK', async () => {
  const ok = await sendGrpc(target(), `/${GRPC_ECHO_SERVICE}/Echo`, {}, '', 5000);
  assert.equal(compareGrpc(kase('Echo', { grpcCode: 'OK', backend: 'grpc-infra-backend-v1', namespace: 'infra' }), ok), null);
  assert.match(compareGrpc(kase('Echo', { grpcCode: 'OK', backend: 'grpc-infra-backend-v2' }), ok) ?? '', /pod name/);
  assert.match(compareGrpc(kase('Echo', { grpcCode: 'OK', namespace: 'other' }), ok) ?? '', /namespace/);
  assert.match(compareGrpc(kase('EchoTwo', { grpcCode: 'OK' }), ok) ?? '', /EchoTwo/);
  assert.match(compareGrpc(kase('Echo', { grpcCode: 'Unimplemented' }), ok) ?? '', /expected gRPC Unimplemented/);
  assert.match(compareGrpc(kase('Echo', { failure: 'grpc-non-OK' }), ok) ?? '', /non-OK/);
  const three = await sendGrpc(target(), `/${GRPC_ECHO_SERVICE}/EchoThree`, {}, '', 5000);
  assert.equal(compareGrpc(kase('EchoThree', { grpcCode: 'Unimplemented' }), three), null);
  assert.equal(compareGrpc(kase('EchoThree', { failure: 'grpc-non-OK' }), three), null);
});
