import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as ir from '../ir/types.js';
import { IrInterner, share } from './ir-interner.js';

function rule(name: string, header = 'a'): ir.Rule {
  return {
    name: `httproute/ns/${name}/rule/0`,
    kind: 'HTTPRoute',
    route: `ns/${name}`,
    sectionName: null,
    requestFilters: [{ type: 'RequestHeaderModifier', headers: { set: [{ name: 'x-h', value: header }], add: [], remove: [] } }],
    responseHeaders: null,
    cors: null,
    mirrors: [],
    action: {
      kind: 'forward',
      backends: [{ kind: 'service', name: 'ns/backend:80', weight: 1, protocol: 'http1', tls: null, endpoints: [{ address: '127.0.0.1', port: 8080 }], requestFilters: [], redirect: null, responseHeaders: null }],
    },
    timeouts: { requestMs: null, backendRequestMs: null },
    retry: null,
  };
}

function match(prefix: string): ir.Match {
  return { path: { type: 'PathPrefix', value: prefix }, method: null, headers: [], queryParams: [] };
}

/** One server, one listener; route i serves host `h<i>.test` on `/`. */
function config(routes: readonly { name: string; header?: string }[], port = 8080): ir.Config {
  const rules = routes.map((r) => rule(r.name, r.header));
  return JSON.parse(JSON.stringify({
    version: 1,
    servers: [{
      name: `ns/gw/0.0.0.0:${port}`, gateway: 'ns/gw', address: '0.0.0.0', port, protocol: 'HTTP', streamListeners: [],
      listeners: [{
        name: 'ns/gw/http', hostname: null, port, scheme: 'http', tls: null, rules,
        virtualHosts: routes.map((r, i) => ({ hostname: `${r.name}.test`, entries: [{ rule: i, match: match('/') }] })),
      }],
    }],
  })) as ir.Config;
}

const listenerOf = (c: ir.Config): ir.Listener => c.servers[0]!.listeners[0]!;

describe('IrInterner', () => {
  it('returns the previous objects for an equal config (fresh JSON)', () => {
    const i = new IrInterner();
    const routes = [{ name: 'a' }, { name: 'b' }];
    const first = i.intern(config(routes));
    const again = i.intern(config(routes));
    assert.equal(again, first);
    assert.equal(again.servers[0], first.servers[0]);
  });

  it('a changed rule is a new object equal to the input; everything unchanged keeps its identity', () => {
    const i = new IrInterner();
    const first = i.intern(config([{ name: 'a' }, { name: 'b' }, { name: 'c' }]));
    const input = config([{ name: 'a' }, { name: 'b', header: 'changed' }, { name: 'c' }]);
    const next = i.intern(input);
    assert.deepEqual(next, input);
    assert.notEqual(next.servers[0], first.servers[0]);
    const [l0, l1] = [listenerOf(first), listenerOf(next)];
    assert.equal(l1.rules[0], l0.rules[0]);
    assert.equal(l1.rules[2], l0.rules[2]);
    assert.notEqual(l1.rules[1], l0.rules[1]);
    assert.equal((l1.rules[1]!.requestFilters[0] as { headers: ir.HeaderModifier }).headers.set[0]!.value, 'changed');
    // Unchanged parts of the changed rule are shared too.
    assert.equal(l1.rules[1]!.action, l0.rules[1]!.action);
    assert.equal(l1.virtualHosts[1], l0.virtualHosts[1]);
  });

  it('pairs named elements by name: a route added in the middle shifts nothing', () => {
    const i = new IrInterner();
    const first = i.intern(config([{ name: 'a' }, { name: 'c' }]));
    const input = config([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const next = i.intern(input);
    assert.deepEqual(next, input);
    const [l0, l1] = [listenerOf(first), listenerOf(next)];
    assert.equal(l1.rules[0], l0.rules[0]);
    assert.equal(l1.rules[2], l0.rules[1]);
    assert.equal(l1.rules[1], input.servers[0]!.listeners[0]!.rules[1]);
    // Virtual hosts pair by hostname; c's entry now points at rule 2, so c's host is new but its match is shared.
    assert.equal(l1.virtualHosts[0], l0.virtualHosts[0]);
    assert.notEqual(l1.virtualHosts[2], l0.virtualHosts[1]);
    assert.equal(l1.virtualHosts[2]!.entries[0]!.rule, 2);
    assert.equal(l1.virtualHosts[2]!.entries[0]!.match, l0.virtualHosts[1]!.entries[0]!.match);
  });

  it('a removed field, a field set to null or a shorter list is a new object, never the stale one', () => {
    const prev = { a: 1, b: { c: [1, 2, 3] }, d: 'x' };
    const fewer = { a: 1, b: { c: [1, 2, 3] } };
    assert.notEqual(share(prev, fewer), prev);
    assert.deepEqual(share(prev, fewer), fewer);
    assert.equal((share(prev, fewer) as typeof prev).b, prev.b);
    const nulled = { a: 1, b: null, d: 'x' };
    assert.deepEqual(share(prev, nulled), nulled);
    const shorter = { a: 1, b: { c: [1, 2] }, d: 'x' };
    assert.deepEqual(share(prev, shorter), shorter);
    assert.notEqual((share(prev, shorter) as typeof prev).b, prev.b);
    const more = { a: 1, b: { c: [1, 2, 3] }, d: 'x', e: false };
    assert.deepEqual(share(prev, more), more);
    assert.deepEqual(share([1, 2], { 0: 1, 1: 2 }), { 0: 1, 1: 2 });
    assert.deepEqual(share({ 0: 1, 1: 2 }, [1, 2]), [1, 2]);
  });

  it('never returns anything but a value deep-equal to its input (random edits)', () => {
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const i = new IrInterner();
    let routes = Array.from({ length: 12 }, (_, k) => ({ name: `r${k}`, header: 'a' }));
    let prev: ir.Config | null = null;
    for (let step = 0; step < 300; step++) {
      const op = rnd(4);
      if (op === 0 && routes.length > 1) routes = routes.filter((_, k) => k !== rnd(routes.length));
      else if (op === 1) routes = [...routes.slice(0, rnd(routes.length + 1)), { name: `n${step}`, header: 'a' }, ...routes].slice(0, 20);
      else if (op === 2) routes = routes.map((r, k) => (k === rnd(routes.length) ? { ...r, header: String(rnd(3)) } : r));
      // op 3: the same routes again
      const seen = new Set<string>();
      routes = routes.filter((r) => !seen.has(r.name) && seen.add(r.name));
      const input = config(routes, 8080 + rnd(2));
      const out = i.intern(input);
      assert.deepEqual(out, input, `step ${step}`);
      if (prev !== null && op === 3 && out.servers[0]!.port === prev.servers[0]!.port) assert.equal(out, prev);
      prev = out;
    }
  });
});
