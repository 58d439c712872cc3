import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostnameCovers, intersectHostnames, servesHostname } from './hostnames.js';

test('hostnameCovers: label-based wildcard matching, case-insensitive', () => {
  const cases: [string, string, boolean][] = [
    ['foo.example.com', 'foo.example.com', true],
    ['FOO.example.com', 'foo.EXAMPLE.com', true],
    ['foo.example.com', 'bar.example.com', false],
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'aexample.com', false],
    ['*.example.com', '*.example.com', true],
    ['*.example.com', '*.a.example.com', true],
    ['*.a.example.com', '*.example.com', false],
    ['*.com', '*.example.com', true],
    ['foo.example.com', '*.example.com', false],
    ['*.bar.com', 'bar.com', false],
    ['*.foo.com', 'multiple.prefixes.foo.com', true],
  ];
  for (const [pattern, host, want] of cases) assert.equal(hostnameCovers(pattern, host), want, `${pattern} ⊇ ${host}`);
});

test('intersectHostnames: the spec digest §d.4 table', () => {
  const cases: [string | undefined, string[] | undefined, string[] | null][] = [
    // empty × empty = any host
    [undefined, undefined, []],
    [undefined, [], []],
    // empty × H = H as-is
    [undefined, ['a.example.com', '*.example.net'], ['a.example.com', '*.example.net']],
    // L × empty = L
    ['foo.example.com', undefined, ['foo.example.com']],
    ['*.example.com', [], ['*.example.com']],
    // exact L × L, or a wildcard covering L = L
    ['foo.example.com', ['foo.example.com'], ['foo.example.com']],
    ['foo.example.com', ['*.example.com'], ['foo.example.com']],
    ['foo.example.com', ['*.com'], ['foo.example.com']],
    ['foo.example.com', ['*.example.com', 'foo.example.com'], ['foo.example.com']],
    // exact L × unrelated = none
    ['foo.example.com', ['bar.example.com'], null],
    ['foo.example.com', ['*.foo.example.com'], null],
    // *.d × exact h under d = h (any depth), not d itself
    ['*.example.com', ['a.example.com', 'a.b.example.com'], ['a.example.com', 'a.b.example.com']],
    ['*.example.com', ['example.com'], null],
    // *.d × *.d or narrower wildcard = that wildcard
    ['*.example.com', ['*.example.com'], ['*.example.com']],
    ['*.example.com', ['*.a.example.com'], ['*.a.example.com']],
    // *.d × broader wildcard = L
    ['*.example.com', ['*.com'], ['*.example.com']],
    // non-intersecting route hostnames are ignored
    ['*.example.com', ['test.example.com', 'test.example.net'], ['test.example.com']],
    // case-insensitive; output lower-cased
    ['Foo.Example.com', ['FOO.example.COM'], ['foo.example.com']],
  ];
  for (const [listener, route, want] of cases) {
    assert.deepEqual(intersectHostnames(listener, route), want, `${listener} × ${JSON.stringify(route)}`);
  }
});

test('intersectHostnames: conformance GatewayHTTPListenerIsolation (hostname intersection variant)', () => {
  const route = ['bar.com', '*.example.com', '*.foo.example.com', 'abc.foo.example.com'];
  assert.deepEqual(intersectHostnames(undefined, route), route);
  assert.deepEqual(intersectHostnames('*.example.com', route), ['*.example.com', '*.foo.example.com', 'abc.foo.example.com']);
  assert.deepEqual(intersectHostnames('*.foo.example.com', route), ['*.foo.example.com', 'abc.foo.example.com']);
  assert.deepEqual(intersectHostnames('abc.foo.example.com', route), ['abc.foo.example.com']);
});

test('intersectHostnames: conformance HTTPRouteListenerHostnameMatching (route without hostnames)', () => {
  for (const listener of ['bar.com', 'foo.bar.com', '*.bar.com', '*.foo.com']) {
    assert.deepEqual(intersectHostnames(listener, undefined), [listener]);
  }
});

test('servesHostname: which virtual hosts an effective hostname list covers', () => {
  assert.equal(servesHostname([], 'a.example.com'), true);
  assert.equal(servesHostname([], '*'), true);
  assert.equal(servesHostname(['*.example.com'], 'a.example.com'), true);
  assert.equal(servesHostname(['*.example.com'], '*.a.example.com'), true);
  assert.equal(servesHostname(['*.example.com'], 'example.com'), false);
  assert.equal(servesHostname(['a.example.com'], '*.example.com'), false);
  assert.equal(servesHostname(['a.example.com'], '*'), false);
});
