import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as ir from '../../ir/types.js';
import { CompileCache, compileServer } from './compile.js';
import { buildHostTable, lookupHost, normalizeHost } from './host-table.js';
import { matchesPrefix } from './match.js';
import { cumulativeWeights, pickWeighted } from './weighted.js';
import { directRule } from './router.fixtures.js';

test('normalizeHost strips port and trailing dot, lower-cases', () => {
  const cases: [string, string][] = [
    ['Foo.Example.COM', 'foo.example.com'],
    ['foo.example.com:8080', 'foo.example.com'],
    ['foo.example.com.', 'foo.example.com'],
    ['foo.example.com.:80', 'foo.example.com'],
    ['[::1]:8080', '[::1]'],
    ['', ''],
  ];
  for (const [input, want] of cases) assert.equal(normalizeHost(input), want, input);
});

test('host table: exact, then longest wildcard, then catch-all; first duplicate wins', () => {
  const t = buildHostTable([
    { hostname: 'a.example.com', value: 'exact' },
    { hostname: '*.example.com', value: 'wild' },
    { hostname: '*.b.example.com', value: 'wild-b' },
    { hostname: 'a.example.com', value: 'dup' },
    { hostname: null, value: 'any' },
  ]);
  assert.equal(lookupHost(t, 'a.example.com'), 'exact');
  assert.equal(lookupHost(t, 'x.example.com'), 'wild');
  assert.equal(lookupHost(t, 'x.y.b.example.com'), 'wild-b');
  assert.equal(lookupHost(t, 'b.example.com'), 'wild');
  assert.equal(lookupHost(t, 'example.com'), 'any');
  const noAny = buildHostTable([{ hostname: '*.example.com', value: 1 }]);
  assert.equal(lookupHost(noAny, 'example.com'), null);
});

test('prefix matching is element-wise', () => {
  assert.equal(matchesPrefix('/abc', '/abc'), true);
  assert.equal(matchesPrefix('/abc/', '/abc'), true);
  assert.equal(matchesPrefix('/abc/def', '/abc'), true);
  assert.equal(matchesPrefix('/abcd', '/abc'), false);
  assert.equal(matchesPrefix('/anything', ''), true);
});

test('weighted pick follows cumulative shares; zero weights get nothing', () => {
  const { cumulative, total } = cumulativeWeights([1, 0, 3]);
  assert.deepEqual(cumulative, [1, 1, 4]);
  assert.equal(pickWeighted(cumulative, total, 0), 0);
  assert.equal(pickWeighted(cumulative, total, 0.24), 0);
  assert.equal(pickWeighted(cumulative, total, 0.25), 2);
  assert.equal(pickWeighted(cumulative, total, 0.999), 2);
  assert.equal(pickWeighted([0], 0, 0.5), -1);
});

test('compile cache: an unchanged IR rule or match is compiled once, a new object again', () => {
  const match: ir.Match = { path: { type: 'PathPrefix', value: '/a' }, method: null, headers: [], queryParams: [] };
  const rule = (name: string): ir.Rule => directRule(name, 'ns/r');
  const server = (rules: ir.Rule[]): ir.Server => ({
    name: 'ns/gw/127.0.0.1:80',
    gateway: 'ns/gw',
    address: '127.0.0.1',
    port: 80,
    protocol: 'HTTP',
    listeners: [
      { name: 'ns/gw/http', hostname: null, port: 80, scheme: 'http', tls: null, rules, virtualHosts: [{ hostname: '*', entries: rules.map((_, i) => ({ rule: i, match })) }] },
    ],
    streamListeners: [],
  });
  const kept = rule('kept');
  const cache = new CompileCache();
  const entriesOf = (s: ir.Server, c?: CompileCache) => lookupHost(lookupHost(compileServer(s, c).listeners, 'x')!.vhosts, 'x')!.entries;
  const first = entriesOf(server([kept]), cache);
  const second = entriesOf(server([kept, rule('added')]), cache);
  assert.equal(second[0]!.rule, first[0]!.rule, 'the same IR rule object → the same compiled rule');
  assert.equal(second[0]!.match, first[0]!.match);
  assert.equal(second[1]!.rule.name, 'added');
  const edited = entriesOf(server([{ ...kept }]), cache);
  assert.notEqual(edited[0]!.rule, first[0]!.rule, 'a new IR object is compiled again');
  const fresh = entriesOf(server([kept]));
  assert.notEqual(fresh[0]!.rule, first[0]!.rule, 'without a cache nothing is shared');

  // A virtual host object is reused only while its entries point at the same IR rules.
  const vhost: ir.VirtualHost = { hostname: '*', entries: [{ rule: 0, match }] };
  const withVhost = (rules: ir.Rule[]): ir.Server => {
    const s = server(rules);
    return { ...s, listeners: [{ ...s.listeners[0]!, virtualHosts: [vhost] }] };
  };
  const vh = (s: ir.Server) => lookupHost(lookupHost(compileServer(s, cache).listeners, 'x')!.vhosts, 'x')!;
  const v1 = vh(withVhost([kept]));
  assert.equal(vh(withVhost([kept, rule('other')])), v1, 'same vhost, same rule at its index: reused');
  const replaced = rule('replaced');
  const v2 = vh(withVhost([replaced]));
  assert.notEqual(v2, v1, 'another rule at the index: compiled again');
  assert.equal(v2.entries[0]!.rule.name, 'replaced');
});
