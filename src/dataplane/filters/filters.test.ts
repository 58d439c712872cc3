import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyHeaders, forwardableHeaders, joinedHeader } from '../headers.js';
import { compileCors, isOriginAllowed, normalizeOrigin } from './cors.js';
import { applyHeaderModifier, compileHeaderModifier } from './header-modifier.js';
import { replacePrefix } from './path-rewrite.js';
import { compileRule } from '../router/compile.js';
import { directRule } from '../router/router.fixtures.js';
import { buildLocation, hostWithoutPort } from './redirect.js';

test('ReplacePrefixMatch godoc table', () => {
  const table: [string, string, string, string][] = [
    ['/foo/bar', '/foo', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo', '/xyz/', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz/', '/xyz/bar'],
    ['/foo', '/foo', '/xyz', '/xyz'],
    ['/foo/', '/foo', '/xyz', '/xyz/'],
    ['/foo/bar', '/foo', '', '/bar'],
    ['/foo/', '/foo', '', '/'],
    ['/foo', '/foo', '', '/'],
    ['/foo/', '/foo', '/', '/'],
    ['/foo', '/foo', '/', '/'],
  ];
  for (const [path, prefix, repl, want] of table) assert.equal(replacePrefix(path, prefix, repl), want, `${path} ${prefix} ${repl}`);
  assert.equal(replacePrefix('/foobar', '/foo', '/x'), '/foobar', 'not element-wise covered: unchanged');
});

test('header modifier: set overwrites, add appends with a comma, names are case-insensitive', () => {
  const h = forwardableHeaders(['X-Set', 'old', 'x-add', 'a', 'X-Remove', 'r', 'Set-Cookie', 'c1']);
  applyHeaderModifier(h, compileHeaderModifier({
    set: [{ name: 'X-Set', value: 'new' }],
    add: [{ name: 'X-Add', value: 'b' }, { name: 'x-fresh', value: 'f' }, { name: 'set-cookie', value: 'c2' }],
    remove: ['X-REMOVE'],
  }));
  assert.equal(h['x-set'], 'new');
  assert.equal(h['x-add'], 'a,b');
  assert.equal(h['x-fresh'], 'f');
  assert.deepEqual(h['set-cookie'], ['c1', 'c2']);
  assert.equal(h['x-remove'], undefined);
});

test('header modifier: lower-case names are served as they are, an upper-case name anywhere is lower-cased in a copy', () => {
  const lower = { set: [{ name: 'x-set', value: 'S' }], add: [{ name: 'x-add', value: 'A' }], remove: ['x-remove'] };
  assert.equal(compileHeaderModifier(lower), lower);
  const cases = [
    { set: [{ name: 'x-set', value: 'S' }, { name: 'X-Upper', value: 'U' }], add: [], remove: [] },
    { set: [], add: [{ name: 'x-add', value: 'A' }, { name: 'X-Upper', value: 'U' }], remove: [] },
    { set: [], add: [], remove: ['x-remove', 'X-Upper'] },
  ];
  for (const mod of cases) {
    const before = JSON.stringify(mod);
    const compiled = compileHeaderModifier(mod);
    assert.notEqual(compiled, mod);
    assert.equal(JSON.stringify(mod), before);
    assert.deepEqual(compiled, JSON.parse(before.replace('X-Upper', 'x-upper')));
  }
});

test('compiled request filters: the IR list when no name needs lower-casing, else a copy with only the changed filter replaced', () => {
  const rewrite = { type: 'URLRewrite' as const, hostname: 'h', path: null };
  const lower = { type: 'RequestHeaderModifier' as const, headers: { set: [{ name: 'x-a', value: '1' }], add: [], remove: [] } };
  const upper = { type: 'RequestHeaderModifier' as const, headers: { set: [{ name: 'X-B', value: '2' }], add: [], remove: [] } };
  const same = [lower, rewrite];
  assert.equal(compileRule({ ...directRule('r'), requestFilters: same }).requestFilters, same);
  const mixed = [lower, rewrite, upper, rewrite];
  const compiled = compileRule({ ...directRule('r'), requestFilters: mixed }).requestFilters;
  assert.notEqual(compiled, mixed);
  assert.equal(compiled.length, 4);
  assert.equal(compiled[0], lower);
  assert.equal(compiled[1], rewrite);
  assert.deepEqual(compiled[2], { type: 'RequestHeaderModifier', headers: { set: [{ name: 'x-b', value: '2' }], add: [], remove: [] } });
  assert.equal(compiled[3], rewrite);
  assert.equal(upper.headers.set[0]!.name, 'X-B');
});

test('forwardable headers drop hop-by-hop and Connection-named headers', () => {
  const h = forwardableHeaders(['Connection', 'close, X-Secret', 'X-Secret', 's', 'Upgrade', 'h2c', 'Proxy-Connection', 'k', 'Transfer-Encoding', 'chunked', 'A', '1', 'a', '2']);
  assert.deepEqual(Object.keys(h).sort(), ['a']);
  assert.deepEqual(h['a'], ['1', '2']);
  assert.equal(joinedHeader(['A', '1', 'a', '2'], 'a'), '1,2');
  assert.equal(joinedHeader([], 'a'), null);
});

test('redirect Location port rules', () => {
  const src = { listenerScheme: 'http' as const, listenerPort: 8080, host: 'h.example:8080', path: '/p', query: 'q=1' };
  const r = { scheme: null, hostname: null, port: null, path: null, statusCode: 302 };
  assert.equal(buildLocation(r, src), 'http://h.example:8080/p?q=1');
  assert.equal(buildLocation({ ...r, scheme: 'https' }, src), 'https://h.example/p?q=1');
  assert.equal(buildLocation({ ...r, scheme: 'https', port: 8443 }, src), 'https://h.example:8443/p?q=1');
  assert.equal(buildLocation({ ...r, port: 80 }, src), 'http://h.example/p?q=1');
  assert.equal(hostWithoutPort('[::1]:80'), '[::1]');
});

test('CORS origins: exact, greedy wildcard, default ports, any', () => {
  const c = compileCors({ allowOrigins: ['https://www.foo.com', 'https://*.bar.com', 'http://x.com:8080'], allowCredentials: false, allowMethods: [], allowHeaders: [], exposeHeaders: [], maxAge: 5 });
  assert.equal(isOriginAllowed(c, 'https://www.foo.com'), true);
  assert.equal(isOriginAllowed(c, 'https://WWW.foo.com:443'), true);
  assert.equal(isOriginAllowed(c, 'http://www.foo.com'), false);
  assert.equal(isOriginAllowed(c, 'https://a.b.bar.com'), true);
  assert.equal(isOriginAllowed(c, 'https://bar.com'), false);
  assert.equal(isOriginAllowed(c, 'https://evilbar.com'), false);
  assert.equal(isOriginAllowed(c, 'http://x.com:8080'), true);
  assert.equal(isOriginAllowed(c, 'http://x.com'), false);
  assert.equal(normalizeOrigin('HTTP://A.com:80'), 'http://a.com');
  const any = compileCors({ allowOrigins: ['*'], allowCredentials: true, allowMethods: ['*'], allowHeaders: [], exposeHeaders: ['*'], maxAge: 5 });
  assert.equal(isOriginAllowed(any, 'https://whatever.test'), true);
  assert.equal(any.exposeHeaders, null, 'no `*` expose header with credentials');
  assert.equal(Object.keys(emptyHeaders()).length, 0);
});
