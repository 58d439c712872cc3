import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as ir from '../../ir/types.js';
import { arrayChanges } from './array-changes.js';
import { CompileCache, compileServer } from './compile.js';
import { HostTableEdit, buildHostTable, hostTableEntries, lookupHost, normalizeHost } from './host-table.js';
import type { CompiledServer, HostTable } from './types.js';
import { directRule } from './router.fixtures.js';
import { poolKey } from '../upstream/pools.js';

/** A small deterministic generator (the same sequences on every run). */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => ((s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff) >>> 16) % n;
}

const NAMES = [
  'a.example.com', 'b.example.com', 'x.a.example.com', 'A.Example.com', 'c.example.com.', '*.example.com', '*.a.example.com',
  '*.com', '*', 'other.net', '*.net', ...Array.from({ length: 30 }, (_, i) => `h${i}.example.org`),
];
const PROBES = [
  ...NAMES.filter((n) => !n.startsWith('*')).map(normalizeHost),
  'y.a.example.com', 'z.example.com', 'deep.x.a.example.com', 'example.com', 'q.net', 'unknown.org', 'h3.example.org', 'h99.example.org', '',
];

test('array changes: next is prev minus removed plus added, as multisets', () => {
  const rnd = random(3);
  const pool = Array.from({ length: 12 }, (_, i) => ({ i }));
  const count = (xs: readonly object[]): Map<object, number> => {
    const m = new Map<object, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };
  let nulls = 0;
  for (let step = 0; step < 2000; step++) {
    const prev = Array.from({ length: rnd(15) }, () => pool[rnd(pool.length)]!);
    const next = [...prev];
    for (let k = rnd(4); k > 0; k--) {
      const op = rnd(4);
      const at = rnd(next.length + 1);
      if (op === 0 && at < next.length) next[at] = pool[rnd(pool.length)]!;
      else if (op === 1) next.splice(at, 0, pool[rnd(pool.length)]!);
      else if (op === 2) next.splice(at, 1);
      else next.push(pool[rnd(pool.length)]!);
    }
    const c = arrayChanges(prev, next, 3);
    if (c === null) {
      nulls++;
      continue;
    }
    assert.ok(c.removed.length <= 3 && c.added.length <= 3);
    const want = count(prev);
    for (const x of c.removed) want.set(x, want.get(x)! - 1);
    for (const x of c.added) want.set(x, (want.get(x) ?? 0) + 1);
    for (const [x, n] of [...want]) if (n === 0) want.delete(x);
    assert.deepEqual(want, count(next), `step ${step}`);
    for (let i = 0; i < c.same; i++) assert.equal(prev[i], next[i]);
    for (let i = c.sameFrom; i < prev.length; i++) assert.equal(prev[i], next[i]);
    assert.equal(c.appendOnly, prev.every((x, i) => next[i] === x));
  }
  assert.ok(nulls > 0, 'some changes are too many to list');
});

test('host table edits answer every lookup like a table built from scratch, and leave the old table alone', () => {
  const rnd = random(11);
  let items: { hostname: string | null; value: number }[] = [];
  let table: HostTable<number> = buildHostTable(items);
  let serial = 0;
  const kept: { table: HostTable<number>; entries: [string, number][] }[] = [];
  let withRecent = 0;
  let folds = 0;
  for (let step = 0; step < 1500; step++) {
    const edit = new HostTableEdit(table);
    for (let k = rnd(10) === 0 ? 40 : 1 + rnd(3); k > 0; k--) {
      const op = rnd(3);
      const at = rnd(items.length + 1);
      if (op === 0 && at < items.length) {
        edit.delete(items[at]!.hostname);
        items.splice(at, 1);
        continue;
      }
      const hostname = rnd(20) === 0 ? null : NAMES[rnd(NAMES.length)]!;
      const value = serial++;
      const i = items.findIndex((x) => (x.hostname === null ? '*' : normalizeHost(x.hostname)) === (hostname === null ? '*' : normalizeHost(hostname)));
      assert.equal(edit.get(hostname), i === -1 ? undefined : items[i]!.value, 'get sees earlier edits');
      if (i === -1) items.push({ hostname, value });
      else items[i] = { hostname, value };
      edit.set(hostname, value);
    }
    const next = edit.finish();
    if (next.recent !== null) withRecent++;
    if (next.exact !== table.exact) folds++;
    table = next;
    const fresh = buildHostTable(items);
    assert.deepEqual(hostTableEntries(table), hostTableEntries(fresh), `step ${step}`);
    for (const p of PROBES) assert.equal(lookupHost(table, p), lookupHost(fresh, p), `step ${step}: ${p}`);
    if (step % 50 === 0) kept.push({ table, entries: hostTableEntries(table) });
  }
  for (const k of kept) assert.deepEqual(hostTableEntries(k.table), k.entries, 'an edit leaves the table it started from as it was');
  assert.ok(withRecent > 100 && folds > 10, `both kinds of edit happen (recent ${withRecent}, folds ${folds})`);
});

/** What a compiled server answers, in a form deepEqual can compare whatever edits built it. */
function answers(s: CompiledServer): unknown {
  const listeners = hostTableEntries(s.listeners).map(([name, l]) => ({
    name,
    listener: l.name,
    hostname: l.hostname,
    endpoints: [...l.endpoints].sort(),
    vhosts: hostTableEntries(l.vhosts),
  }));
  const lookups = PROBES.map((p) => {
    const l = lookupHost(s.listeners, p);
    return [p, l?.name ?? null, l === null ? null : lookupHost(l.vhosts, p)];
  });
  return { listeners, lookups };
}

// Random sequences of virtual host and rule replacements, additions, removals and moves (and
// now and then a burst too big to edit, a repeated hostname, an entry pointing past the rules):
// the cached compile, which edits each listener's last compile, must answer exactly as a
// compile from scratch, throw when it throws, and take both the edit and the rebuild path.
test('compile cache: listeners edited from the last compile equal a compile from scratch', () => {
  const rnd = random(5);
  let serial = 0;
  const endpoints: ir.Endpoint[][] = [[{ address: '10.0.0.1', port: 80 }], [{ address: '10.0.0.2', port: 80 }, { address: '10.0.0.3', port: 81 }], []];
  const tls: ir.BackendTLS = { serverName: 'b.internal', caPems: 'system', subjectAltNames: [], clientCertificate: null };
  const backend = (): ir.Backend => ({
    kind: 'service',
    name: `ns/svc${rnd(3)}:80`,
    weight: 1,
    protocol: 'http1',
    tls: rnd(4) === 0 ? tls : null,
    endpoints: endpoints[rnd(endpoints.length)]!,
    requestFilters: [],
    redirect: null,
    responseHeaders: null,
  });
  const rule = (): ir.Rule => ({
    name: `httproute/ns/r${serial}/rule/0`,
    kind: rnd(6) === 0 ? 'GRPCRoute' : 'HTTPRoute',
    route: `ns/r${serial++}`,
    sectionName: null,
    requestFilters: [],
    responseHeaders: null,
    cors: null,
    mirrors: rnd(5) === 0 ? [{ backend: backend(), fraction: 1 }] : [],
    action: rnd(6) === 0 ? { kind: 'direct', status: 500 } : { kind: 'forward', backends: [backend()] },
    timeouts: { requestMs: null, backendRequestMs: null },
    retry: null,
  });
  const PATHS = ['/', '/a', '/a/b', '/c'];
  const vhost = (hostname: string, rules: number): ir.VirtualHost => ({
    hostname,
    entries: Array.from({ length: 1 + rnd(3) }, () => ({
      // Now and then an index past the rules: both compiles must throw.
      rule: rnd(150) === 0 ? rules + 3 : rnd(rules),
      match: { path: { type: 'PathPrefix', value: PATHS[rnd(PATHS.length)]! }, method: null, headers: [], queryParams: [] },
    })),
  });
  const freshName = (vhs: readonly ir.VirtualHost[]): string => {
    // Mostly a name not used yet; sometimes any name (a repeat: the first one wins).
    if (rnd(8) === 0) return NAMES[rnd(NAMES.length)]!;
    const used = new Set(vhs.map((v) => normalizeHost(v.hostname)));
    const free = NAMES.filter((n) => !used.has(normalizeHost(n)));
    return free.length > 0 ? free[rnd(free.length)]! : `n${serial++}.example.org`;
  };
  type L = { name: string; hostname: string | null; rules: ir.Rule[]; vhosts: ir.VirtualHost[] };
  const ls: L[] = [
    { name: 'ns/gw/http', hostname: null, rules: [], vhosts: [] },
    { name: 'ns/gw/wild', hostname: '*.example.com', rules: [], vhosts: [] },
  ];
  for (const l of ls) {
    l.rules = Array.from({ length: 30 }, rule);
    l.vhosts = Array.from({ length: 12 }, () => vhost(freshName(l.vhosts), l.rules.length));
  }
  const server = (): ir.Server => ({
    name: 'ns/gw/127.0.0.1:80',
    gateway: 'ns/gw',
    address: '127.0.0.1',
    port: 80,
    protocol: 'HTTP',
    listeners: ls.map((l) => ({ name: l.name, hostname: l.hostname, port: 80, scheme: 'http', tls: null, rules: l.rules, virtualHosts: l.vhosts })),
    streamListeners: [],
  });

  const cache = new CompileCache();
  let prev: { compiled: CompiledServer; answers: unknown } | null = null;
  let edited = 0;
  let rebuilt = 0;
  let threw = 0;
  for (let step = 0; step < 600; step++) {
    const burst = rnd(25) === 0;
    for (let k = burst ? 40 : rnd(4); k > 0; k--) {
      const l = ls[rnd(3) === 0 ? 1 : 0]!;
      const rules = [...l.rules];
      const vhosts = [...l.vhosts];
      const v = rnd(Math.max(vhosts.length, 1));
      const r = rnd(rules.length);
      switch (rnd(11)) {
        case 0: // a virtual host replaced: same name, new entries
          if (vhosts[v] !== undefined) vhosts[v] = vhost(vhosts[v]!.hostname, rules.length);
          break;
        case 1:
          vhosts.push(vhost(freshName(vhosts), rules.length));
          break;
        case 2:
          vhosts.splice(v, 0, vhost(freshName(vhosts), rules.length));
          break;
        case 3:
          if (vhosts.length > 3) vhosts.splice(v, 1);
          break;
        case 4: // two virtual hosts trade places
          if (vhosts.length > 1) [vhosts[v], vhosts[0]] = [vhosts[0]!, vhosts[v]!];
          break;
        case 5: // a rule replaced in place: virtual hosts pointing at it now see the new one
          rules[r] = rule();
          break;
        case 6:
          rules.push(rule());
          break;
        case 7: // a rule removed: later indices shift under the virtual hosts that stay
          if (rules.length > 5) {
            rules.splice(r, 1);
            for (let i = 0; i < vhosts.length; i++) {
              const vh = vhosts[i]!;
              if (vh.entries.some((e) => e.rule >= rules.length)) vhosts[i] = { hostname: vh.hostname, entries: vh.entries.map((e) => ({ ...e, rule: e.rule % rules.length })) };
            }
          }
          break;
        case 8: // two rules trade places
          [rules[r], rules[0]] = [rules[0]!, rules[r]!];
          break;
        case 9: // a rule moved to the end
          rules.push(rules.splice(r, 1)[0]!);
          break;
        default:
          break;
      }
      l.rules = rules;
      l.vhosts = vhosts;
    }
    const s = server();
    let fresh: CompiledServer | Error;
    let cached: CompiledServer | Error;
    try {
      fresh = compileServer(s);
    } catch (err) {
      fresh = err as Error;
    }
    try {
      cached = compileServer(s, cache);
    } catch (err) {
      cached = err as Error;
    }
    if (fresh instanceof Error || cached instanceof Error) {
      assert.ok(fresh instanceof Error && cached instanceof Error, `step ${step}: both throw or neither (${String(fresh)} / ${String(cached)})`);
      assert.equal(cached.message, fresh.message);
      threw++;
      // Put the bad entries right so the sequence goes on.
      for (const l of ls) l.vhosts = l.vhosts.map((vh) => (vh.entries.some((e) => e.rule >= l.rules.length) ? { hostname: vh.hostname, entries: vh.entries.map((e) => ({ ...e, rule: e.rule % l.rules.length })) } : vh));
      continue;
    }
    assert.deepEqual(answers(cached), answers(fresh), `step ${step}`);
    if (prev !== null) {
      const before = hostTableEntries(prev.compiled.listeners)[0]![1].vhosts;
      const after = hostTableEntries(cached.listeners)[0]![1].vhosts;
      if (before.exact === after.exact) edited++;
      else rebuilt++;
      assert.deepEqual(answers(prev.compiled), prev.answers, `step ${step}: the previous compile is left as it was`);
    }
    prev = { compiled: cached, answers: answers(cached) };
  }
  assert.ok(edited > 100 && rebuilt > 10 && threw > 3, `edited ${edited}, rebuilt ${rebuilt}, threw ${threw}`);
  assert.ok(cache.edits > 100, `listener compiles that were edits: ${cache.edits}`);
});

test('compile cache: an unchanged virtual host keeps its compiled object when a route is added elsewhere', () => {
  const rule = (name: string): ir.Rule => directRule(name);
  const match: ir.Match = { path: { type: 'PathPrefix', value: '/' }, method: null, headers: [], queryParams: [] };
  const rules = Array.from({ length: 50 }, (_, i) => rule(`r${i}`));
  const vhosts: ir.VirtualHost[] = rules.map((_, i) => ({ hostname: `h${i}.test`, entries: [{ rule: i, match }] }));
  const server = (rs: ir.Rule[], vhs: ir.VirtualHost[]): ir.Server => ({
    name: 's',
    gateway: 'ns/gw',
    address: '127.0.0.1',
    port: 80,
    protocol: 'HTTP',
    listeners: [{ name: 'ns/gw/http', hostname: null, port: 80, scheme: 'http', tls: null, rules: rs, virtualHosts: vhs }],
    streamListeners: [],
  });
  const cache = new CompileCache();
  const first = lookupHost(compileServer(server(rules, vhosts), cache).listeners, 'x')!;
  const added = rule('new');
  const second = lookupHost(compileServer(server([...rules, added], [...vhosts, { hostname: 'new.test', entries: [{ rule: 50, match }] }]), cache).listeners, 'x')!;
  assert.equal(second.vhosts.exact, first.vhosts.exact, 'the exact map is shared, the new name is in `recent`');
  assert.equal(lookupHost(second.vhosts, 'h7.test'), lookupHost(first.vhosts, 'h7.test'));
  assert.equal(lookupHost(second.vhosts, 'new.test')!.entries[0]!.rule.name, 'new');
  assert.equal(lookupHost(first.vhosts, 'new.test'), null, 'the first table does not see the new name');
});

// The data plane closes the upstream pools no listener's `endpoints` names (data-plane.ts): a
// key counted wrong keeps a dead pool open or, worse, closes one still in use.
test('compile cache: a listener counts the pool keys of its rules (backends and mirrors), and an edit keeps the counts', () => {
  const tls: ir.BackendTLS = { serverName: 'b.internal', caPems: 'system', subjectAltNames: [], clientCertificate: null };
  const service = (addresses: string[], backendTls: ir.BackendTLS | null = null): ir.Backend => ({
    kind: 'service',
    name: 'ns/svc:80',
    weight: 1,
    protocol: 'http1',
    tls: backendTls,
    endpoints: addresses.map((address) => ({ address, port: 80 })),
    requestFilters: [],
    redirect: null,
    responseHeaders: null,
  });
  const forward = (name: string, backends: ir.Backend[], mirrors: ir.Backend[] = []): ir.Rule => ({
    ...directRule(name),
    action: { kind: 'forward', backends },
    mirrors: mirrors.map((backend) => ({ backend, fraction: 1 })),
  });
  const a = forward('a', [service(['10.0.0.1', '10.0.0.2'])], [service(['10.0.0.9'])]);
  const b = forward('b', [service(['10.0.0.2']), service(['10.0.0.3'], tls)]);
  const c = directRule('c');
  const server = (rules: ir.Rule[]): ir.Server => ({
    name: 's',
    gateway: 'ns/gw',
    address: '127.0.0.1',
    port: 80,
    protocol: 'HTTP',
    listeners: [{ name: 'ns/gw/http', hostname: null, port: 80, scheme: 'http', tls: null, rules, virtualHosts: [] }],
    streamListeners: [],
  });
  const cache = new CompileCache();
  const endpointsOf = (rules: ir.Rule[]): [string, number][] => [...lookupHost(compileServer(server(rules), cache).listeners, 'x')!.endpoints].sort();
  const tlsKey = poolKey({ address: '10.0.0.3', port: 80 }, tls);
  assert.ok(tlsKey !== '10.0.0.3:80', 'a TLS backend has a pool of its own');
  assert.deepEqual(endpointsOf([a, b, c]), [['10.0.0.1:80', 1], ['10.0.0.2:80', 2], [tlsKey, 1], ['10.0.0.9:80', 1]].sort());
  const before = cache.edits;
  assert.deepEqual(endpointsOf([b, c]), [['10.0.0.2:80', 1], [tlsKey, 1]].sort(), 'a removed rule takes its keys along');
  assert.deepEqual(endpointsOf([b, c, a]), [['10.0.0.1:80', 1], ['10.0.0.2:80', 2], [tlsKey, 1], ['10.0.0.9:80', 1]].sort());
  assert.equal(cache.edits, before + 2, 'both were edits of the last compile');
});
