import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processHTTPRoutes } from './http-routes.js';
import { buildVirtualHosts } from './virtual-hosts.js';
import { gatewayNode, http, httpRoute, indexOf } from './http-routes.fixtures.js';

const CONTROLLER = 'waygate.dev/gateway-controller';

function entries(vh: { entries: readonly { rule: number; match: { path: { value: string } } }[] }, ruleNames: readonly string[]): string[] {
  return vh.entries.map((e) => `${ruleNames[e.rule]?.replace(/^httproute\/default\//, '')} ${e.match.path.value}`);
}

test('virtual hosts: exact first, wildcards longest first, * last; broader routes merged in by precedence', () => {
  const gw = gatewayNode('default', 'gw', [http('a')]);
  const routes = [
    httpRoute('default', 'any', { parentRefs: [{ name: 'gw' }], rules: [{ matches: [{ path: { type: 'Exact', value: '/any' } }] }] }, '2020-01-01T00:00:00Z'),
    httpRoute('default', 'wild', { parentRefs: [{ name: 'gw' }], hostnames: ['*.example.com'], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/w' } }] }] }),
    httpRoute('default', 'exact', { parentRefs: [{ name: 'gw' }], hostnames: ['a.example.com'], rules: [{}] }),
    httpRoute('default', 'deep', { parentRefs: [{ name: 'gw' }], hostnames: ['*.b.example.com'], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/d' } }] }] }),
  ];
  processHTTPRoutes(routes, [gw], indexOf([]), CONTROLLER);
  const { rules, virtualHosts } = buildVirtualHosts(gw.listeners[0]!);
  const names = rules.map((r) => r.name);
  assert.deepEqual(names, [
    'httproute/default/any/rule/0',
    'httproute/default/wild/rule/0',
    'httproute/default/exact/rule/0',
    'httproute/default/deep/rule/0',
  ]);
  assert.deepEqual(virtualHosts.map((v) => v.hostname), ['a.example.com', '*.b.example.com', '*.example.com', '*']);
  // An exact-hostname route beats a wildcard one even with a weaker path match, and any-host last.
  assert.deepEqual(entries(virtualHosts[0]!, names), ['exact/rule/0 /', 'wild/rule/0 /w', 'any/rule/0 /any']);
  assert.deepEqual(entries(virtualHosts[1]!, names), ['deep/rule/0 /d', 'wild/rule/0 /w', 'any/rule/0 /any']);
  assert.deepEqual(entries(virtualHosts[2]!, names), ['wild/rule/0 /w', 'any/rule/0 /any']);
  assert.deepEqual(entries(virtualHosts[3]!, names), ['any/rule/0 /any']);
});

test('conformance HTTPRouteMatchingAcrossRoutes: precedence across two routes per hostname', () => {
  const gw = gatewayNode('default', 'gw', [http('a')]);
  const r1 = httpRoute('default', 'matching-part1', {
    parentRefs: [{ name: 'gw' }],
    hostnames: ['example.com', 'example.net'],
    rules: [
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/v1' } }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'version', value: 'one' }] }] },
    ],
  });
  const r2 = httpRoute('default', 'matching-part2', {
    parentRefs: [{ name: 'gw' }],
    hostnames: ['example.com'],
    rules: [
      { matches: [{ path: { type: 'PathPrefix', value: '/v2' } }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'version', value: 'two' }] }] },
    ],
  });
  processHTTPRoutes([r1, r2], [gw], indexOf([]), CONTROLLER);
  const { rules, virtualHosts } = buildVirtualHosts(gw.listeners[0]!);
  const names = rules.map((r) => r.name);
  assert.deepEqual(virtualHosts.map((v) => v.hostname), ['example.com', 'example.net']);
  assert.deepEqual(entries(virtualHosts[0]!, names), [
    'matching-part1/rule/1 /v1', // same length as /v2: the older/alphabetically first route goes first
    'matching-part2/rule/0 /v2',
    'matching-part1/rule/2 /',
    'matching-part2/rule/1 /',
    'matching-part1/rule/0 /',
  ]);
  assert.deepEqual(entries(virtualHosts[1]!, names), ['matching-part1/rule/1 /v1', 'matching-part1/rule/2 /', 'matching-part1/rule/0 /']);
});

test('path order: Exact > longest PathPrefix > RegularExpression, each rule match an entry', () => {
  const gw = gatewayNode('default', 'gw', [http('a')]);
  const route = httpRoute('default', 'r', {
    parentRefs: [{ name: 'gw' }],
    rules: [
      { matches: [{ path: { type: 'RegularExpression', value: '/re.*' } }, { path: { type: 'PathPrefix', value: '/' } }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/match/' } }] },
      { matches: [{ path: { type: 'Exact', value: '/match' } }] },
    ],
  });
  processHTTPRoutes([route], [gw], indexOf([]), CONTROLLER);
  const { rules, virtualHosts } = buildVirtualHosts(gw.listeners[0]!);
  assert.deepEqual(entries(virtualHosts[0]!, rules.map((r) => r.name)), ['r/rule/2 /match', 'r/rule/1 /match', 'r/rule/0 /', 'r/rule/0 /re.*']);
});

test('a listener without attachments has no rules and no virtual hosts', () => {
  const gw = gatewayNode('default', 'gw', [http('a')]);
  assert.deepEqual(buildVirtualHosts(gw.listeners[0]!), { rules: [], virtualHosts: [] });
});
