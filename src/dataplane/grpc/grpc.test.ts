import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as ir from '../../ir/types.js';
import { GW_ERR } from '../errors.js';
import { planRequest, type IncomingRequest } from '../plan.js';
import { compileServer } from '../router/compile.js';
import { encodeGrpcMessage, grpcStatusFor, isGrpcContentType, isGrpcReply, toGrpcReplyHeaders } from './status.js';
import { parseGrpcTimeout } from './timeout.js';

test('grpc-timeout: every unit, at most 8 digits, malformed values ignored', () => {
  assert.equal(parseGrpcTimeout('1H'), 3_600_000);
  assert.equal(parseGrpcTimeout('2M'), 120_000);
  assert.equal(parseGrpcTimeout('3S'), 3000);
  assert.equal(parseGrpcTimeout('250m'), 250);
  assert.equal(parseGrpcTimeout('1500u'), 2);
  assert.equal(parseGrpcTimeout('5n'), 1);
  assert.equal(parseGrpcTimeout('99999999m'), 99_999_999);
  for (const bad of ['', '123456789m', '10', 'S', '1s', '-1S', '1.5S', null]) assert.equal(parseGrpcTimeout(bad), null, String(bad));
});

test('gRPC content types; gRPC-Web is not gRPC', () => {
  for (const ct of ['application/grpc', 'application/grpc+proto', 'Application/GRPC+json', 'application/grpc; charset=utf-8']) assert.ok(isGrpcContentType(ct), ct);
  for (const ct of ['application/grpc-web', 'application/grpc-web+proto', 'application/json', 'application/grpcx', null]) assert.ok(!isGrpcContentType(ct), String(ct));
});

test('gateway errors map to gRPC statuses', () => {
  assert.equal(grpcStatusFor(404, GW_ERR.NO_ROUTE), 12);
  assert.equal(grpcStatusFor(500, GW_ERR.INVALID_BACKEND), 14);
  assert.equal(grpcStatusFor(503, GW_ERR.NO_ENDPOINTS), 14);
  assert.equal(grpcStatusFor(502, GW_ERR.UPSTREAM_CONNECT), 14);
  assert.equal(grpcStatusFor(504, GW_ERR.UPSTREAM_TIMEOUT), 4);
  assert.equal(grpcStatusFor(500, GW_ERR.INTERNAL), 13);
  assert.equal(encodeGrpcMessage('50% off ü'), '50%25 off %C3%BC');
  const h = toGrpcReplyHeaders(404, GW_ERR.NO_ROUTE, Object.assign(Object.create(null) as Record<string, string>, { 'content-length': '9', 'x-a': 'b' }));
  assert.equal(h['content-type'], 'application/grpc');
  assert.equal(h['grpc-status'], '12');
  assert.equal(h['content-length'], undefined);
  assert.equal(h['x-a'], 'b');
  assert.ok(isGrpcReply(200, h));
  assert.ok(!isGrpcReply(404, h));
});

function rule(name: string, kind: ir.Rule['kind'], action: ir.Action): ir.Rule {
  return { name, kind, route: 'default/r', sectionName: null, requestFilters: [], responseHeaders: null, cors: null, mirrors: [], action, timeouts: { requestMs: null, backendRequestMs: null }, retry: null };
}
const backend = (name: string): ir.Backend => ({
  kind: 'service', name, weight: 1, protocol: 'h2c', tls: null, endpoints: [{ address: '127.0.0.1', port: 1 }], requestFilters: [], redirect: null, responseHeaders: null,
});
const match = (path: ir.PathMatch): ir.Match => ({ path, method: null, headers: [], queryParams: [] });

/** One listener, one `*` virtual host: GRPCRoute entries (rules 0–2) then an HTTPRoute catch-all (rule 3). */
const SERVER = compileServer({
  name: 's', gateway: 'default/gw', address: '127.0.0.1', port: 80, protocol: 'HTTP', streamListeners: [],
  listeners: [
    {
      name: 'default/gw/http', hostname: null, port: 80, scheme: 'http', tls: null,
      rules: [
        rule('grpc-echo', 'GRPCRoute', { kind: 'forward', backends: [backend('default/grpc:8080')] }),
        rule('grpc-broken', 'GRPCRoute', { kind: 'forward', backends: [{ kind: 'invalid', name: 'default/missing:80', weight: 1, status: 500, reason: 'BackendNotFound' }] }),
        rule('grpc-none', 'GRPCRoute', { kind: 'direct', status: 500 }),
        rule('http-all', 'HTTPRoute', { kind: 'forward', backends: [backend('default/web:80')] }),
      ],
      virtualHosts: [
        {
          hostname: '*',
          entries: [
            { rule: 0, match: match({ type: 'Exact', value: '/echo.Echo/Say' }) },
            { rule: 1, match: match({ type: 'Exact', value: '/echo.Echo/Broken' }) },
            { rule: 2, match: match({ type: 'PathPrefix', value: '/empty.Empty' }) },
            { rule: 3, match: match({ type: 'PathPrefix', value: '/' }) },
          ],
        },
      ],
    },
  ],
});

function call(path: string, contentType: string | null, extra: string[] = []): IncomingRequest {
  return {
    method: 'POST', target: path, host: 'gw.example', clientIp: '127.0.0.1',
    rawHeaders: [...(contentType === null ? [] : ['content-type', contentType]), ...extra],
  };
}

test('plan: gRPC calls match GRPCRoute entries only; other requests only HTTPRoute entries', () => {
  const ok = planRequest(SERVER, call('/echo.Echo/Say', 'application/grpc', ['grpc-timeout', '2S']), () => 0);
  assert.equal(ok.kind, 'forward');
  if (ok.kind !== 'forward') return;
  assert.equal(ok.backend.name, 'default/grpc:8080');
  assert.equal(ok.grpc, true);
  assert.equal(ok.grpcTimeoutMs, 2000);
  assert.equal(ok.headers['te'], 'trailers');
  // The same path without the gRPC content type is plain HTTP: the HTTPRoute catch-all.
  const web = planRequest(SERVER, call('/echo.Echo/Say', 'application/json'), () => 0);
  assert.equal(web.kind === 'forward' && web.backend.name, 'default/web:80');
  assert.equal(web.kind === 'forward' && web.grpc, false);
});

test('plan: unmatched call → UNIMPLEMENTED; invalid or missing backends → UNAVAILABLE, as HTTP 200 Trailers-Only', () => {
  const cases: [string, string][] = [
    ['/echo.Echo/Other', '12'],
    ['/echo.Echo/Broken', '14'],
    ['/empty.Empty/Call', '14'],
  ];
  for (const [path, status] of cases) {
    const p = planRequest(SERVER, call(path, 'application/grpc+proto'), () => 0);
    assert.equal(p.kind, 'reply', path);
    if (p.kind !== 'reply') continue;
    assert.equal(p.status, 200, path);
    assert.equal(p.headers['grpc-status'], status, path);
    assert.equal(p.headers['content-type'], 'application/grpc', path);
    assert.equal(p.body, '', path);
  }
});

test('plan: without GRPCRoute entries a gRPC call matches the HTTPRoute entries and keeps their answers', () => {
  const httpOnly = compileServer({
    name: 's2', gateway: 'default/gw', address: '127.0.0.1', port: 80, protocol: 'HTTP', streamListeners: [],
    listeners: [
      {
        name: 'default/gw/http', hostname: null, port: 80, scheme: 'http', tls: null,
        rules: [
          rule('http-web', 'HTTPRoute', { kind: 'forward', backends: [backend('default/web:80')] }),
          rule('http-broken', 'HTTPRoute', { kind: 'direct', status: 500 }),
        ],
        virtualHosts: [
          {
            hostname: '*',
            entries: [
              { rule: 0, match: match({ type: 'PathPrefix', value: '/echo.Echo' }) },
              { rule: 1, match: match({ type: 'PathPrefix', value: '/broken.Broken' }) },
            ],
          },
        ],
      },
    ],
  });
  const fwd = planRequest(httpOnly, call('/echo.Echo/Say', 'application/grpc'), () => 0);
  assert.equal(fwd.kind === 'forward' && fwd.backend.name, 'default/web:80');
  assert.equal(fwd.kind === 'forward' && fwd.grpc, false);
  // An HTTPRoute rule's own answer stays an HTTP answer, not a gRPC status.
  const broken = planRequest(httpOnly, call('/broken.Broken/Call', 'application/grpc'), () => 0);
  assert.equal(broken.kind, 'reply');
  assert.equal(broken.kind === 'reply' && broken.status, 500);
  assert.equal(broken.kind === 'reply' && broken.headers['grpc-status'], undefined);
});
