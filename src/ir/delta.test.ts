import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IrDecoder, IrEncoder, type EncodedServers } from './delta.js';
import type * as ir from './types.js';

const match = (path: string): ir.Match => ({ path: { type: 'PathPrefix', value: path }, method: null, headers: [], queryParams: [] });
const rule = (name: string): ir.Rule => ({
  name, kind: 'HTTPRoute', route: 'ns/r', sectionName: null, requestFilters: [], responseHeaders: null, cors: null, mirrors: [],
  action: { kind: 'direct', status: 200 }, timeouts: { requestMs: null, backendRequestMs: null }, retry: null,
});
const server = (name: string, rules: ir.Rule[], vhosts: ir.VirtualHost[]): ir.Server => ({
  name, gateway: 'ns/gw', address: '127.0.0.1', port: 80, protocol: 'HTTP', streamListeners: [],
  listeners: [{ name: 'ns/gw/http', hostname: null, port: 80, scheme: 'http', tls: null, rules, virtualHosts: vhosts }],
});
/** Over a real process boundary the message is cloned. */
const wire = (m: EncodedServers): EncodedServers => structuredClone(m);
/** How many objects a message sends whole (`{ id, value }`). */
const defined = (m: unknown): number => {
  if (m === null || typeof m !== 'object') return 0;
  const own = !Array.isArray(m) && 'id' in m && 'value' in m && Object.keys(m).length === 2 ? 1 : 0;
  return own + Object.values(m).reduce((n: number, v) => n + defined(v), 0);
};

test('IR delta: unchanged objects travel as ids and decode to the objects decoded before', () => {
  const enc = new IrEncoder();
  const dec = new IrDecoder();
  const [ra, rb] = [rule('a'), rule('b')];
  const [ma, mb] = [match('/a'), match('/b')];
  const va: ir.VirtualHost = { hostname: 'a.test', entries: [{ rule: 0, match: ma }] };
  const vb: ir.VirtualHost = { hostname: 'b.test', entries: [{ rule: 1, match: mb }] };
  const s1 = server('s1', [ra, rb], [va, vb]);

  const first = enc.encode([s1]);
  assert.equal(first.message.reset, true);
  const d1 = dec.decode(wire(first.message));
  assert.deepEqual(d1.servers, [s1]);
  first.commit(['s1']);
  d1.commit(['s1']);

  // b edited: a new rule object and a new virtual host pointing at it with the same match.
  const rb2 = { ...rule('b'), action: { kind: 'direct', status: 503 } } as ir.Rule;
  const vb2: ir.VirtualHost = { hostname: 'b.test', entries: [{ rule: 1, match: mb }] };
  const s2 = server('s1', [ra, rb2], [va, vb2]);
  const second = enc.encode([s2]);
  assert.equal(second.message.reset, false);
  assert.equal(defined(second.message), 2, 'only the new rule and the new virtual host are sent whole');
  const d2 = dec.decode(wire(second.message));
  assert.deepEqual(d2.servers, [s2]);
  const [l1, l2] = [d1.servers[0]!.listeners[0]!, d2.servers[0]!.listeners[0]!];
  assert.equal(l2.rules[0], l1.rules[0], 'unchanged rule: the same object');
  assert.equal(l2.virtualHosts[0], l1.virtualHosts[0], 'unchanged virtual host: the same object');
  assert.notEqual(l2.rules[1], l1.rules[1]);
  assert.equal(l2.virtualHosts[1]!.entries[0]!.match, l1.virtualHosts[1]!.entries[0]!.match, 'a kept match inside a new virtual host');
  second.commit(['s1']);
  d2.commit(['s1']);

  // The peer failed to apply: the next message starts over.
  const third = enc.encode([s2]);
  third.abort();
  const fourth = enc.encode([s2]);
  assert.equal(fourth.message.reset, true);
  assert.equal(defined(fourth.message), 6);
  assert.deepEqual(dec.decode(wire(fourth.message)).servers, [s2]);
});

test('IR delta: a server not re-sent keeps its objects while it is in the config; a removed one is forgotten', () => {
  const enc = new IrEncoder();
  const dec = new IrDecoder();
  const shared = rule('shared');
  const sA = server('A', [shared], []);
  const sB = server('B', [rule('b')], []);
  const m1 = enc.encode([sA, sB]);
  dec.decode(wire(m1.message)).commit(['A', 'B']);
  m1.commit(['A', 'B']);
  // B changes and now also uses A's rule; A is unchanged (not re-sent).
  const sB2 = server('B', [rule('b2'), shared], []);
  const m2 = enc.encode([sB2]);
  assert.equal(defined(m2.message), 1, 'the shared rule is an id');
  dec.decode(wire(m2.message)).commit(['A', 'B']);
  m2.commit(['A', 'B']);
  // A leaves the config; B keeps referencing `shared` through its own table.
  const m3 = enc.encode([server('B', [shared], [])]);
  assert.equal(defined(m3.message), 0);
  dec.decode(wire(m3.message)).commit(['B']);
  m3.commit(['B']);
  const m4 = enc.encode([server('C', [sA.listeners[0]!.rules[0]!, rule('c')], [])]);
  assert.equal(defined(m4.message), 1, 'still held through B');
  assert.throws(() => new IrDecoder().decode(wire({ reset: false, servers: m4.message.servers })), /unknown object id/);
});

test('IR delta, whole configs: unchanged servers are named only, resolve to the committed objects; an unknown name throws', () => {
  const enc = new IrEncoder();
  const dec = new IrDecoder();
  const sA = server('A', [rule('a')], []);
  const sB = server('B', [rule('b')], []);
  const c1 = enc.encodeConfig([sA, sB]);
  assert.deepEqual(c1.changed.servers.map((s) => s.name), ['A', 'B']);
  const d1 = dec.decodeConfig(c1.names, wire(c1.changed));
  d1.commit();
  c1.commit();
  const sB2 = server('B', [rule('b2')], []);
  const c2 = enc.encodeConfig([sA, sB2]);
  assert.deepEqual(c2.names, ['A', 'B']);
  assert.deepEqual(c2.changed.servers.map((s) => s.name), ['B'], 'A is named only');
  const d2 = dec.decodeConfig(c2.names, wire(c2.changed));
  assert.equal(d2.servers[0], d1.servers[0], 'A resolves to the object decoded before');
  assert.equal(d2.servers[1]!.listeners[0]!.rules[0]!.name, 'b2');
  // Not committed (the peer failed): the encoder sends B again, the decoder still has the old A.
  c2.abort();
  const c3 = enc.encodeConfig([sA, sB2]);
  assert.deepEqual(c3.changed.servers.map((s) => s.name), ['B']);
  assert.equal(c3.changed.reset, true);
  assert.equal(dec.decodeConfig(c3.names, wire(c3.changed)).servers[0], d1.servers[0]);
  assert.throws(() => new IrDecoder().decodeConfig(['A'], wire({ reset: false, servers: [] })), /server A was never sent/);
});
