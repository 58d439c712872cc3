import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servesHostname } from './hostnames.js';
import { processHTTPRoutes } from './http-routes.js';
import { gatewayNode, http, httpRoute, indexOf } from './http-routes.fixtures.js';
import { compareEntries, computeHostnamePrecedence, type PrecedenceEntry } from './precedence.js';
import { buildVirtualHosts } from './virtual-hosts.js';

const CONTROLLER = 'waygate.dev/gateway-controller';

// buildVirtualHosts looks attachments up by hostname instead of testing every attachment against
// every virtual host. This checks it against that plain quadratic definition on a mix of exact
// names, wildcards of several depths, mixed case, repeated and host-less routes.
test('virtual hosts by hostname index: same entries as testing every attachment', () => {
  const pool = [
    'a.example.com', 'b.example.com', 'x.a.example.com', '*.example.com', '*.a.example.com', '*.com',
    'A.Example.com', 'other.net', '*.net', 'deep.x.a.example.com', '*.x.a.example.com',
  ];
  let seed = 11;
  const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) >>> 16) % n;
  const gw = gatewayNode('default', 'gw', [http('a')]);
  const routes = [];
  for (let i = 0; i < 60; i++) {
    const count = rnd(4); // 0: any host
    const hostnames = Array.from({ length: count }, () => pool[rnd(pool.length)]!);
    const path = ['/', '/a', '/a/b', '/c'][rnd(4)]!;
    routes.push(httpRoute('default', `r${String(i).padStart(2, '0')}`, {
      parentRefs: [{ name: 'gw' }],
      ...(count > 0 ? { hostnames } : {}),
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: path } }] }],
    }, `2024-01-01T00:00:${String(rnd(3)).padStart(2, '0')}Z`));
  }
  processHTTPRoutes(routes, [gw], indexOf([]), CONTROLLER);
  const listener = gw.listeners[0]!;
  const { rules, virtualHosts } = buildVirtualHosts(listener);
  assert.ok(virtualHosts.length > 5, `only ${virtualHosts.map((v) => v.hostname).join(" ")} from ${listener.attachments.length} attachments`);
  const ruleOf = new Map(rules.map((r, i) => [r.name, i]));
  for (const vh of virtualHosts) {
    const expected: (PrecedenceEntry & { rule: number })[] = [];
    for (const att of listener.attachments) {
      if (!servesHostname(att.hostnames, vh.hostname)) continue;
      const host = computeHostnamePrecedence(att.hostnames, vh.hostname);
      for (const r of att.rules) {
        r.matches.forEach((match, matchIndex) => {
          expected.push({ route: att.route, host, match, ruleIndex: r.index, matchIndex, rule: ruleOf.get(r.rule.name)! });
        });
      }
    }
    expected.sort(compareEntries);
    assert.deepEqual(vh.entries, expected.map((e) => ({ rule: e.rule, match: e.match })), `virtual host ${vh.hostname}`);
  }
});
