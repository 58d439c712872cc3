import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as api from '../api/types.js';
import type { AttachedRoute, RouteMemo } from './attachment.js';
import { processHTTPRoutes } from './http-routes.js';
import { gatewayNode, http, httpRoute, indexOf } from './http-routes.fixtures.js';
import { buildVirtualHosts } from './virtual-hosts.js';
import { VirtualHostCache } from './virtual-hosts-cache.js';

const CONTROLLER = 'waygate.dev/gateway-controller';

/** Attachments of unchanged routes are the same objects, as with the translate cache. */
function attachmentMemo(): RouteMemo {
  const attached = new WeakMap<object, AttachedRoute>();
  return {
    rules: (_, compute) => compute(),
    attachedOf: (route) => attached.get(route),
    rememberAttached: (route, a) => void attached.set(route, a),
    placementsOf: () => undefined,
    rememberPlacements: () => undefined,
  };
}
const POOL = ['a.example.com', 'b.example.com', 'x.a.example.com', '*.example.com', '*.a.example.com', '*.com', 'B.Example.com', 'other.net', '*.net'];
const PATHS = ['/', '/a', '/a/b', '/c'];

// The cache updates a listener's build in place of rebuilding it when few attachments changed.
// Along random edit sequences (replace with the same or another rule count, append, remove,
// insert in the middle, nothing; now and then a burst too big to update) its output must equal
// the full build, and both paths must be taken.
test('virtual host cache: updated builds equal full builds along random edit sequences', () => {
  let seed = 7;
  const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) >>> 16) % n;
  let serial = 0;
  const makeRoute = (stamp: string, rules = 1 + rnd(2)): api.HTTPRoute => {
    const count = rnd(3); // 0: any host
    const hostnames = Array.from({ length: count }, () => POOL[rnd(POOL.length)]!);
    return httpRoute('default', `r${String(serial++).padStart(4, '0')}`, {
      parentRefs: [{ name: 'gw' }],
      ...(count > 0 ? { hostnames } : {}),
      rules: Array.from({ length: rules }, () => ({ matches: [{ path: { type: 'PathPrefix' as const, value: PATHS[rnd(PATHS.length)]! } }] })),
    }, stamp);
  };
  let routes = Array.from({ length: 60 }, () => makeRoute('2024-01-01T00:00:00Z'));
  const memo = attachmentMemo();
  const cache = new VirtualHostCache();
  for (let step = 0; step < 300; step++) {
    const ops = rnd(12) === 0 ? 30 : rnd(4);
    for (let k = 0; k < ops; k++) {
      const op = rnd(6);
      const at = rnd(routes.length);
      const victim = routes[at]!;
      const stamp = victim.metadata.creationTimestamp!;
      if (op === 0 || op === 1) routes[at] = { ...makeRoute(stamp, victim.spec.rules!.length), metadata: victim.metadata };
      else if (op === 2) routes[at] = { ...makeRoute(stamp), metadata: victim.metadata };
      else if (op === 3) routes.push(makeRoute(`2024-01-02T00:00:${String(step % 60).padStart(2, '0')}Z`));
      else if (op === 4 && routes.length > 10) routes = routes.filter((_, i) => i !== at);
      else routes.splice(at, 0, makeRoute('2023-01-01T00:00:00Z'));
    }
    const gw = gatewayNode('default', 'gw', [http('a')]);
    processHTTPRoutes(routes, [gw], indexOf([]), CONTROLLER, memo);
    const listener = gw.listeners[0]!;
    cache.begin();
    assert.deepEqual(cache.build(listener), buildVirtualHosts(listener), `step ${step}`);
  }
  const { updates, rebuilds } = cache.stats;
  assert.ok(updates > 200 && rebuilds > 10, `updates ${updates}, rebuilds ${rebuilds}`);
});

test('virtual host cache: an unaffected virtual host keeps its IR object', () => {
  const gwOf = (routes: api.HTTPRoute[], memo: RouteMemo) => {
    const gw = gatewayNode('default', 'gw', [http('a')]);
    processHTTPRoutes(routes, [gw], indexOf([]), CONTROLLER, memo);
    return gw.listeners[0]!;
  };
  const route = (name: string, host: string, path: string): api.HTTPRoute =>
    httpRoute('default', name, { parentRefs: [{ name: 'gw' }], hostnames: [host], rules: [{ matches: [{ path: { type: 'PathPrefix', value: path } }] }] }, '2024-01-01T00:00:00Z');
  const memo = attachmentMemo();
  const a = route('a', 'a.test', '/');
  const b = route('b', 'b.test', '/');
  const cache = new VirtualHostCache();
  cache.begin();
  const first = cache.build(gwOf([a, b], memo)).virtualHosts;
  cache.begin();
  const b2 = route('b', 'b.test', '/v2');
  const c = route('c', 'c.test', '/');
  const second = cache.build(gwOf([a, b2, c], memo)).virtualHosts;
  assert.deepEqual(second.map((v) => v.hostname), ['a.test', 'b.test', 'c.test']);
  assert.equal(second[0], first[0], 'a.test is untouched');
  assert.notEqual(second[1], first[1], 'b.test was edited');
  assert.deepEqual(cache.stats, { updates: 1, rebuilds: 1 });

  // A removed route (here in the middle, so the later rules move up) rebuilds what it served
  // only; the others keep their entries, at their rules' new positions.
  cache.begin();
  const third = cache.build(gwOf([a, c], memo));
  assert.deepEqual(third.virtualHosts.map((v) => v.hostname), ['a.test', 'c.test']);
  assert.deepEqual(third.virtualHosts.map((v) => v.entries.map((e) => third.rules[e.rule]!.name)), [['httproute/default/a/rule/0'], ['httproute/default/c/rule/0']]);
  assert.equal(third.virtualHosts[0], second[0], 'a.test kept its object: its rule did not move');
  assert.notEqual(third.virtualHosts[1], second[2], 'c.test got its rule\'s new position');
  assert.deepEqual(cache.stats, { updates: 2, rebuilds: 1 });
});

// Names that come and go are merged into the previous list in one walk: a virtual host that is
// neither reached nor moved stays the very object, one whose rules moved gets a copy, and an
// appended route with a new hostname (the common add) leaves every other virtual host as it was.
test('virtual host cache: names added and dropped in one pass keep the untouched virtual hosts', () => {
  const memo = attachmentMemo();
  const route = (name: string, host: string, stamp = '2024-01-01T00:00:00Z'): api.HTTPRoute =>
    httpRoute('default', name, { parentRefs: [{ name: 'gw' }], hostnames: [host], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }] }, stamp);
  const listenerOf = (routes: api.HTTPRoute[]) => {
    const gw = gatewayNode('default', 'gw', [http('a')]);
    processHTTPRoutes(routes, [gw], indexOf([]), CONTROLLER, memo);
    return gw.listeners[0]!;
  };
  const [a, b, c, d] = [route('a', 'a.test'), route('b', 'b.test'), route('c', 'c.test'), route('d', '*.d.test')];
  const cache = new VirtualHostCache();
  const pass = (routes: api.HTTPRoute[]) => {
    cache.begin();
    const listener = listenerOf(routes);
    const built = cache.build(listener);
    assert.deepEqual(built, buildVirtualHosts(listener));
    return new Map(built.virtualHosts.map((v) => [v.hostname, v]));
  };
  const first = pass([a, b, c, d]);
  // b goes (b.test with it, and the rules of c and d move up); e comes with a new name.
  const e = route('e', 'aa.test', '2024-01-02T00:00:00Z');
  const second = pass([a, c, d, e]);
  assert.deepEqual([...second.keys()], ['a.test', 'aa.test', 'c.test', '*.d.test']);
  assert.equal(second.get('a.test'), first.get('a.test'), 'a.test: not reached, its rule in place');
  assert.notEqual(second.get('c.test'), first.get('c.test'), 'c.test: its rule moved');
  // Appended with a new name, nothing moves: every other virtual host is the previous object.
  const f = route('f', 'x.d.test', '2024-01-03T00:00:00Z');
  const third = pass([a, c, d, e, f]);
  assert.deepEqual([...third.keys()], ['a.test', 'aa.test', 'c.test', 'x.d.test', '*.d.test']);
  for (const name of ['a.test', 'aa.test', 'c.test', '*.d.test']) assert.equal(third.get(name), second.get(name), name);
  // Removing it again (the last route) drops its name and touches nothing else.
  const fourth = pass([a, c, d, e]);
  assert.deepEqual([...fourth.keys()], [...second.keys()]);
  for (const [name, vh] of fourth) assert.equal(vh, third.get(name), name);
  assert.deepEqual(cache.stats, { updates: 3, rebuilds: 1 });
});

// The commonest churn: a route edited in place, same hostnames and rule count. Nothing moves and
// no name comes or goes, so only its virtual host is rebuilt; the data plane reuses compiled
// virtual hosts by IR object, so the others must stay the very objects.
test('virtual host cache: a route edited in place rebuilds its virtual host only', () => {
  const memo = attachmentMemo();
  const route = (name: string, host: string, path: string): api.HTTPRoute =>
    httpRoute('default', name, { parentRefs: [{ name: 'gw' }], hostnames: [host], rules: [{ matches: [{ path: { type: 'PathPrefix', value: path } }] }] }, '2024-01-01T00:00:00Z');
  const cache = new VirtualHostCache();
  const pass = (routes: api.HTTPRoute[]) => {
    cache.begin();
    const gw = gatewayNode('default', 'gw', [http('a')]);
    processHTTPRoutes(routes, [gw], indexOf([]), CONTROLLER, memo);
    const built = cache.build(gw.listeners[0]!);
    assert.deepEqual(built, buildVirtualHosts(gw.listeners[0]!));
    return built.virtualHosts;
  };
  const [a, b, c] = [route('a', 'a.test', '/'), route('b', 'b.test', '/'), route('c', 'c.test', '/')];
  const first = pass([a, b, c]);
  const second = pass([a, route('b', 'b.test', '/v2'), c]);
  assert.deepEqual(second.map((v) => v.hostname), ['a.test', 'b.test', 'c.test']);
  assert.equal(second[0], first[0], 'a.test');
  assert.notEqual(second[1], first[1], 'b.test was edited');
  assert.equal(second[2], first[2], 'c.test');
  assert.deepEqual(cache.stats, { updates: 1, rebuilds: 1 });
});
