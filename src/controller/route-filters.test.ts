import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as api from '../api/types.js';
import type * as ir from '../ir/types.js';
import { convertRules, type ConvertedRule } from './http-routes.js';
import { endpointSlice, httpRoute, indexOf, service } from './http-routes.fixtures.js';

const INDEX = indexOf([
  service('default', 'web', [{ port: 8080 }]),
  service('default', 'mirror', [{ port: 80 }]),
  endpointSlice('default', 'mirror', [{ port: 8080 }], [{ addresses: ['10.0.0.9'] }]),
]);
const WEB = { name: 'web', port: 8080 };

function one(rule: api.HTTPRouteRule): ConvertedRule {
  const [r] = convertRules(httpRoute('default', 'r', { rules: [rule] }), INDEX);
  assert.ok(r);
  return r;
}
function irRule(rule: api.HTTPRouteRule): ir.Rule {
  const r = one(rule);
  assert.deepEqual(r.invalid, [], 'rule must be valid');
  assert.ok(r.attached);
  return r.attached.rule;
}

test('header modifiers: names lower-cased; request in written order with URLRewrite; response separate', () => {
  const rule = irRule({
    filters: [
      { type: 'URLRewrite', urlRewrite: { hostname: 'backend.example.com', path: { type: 'ReplaceFullPath', replaceFullPath: '/new' } } },
      { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Set', value: '1' }], add: [{ name: 'X-Add', value: '2' }], remove: ['X-Gone'] } },
      { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'X-Resp', value: 'r' }] } },
    ],
    backendRefs: [WEB],
  });
  assert.deepEqual(rule.requestFilters, [
    { type: 'URLRewrite', hostname: 'backend.example.com', path: { type: 'ReplaceFullPath', value: '/new' } },
    { type: 'RequestHeaderModifier', headers: { set: [{ name: 'x-set', value: '1' }], add: [{ name: 'x-add', value: '2' }], remove: ['x-gone'] } },
  ]);
  assert.deepEqual(rule.responseHeaders, { set: [], add: [{ name: 'x-resp', value: 'r' }], remove: [] });
});

test('RequestRedirect becomes the action; defaults 302; ReplacePrefixMatch takes the rule prefix', () => {
  const rule = irRule({
    matches: [{ path: { type: 'PathPrefix', value: '/old/' } }],
    filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', hostname: 'new.example.com', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' } } }],
  });
  assert.deepEqual(rule.action, {
    kind: 'redirect',
    redirect: { scheme: 'https', hostname: 'new.example.com', port: null, path: { type: 'ReplacePrefixMatch', prefix: '/old', value: '/new' }, statusCode: 302 },
  });
  const plain = irRule({ filters: [{ type: 'RequestRedirect', requestRedirect: { port: 8443, statusCode: 308, path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' } } }] });
  assert.deepEqual(plain.action, {
    kind: 'redirect',
    redirect: { scheme: null, hostname: null, port: 8443, path: { type: 'ReplacePrefixMatch', prefix: '/', value: '/x' }, statusCode: 308 },
  });
});

test('RequestMirror: percent and fraction become a 0..1 share (default 1); unresolved mirrors are left out', () => {
  const rule = one({
    filters: [
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'mirror', port: 80 } } },
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'mirror', port: 80 }, percent: 20 } },
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'mirror', port: 80 }, fraction: { numerator: 1, denominator: 4 } } },
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'mirror', port: 80 }, fraction: { numerator: 35 } } },
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'mirror', namespace: 'elsewhere', port: 80 } } },
    ],
    backendRefs: [WEB],
  });
  assert.deepEqual(rule.invalid, []);
  assert.deepEqual(rule.attached?.rule.mirrors.map((m) => m.fraction), [1, 0.2, 0.25, 0.35]);
  const backend = rule.attached?.rule.mirrors[0]?.backend;
  assert.deepEqual(backend?.kind === 'service' ? [backend.name, backend.endpoints] : null, ['default/mirror:80', [{ address: '10.0.0.9', port: 8080 }]]);
  assert.deepEqual(rule.refProblems.map((p) => p.reason), ['RefNotPermitted']);
  assert.match(rule.refProblems[0]?.message ?? '', /\(spec\.rules\[0\]\.filters\[4\]\.requestMirror\.backendRef\)\.$/);
});

test('CORS: fields copied, maxAge defaults to 5 and allowCredentials to false', () => {
  const rule = irRule({ filters: [{ type: 'CORS', cors: { allowOrigins: ['https://a.example.com', 'https://*.b.com'], allowMethods: ['GET'] } }], backendRefs: [WEB] });
  assert.deepEqual(rule.cors, {
    allowOrigins: ['https://a.example.com', 'https://*.b.com'],
    allowCredentials: false,
    allowMethods: ['GET'],
    allowHeaders: [],
    exposeHeaders: [],
    maxAge: 5,
  });
});

test('backend-level filters go on the backend; weight 0 backends are omitted', () => {
  const rule = irRule({
    backendRefs: [
      { ...WEB, weight: 3, filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-B', value: 'v' }] } }, { type: 'ResponseHeaderModifier', responseHeaderModifier: { remove: ['Server'] } }] },
      { ...WEB, weight: 0 },
    ],
  });
  assert.equal(rule.action.kind, 'forward');
  const backends = rule.action.kind === 'forward' ? rule.action.backends : [];
  assert.equal(backends.length, 1);
  const b = backends[0];
  assert.deepEqual(b?.kind === 'service' ? [b.weight, b.requestFilters, b.responseHeaders] : null, [
    3,
    [{ type: 'RequestHeaderModifier', headers: { set: [{ name: 'x-b', value: 'v' }], add: [], remove: [] } }],
    { set: [], add: [], remove: ['server'] },
  ]);
  assert.deepEqual(irRule({ backendRefs: [{ ...WEB, weight: 0 }] }).action, { kind: 'direct', status: 500 });
});

test('timeouts and retry: durations in ms, 0s disables, defaults for unset retry fields', () => {
  const rule = irRule({ timeouts: { request: '10s', backendRequest: '500ms' }, retry: { codes: [503, 500, 503], attempts: 3, backoff: '100ms' }, backendRefs: [WEB] });
  assert.deepEqual(rule.timeouts, { requestMs: 10_000, backendRequestMs: 500 });
  assert.deepEqual(rule.retry, { codes: [500, 503], attempts: 3, backoffMs: 100 });
  const zero = irRule({ timeouts: { request: '0s', backendRequest: '1m' }, retry: {}, backendRefs: [WEB] });
  assert.deepEqual(zero.timeouts, { requestMs: null, backendRequestMs: 60_000 });
  assert.deepEqual(zero.retry, { codes: [], attempts: 1, backoffMs: 25 });
  assert.deepEqual(irRule({ backendRefs: [WEB] }).timeouts, { requestMs: null, backendRequestMs: null });
});

test('invalid timeouts and retry make the rule invalid (fail closed: 500)', () => {
  const r = one({ timeouts: { request: '1s', backendRequest: '2s' }, retry: { codes: [200], attempts: 0 }, backendRefs: [WEB] });
  assert.deepEqual(r.invalid.map((p) => p.message), [
    'Must not be longer than timeouts.request (spec.rules[0].timeouts.backendRequest).',
    'Status codes must be within 400-599, not 200 (spec.rules[0].retry.codes).',
    'Must be at least 1 (spec.rules[0].retry.attempts).',
  ]);
  assert.deepEqual(r.attached?.rule.action, { kind: 'direct', status: 500 });
});

test('incompatible or unsupported filters make the rule invalid and answer 500', () => {
  const cases: [api.HTTPRouteRule, string, RegExp][] = [
    [
      { filters: [{ type: 'RequestRedirect', requestRedirect: {} }, { type: 'URLRewrite', urlRewrite: {} }] },
      'IncompatibleFilters',
      /^RequestRedirect and URLRewrite cannot be combined \(spec\.rules\[0\]\.filters\)\.$/,
    ],
    [
      { filters: [{ type: 'CORS', cors: {} }, { type: 'CORS', cors: {} }], backendRefs: [WEB] },
      'IncompatibleFilters',
      /CORS may appear only once/,
    ],
    [{ filters: [{ type: 'RequestRedirect', requestRedirect: {} }], backendRefs: [WEB] }, 'IncompatibleFilters', /cannot be combined with backendRefs/],
    [{ filters: [{ type: 'ExternalAuth' }], backendRefs: [WEB] }, 'UnsupportedValue', /^Filter type "ExternalAuth" is not supported \(spec\.rules\[0\]\.filters\[0\]\.type\)\.$/],
    [{ filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 304 } }] }, 'UnsupportedValue', /304 is not a supported redirect status/],
    [
      { matches: [{ path: { type: 'Exact', value: '/a' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }], backendRefs: [WEB] },
      'UnsupportedValue',
      /ReplacePrefixMatch needs exactly one PathPrefix match/,
    ],
    [{ backendRefs: [{ ...WEB, filters: [{ type: 'CORS', cors: {} }] }] }, 'UnsupportedValue', /not supported on a backendRef \(spec\.rules\[0\]\.backendRefs\[0\]\.filters\[0\]\.type\)/],
  ];
  for (const [rule, reason, message] of cases) {
    const r = one(rule);
    assert.equal(r.invalid[0]?.reason, reason, JSON.stringify(rule));
    assert.match(r.invalid[0]?.message ?? '', message);
    assert.deepEqual(r.attached?.rule.action, { kind: 'direct', status: 500 }, 'fail closed');
    assert.deepEqual(r.attached?.rule.requestFilters, []);
  }
});

test('ExtensionRef is never skipped: the rule answers 500 and ResolvedRefs reports InvalidKind', () => {
  const r = one({ filters: [{ type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'Auth', name: 'a' } }], backendRefs: [WEB] });
  assert.deepEqual(r.invalid, []);
  assert.deepEqual(r.attached?.rule.action, { kind: 'direct', status: 500 });
  assert.deepEqual(r.refProblems, [
    {
      reason: 'InvalidKind',
      message: 'ExtensionRef to Auth.example.com "a" is not supported; requests matching the rule get a 500 (spec.rules[0].filters[0].extensionRef).',
    },
  ]);
});
