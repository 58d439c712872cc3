import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../test/support/prng.js';
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
  // Not committed (the peer failed): the next message starts over and sends every server.
  c2.abort();
  const c3 = enc.encodeConfig([sA, sB2]);
  assert.deepEqual(c3.changed.servers.map((s) => s.name), ['A', 'B']);
  assert.equal(c3.changed.reset, true);
  const d3 = dec.decodeConfig(c3.names, wire(c3.changed));
  assert.deepEqual(d3.servers, [sA, sB2]);
  d3.commit();
  c3.commit();
  const c4 = enc.encodeConfig([sA, sB2]);
  assert.deepEqual(c4.changed.servers, [], 'then only what changes');
  assert.throws(() => new IrDecoder().decodeConfig(['A'], wire({ reset: false, servers: [] })), /server A was never sent/);
});

test('IR delta, random edit sequences: every config decodes equal, unchanged objects stay the objects decoded before, small changes send small messages', () => {
  const rand = prng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  let serial = 0;
  const newVhost = (rules: readonly ir.Rule[], pool: ir.Match[]): ir.VirtualHost => ({
    hostname: `h${serial++}.test`,
    entries: Array.from({ length: 1 + Math.floor(rand() * 3) }, () => ({ rule: Math.floor(rand() * Math.max(1, rules.length)), match: rand() < 0.5 && pool.length > 0 ? pick(pool) : match(`/m${serial++}`) })),
  });
  const listener = (name: string, rules: ir.Rule[], vhosts: ir.VirtualHost[]): ir.Listener => ({ name, hostname: null, port: 80, scheme: 'http', tls: null, rules, virtualHosts: vhosts });
  // Two servers; server A has two listeners that share some rules.
  const shared = Array.from({ length: 5 }, () => rule(`s${serial++}`));
  let lists: Record<string, { rules: ir.Rule[]; vhosts: ir.VirtualHost[] }> = {};
  for (const key of ['A/http', 'A/https', 'B/http']) {
    const rules = [...shared, ...Array.from({ length: 300 }, () => rule(`r${serial++}`))];
    lists[key] = { rules, vhosts: Array.from({ length: 200 }, () => newVhost(rules, [])) };
  }
  const build = (): ir.Server[] => ['A', 'B'].map((name) => ({
    name, gateway: 'ns/gw', address: '127.0.0.1', port: 80, protocol: 'HTTP' as const, streamListeners: [],
    listeners: Object.entries(lists).filter(([k]) => k.startsWith(`${name}/`)).map(([k, v]) => listener(k, v.rules, v.vhosts)),
  }));
  const enc = new IrEncoder();
  const dec = new IrDecoder();
  let committed = build();
  let decodedOf = new Map<object, object>(); // IR object → the object decoded for it, as of the last commit
  let fresh = 0;
  let edits = 0;
  for (let step = 0; step < 400; step++) {
    // A random change: edit, insert or remove rules and virtual hosts in one list, or nothing.
    const next: typeof lists = {};
    for (const [k, v] of Object.entries(lists)) next[k] = { rules: v.rules, vhosts: v.vhosts };
    const key = pick(Object.keys(next));
    const l = next[key]!;
    const kind = rand();
    const n = 1 + Math.floor(rand() * (rand() < 0.1 ? 60 : 3));
    if (kind < 0.3) { const rules = [...l.rules]; for (let i = 0; i < n; i++) rules.splice(Math.floor(rand() * rules.length), 1, rule(`e${serial++}`)); l.rules = rules; }
    else if (kind < 0.5) { const rules = [...l.rules]; for (let i = 0; i < n; i++) rules.splice(Math.floor(rand() * (rules.length + 1)), 0, rand() < 0.3 ? pick(shared) : rule(`i${serial++}`)); l.rules = rules; }
    else if (kind < 0.6) { const rules = [...l.rules]; for (let i = 0; i < n && rules.length > 10; i++) rules.splice(Math.floor(rand() * rules.length), 1); l.rules = rules; }
    else if (kind < 0.8) { const vhosts = [...l.vhosts]; const pool = vhosts.flatMap((v) => v.entries.map((e) => e.match)); for (let i = 0; i < n; i++) vhosts.splice(Math.floor(rand() * (vhosts.length + 1)), rand() < 0.5 ? 1 : 0, newVhost(l.rules, pool)); l.vhosts = vhosts; }
    else if (kind < 0.9) { const vhosts = [...l.vhosts]; for (let i = 0; i < n && vhosts.length > 10; i++) vhosts.splice(Math.floor(rand() * vhosts.length), 1); l.vhosts = vhosts; }
    else if (kind < 0.95) l.rules = [...l.rules]; // a new array, the same rules
    lists = next;
    const servers = build().map((s, i) => (JSON.stringify(s) === JSON.stringify(committed[i]) && rand() < 0.5 ? committed[i]! : s));
    const e = enc.encodeConfig(servers);
    const text = JSON.stringify({ names: e.names, changed: e.changed });
    const msg = JSON.parse(text) as { names: string[]; changed: EncodedServers };
    fresh += msg.changed.servers.filter((s) => s.fresh).length;
    edits += msg.changed.servers.flatMap((s) => s.listeners).filter((x) => !Array.isArray(x.rules) || !Array.isArray(x.virtualHosts)).length;
    const d = dec.decodeConfig(msg.names, msg.changed);
    assert.deepEqual(d.servers, servers, `step ${step}`);
    // What did not change since the last commit is the object decoded for it then.
    const seen = new Map<object, object>();
    servers.forEach((s, si) => s.listeners.forEach((l2, li) => {
      const dl = d.servers[si]!.listeners[li]!;
      l2.rules.forEach((r, ri) => seen.set(r, dl.rules[ri]!));
      l2.virtualHosts.forEach((v, vi) => {
        seen.set(v, dl.virtualHosts[vi]!);
        v.entries.forEach((en, ei) => seen.set(en.match, dl.virtualHosts[vi]!.entries[ei]!.match));
      });
    }));
    // (After an abort the message says `reset`: the peer starts over and decodes everything anew.)
    if (!msg.changed.reset) for (const [obj, was] of decodedOf) if (seen.has(obj)) assert.equal(seen.get(obj), was, `step ${step}: an unchanged object decoded anew`);
    if (n <= 3 && step > 0 && !msg.changed.servers.some((s) => s.fresh)) assert.ok(text.length < 3000, `step ${step}: a small change sent ${text.length} bytes`);
    if (rand() < 0.05) {
      e.abort(); // the peer did not apply it: nothing committed on either side
    } else {
      e.commit();
      d.commit();
      committed = servers;
      decodedOf = seen;
    }
  }
  assert.ok(edits > 300, `lists sent as edits: ${edits}`);
  assert.ok(fresh > 2, `servers sent fresh (tables started over after resets or growth): ${fresh}`);
});
