import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as api from '../api/types.js';
import type * as ir from '../ir/types.js';
import {
  compareEntries,
  compareMatches,
  compareVirtualHostNames,
  computeHostnamePrecedence,
  type PrecedenceEntry,
} from './precedence.js';

function m(path: ir.PathMatch, extra: Partial<ir.Match> = {}): ir.Match {
  return { path, method: null, headers: [], queryParams: [], ...extra };
}
const exact = (value: string) => ({ type: 'Exact', value }) as const;
const prefix = (value: string) => ({ type: 'PathPrefix', value }) as const;
const regex = (value: string) => ({ type: 'RegularExpression', value }) as const;
const hdr = (name: string): ir.ValueMatch => ({ name, type: 'Exact', value: 'v' });

test('compareMatches: the HTTPRouteMatch criteria, in order (table)', () => {
  // [winner, loser, why]
  const cases: [ir.Match, ir.Match, string][] = [
    [m(exact('/a')), m(prefix('/a/b/c/d')), 'Exact beats any PathPrefix'],
    [m(prefix('/abc')), m(prefix('/ab')), 'longer PathPrefix wins'],
    [m(prefix('/')), m(regex('/.*/long/regex')), 'RegularExpression after every PathPrefix (our choice)'],
    [m(exact('/x')), m(regex('/x')), 'Exact beats RegularExpression'],
    [m(prefix('/a'), { method: 'GET' }), m(prefix('/a'), { headers: [hdr('a'), hdr('b')] }), 'method beats headers'],
    [m(prefix('/a'), { headers: [hdr('a'), hdr('b')] }), m(prefix('/a'), { headers: [hdr('a')] }), 'more headers win'],
    [m(prefix('/a'), { headers: [hdr('a')] }), m(prefix('/a'), { queryParams: [hdr('a'), hdr('b')] }), 'headers beat query params'],
    [m(prefix('/a'), { queryParams: [hdr('a'), hdr('b')] }), m(prefix('/a'), { queryParams: [hdr('a')] }), 'more query params win'],
    [m(prefix('/ab')), m(prefix('/a'), { method: 'GET', headers: [hdr('x')] }), 'path length before method/headers'],
    [m(regex('/a'), { method: 'GET' }), m(regex('/a/much/longer')), 'regexes tie on path; method decides'],
  ];
  for (const [winner, loser, why] of cases) {
    assert.ok(compareMatches(winner, loser) < 0, why);
    assert.ok(compareMatches(loser, winner) > 0, `${why} (reversed)`);
  }
  assert.equal(compareMatches(m(exact('/a')), m(exact('/b'))), 0, 'two Exact matches tie');
});

function route(name: string, ns = 'default', created = '2024-01-01T00:00:00Z'): api.KubeObject {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace: ns, creationTimestamp: created } };
}
function entry(r: api.KubeObject, match: ir.Match, over: Partial<PrecedenceEntry> = {}): PrecedenceEntry {
  return { route: r, host: { exact: 0, any: 0 }, match, ruleIndex: 0, matchIndex: 0, ...over };
}

test('compareEntries: hostnames, then matches, then age, name, rule and match index (table)', () => {
  const a = route('a');
  const b = route('b');
  const old = route('z', 'default', '2020-01-01T00:00:00Z');
  const cases: [PrecedenceEntry, PrecedenceEntry, string][] = [
    [entry(a, m(prefix('/')), { host: { exact: 13, any: 13 } }), entry(b, m(exact('/x')), { host: { exact: 0, any: 13 } }), 'non-wildcard hostname chars first'],
    [entry(a, m(prefix('/')), { host: { exact: 0, any: 13 } }), entry(b, m(exact('/x')), { host: { exact: 0, any: 5 } }), 'then any hostname chars'],
    [entry(b, m(exact('/x'))), entry(a, m(prefix('/x'))), 'then the match criteria'],
    [entry(old, m(prefix('/x'))), entry(a, m(prefix('/x'))), 'then the oldest route'],
    [entry(a, m(prefix('/x'))), entry(b, m(prefix('/x'))), 'then namespace/name'],
    [entry(route('a', 'ns1'), m(prefix('/x'))), entry(route('a', 'ns2'), m(prefix('/x'))), 'namespace first in the key'],
    [entry(a, m(prefix('/x')), { ruleIndex: 0 }), entry(a, m(prefix('/x')), { ruleIndex: 1 }), 'then rule order'],
    [entry(a, m(prefix('/x')), { matchIndex: 0 }), entry(a, m(prefix('/x')), { matchIndex: 1 }), 'then match order'],
  ];
  for (const [winner, loser, why] of cases) {
    assert.ok(compareEntries(winner, loser) < 0, why);
    assert.ok(compareEntries(loser, winner) > 0, `${why} (reversed)`);
  }
});

test('computeHostnamePrecedence: the characters of the matching hostnames', () => {
  assert.deepEqual(computeHostnamePrecedence(['a.example.com', '*.example.com'], 'a.example.com'), { exact: 13, any: 13 });
  assert.deepEqual(computeHostnamePrecedence(['*.example.com'], 'a.example.com'), { exact: 0, any: 13 });
  assert.deepEqual(computeHostnamePrecedence(['*.com', 'b.example.com'], 'a.example.com'), { exact: 0, any: 5 });
  assert.deepEqual(computeHostnamePrecedence([], 'a.example.com'), { exact: 0, any: 0 });
  assert.deepEqual(computeHostnamePrecedence(['*.example.com'], '*.example.com'), { exact: 0, any: 13 });
  assert.deepEqual(computeHostnamePrecedence(['*.example.com'], '*'), { exact: 0, any: 0 });
});

test('compareVirtualHostNames: exact, then wildcards longest first, then *', () => {
  const names = ['*', '*.com', 'b.example.com', '*.a.example.com', 'a.example.com', '*.example.com'];
  assert.deepEqual([...names].sort(compareVirtualHostNames), [
    'a.example.com',
    'b.example.com',
    '*.a.example.com',
    '*.example.com',
    '*.com',
    '*',
  ]);
});
