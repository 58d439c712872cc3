/**
 * TranslateCache equivalence: translate() with a cache must give exactly the result without
 * one. Every golden controller case is run through a seeded random sequence of edits (route
 * edits, removals and re-additions of the very same object, non-route objects replaced by
 * copies or changed), comparing cached and uncached output after each step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../api/types.js';
import type * as ir from '../ir/types.js';
import { buildSnapshot, updateSnapshot, type Snapshot } from '../source/snapshot.js';
import { assertAlignsValidly } from '../../test/support/assert-diff.js';
import { loadText } from '../source/file/load.js';
import { translate, type TranslateOptions } from './translate.js';
import { TranslateCache } from './translate-cache.js';
import { prng } from '../../test/support/prng.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '../../test/golden/controller');
const ROUTE_KINDS = new Set(['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute']);
const INFRASTRUCTURE = new Set(['GatewayClass', 'Gateway', 'ListenerSet']);

function options(cache?: TranslateCache): TranslateOptions {
  const base = {
    controllerName: 'waygate.dev/gateway-controller',
    now: '2026-01-01T00:00:00Z',
    addresses: { pool: ['127.0.1.1', '127.0.1.2'], assigned: {}, isUsable: (ip: string) => ip.startsWith('127.') || ip === '::1' },
  };
  return cache ? { ...base, cache } : base;
}

function load(file: string): KubeObject[] {
  return loadText(file, readFileSync(join(GOLDEN, file), 'utf8')).objects.map((lo) => lo.object);
}

type Json = Record<string, unknown>;

/** A deep copy with one random structural edit (or none: same content, new object). */
function editRoute(route: KubeObject, rnd: () => number): KubeObject {
  const copy = structuredClone(route) as KubeObject & { spec?: Json };
  const spec = (copy.spec ??= {});
  const rules = spec['rules'] as Json[] | undefined;
  switch (Math.floor(rnd() * 6)) {
    case 0:
      spec['hostnames'] = rnd() < 0.5 ? ['edited.example.com'] : [];
      break;
    case 1:
      if (rules && rules.length > 1) rules.reverse();
      break;
    case 2:
      if (rules && rules.length > 0) rules.pop();
      break;
    case 3: {
      const ref = (rules?.[0]?.['backendRefs'] as Json[] | undefined)?.[0];
      if (ref) ref['port'] = ref['port'] === 8080 ? 80 : 8080;
      break;
    }
    case 4: {
      const parent = (spec['parentRefs'] as Json[] | undefined)?.[0];
      if (parent) parent['sectionName'] = parent['sectionName'] === undefined ? 'http' : undefined;
      break;
    }
    default:
      break; // content unchanged, new object
  }
  return copy;
}

/** A copy of a non-route object, sometimes changed (a Service port, a label, a hostname). */
function editOther(obj: KubeObject, rnd: () => number): KubeObject {
  const copy = structuredClone(obj) as KubeObject & { spec?: Json };
  if (rnd() < 0.5) return copy;
  const labels = (copy.metadata.labels ??= {});
  labels['edited'] = String(Math.floor(rnd() * 3));
  const ports = copy.spec?.['ports'] as Json[] | undefined;
  if (ports?.[0]) ports[0]['port'] = (ports[0]['port'] as number) + 1;
  const listeners = copy.spec?.['listeners'] as Json[] | undefined;
  if (listeners?.[0]) listeners[0]['hostname'] = rnd() < 0.5 ? '*.example.com' : 'other.example.com';
  return copy;
}

const cases = readdirSync(GOLDEN).filter((f) => f.endsWith('.in.yaml')).sort();

test('golden cases: cached translate equals uncached along random edit sequences', () => {
  assert.ok(cases.length > 50, 'golden inputs found');
  const base = load('base.yaml');
  const shared = new TranslateCache(); // also carried across cases: everything changes between them
  let steps = 0;
  let splices = 0;
  cases.forEach((file, n) => {
    const rnd = prng(n + 1);
    let objects = [...base, ...load(file)];
    const removed: KubeObject[] = [];
    const cache = new TranslateCache();
    let snapshot: Snapshot | null = null;
    let previous: KubeObject[] = [];
    let lastListeners = new Map<string, ir.Listener>();
    for (let step = 0; step < 12; step++) {
      const routes = objects.filter((o) => ROUTE_KINDS.has(o.kind));
      const others = objects.filter((o) => !ROUTE_KINDS.has(o.kind));
      const r = rnd();
      if (r < 0.45 && routes.length > 0) {
        const victim = routes[Math.floor(rnd() * routes.length)]!;
        objects = objects.map((o) => (o === victim ? editRoute(victim, rnd) : o));
      } else if (r < 0.6 && routes.length > 0) {
        const victim = routes[Math.floor(rnd() * routes.length)]!;
        removed.push(victim);
        objects = objects.filter((o) => o !== victim);
      } else if (r < 0.75 && removed.length > 0) {
        objects = [...objects, removed.pop()!]; // the very same object comes back
      } else if (r < 0.9 && others.length > 0) {
        const victim = others[Math.floor(rnd() * others.length)]!;
        objects = rnd() < 0.8 ? objects.map((o) => (o === victim ? editOther(victim, rnd) : o)) : objects.filter((o) => o !== victim);
      }
      // As the Kubernetes controller makes it: spliced from the previous one (whose edits the
      // splice records for the route placements, ir/identity-diff.ts).
      const prevSet = new Set(previous);
      const nextSet = new Set(objects);
      const spliced: Snapshot | null = snapshot === null ? null : updateSnapshot(snapshot, objects, previous.filter((o) => !nextSet.has(o)), objects.filter((o) => !prevSet.has(o)));
      const current: Snapshot = spliced ?? buildSnapshot(objects);
      snapshot = current;
      previous = objects;
      if (spliced !== null) splices++;
      const expected = translate(current, options());
      const cached = translate(current, options(cache));
      assert.deepEqual(cached, expected, `${file} step ${step}`);
      // The provisioner's statuses lead `statuses`, the very same objects, read first or after.
      expected.infrastructureStatuses.forEach((st, i) => assert.equal(expected.statuses[i], st));
      cached.infrastructureStatuses.forEach((st, i) => assert.equal(cached.statuses[i], st));
      assert.equal(expected.infrastructureStatuses.length, expected.statuses.filter((st) => INFRASTRUCTURE.has(st.kind)).length);
      assert.deepEqual(translate(current, options(shared)), expected, `${file} step ${step} (shared cache)`);
      // The virtual-host update records the edits of each listener's IR lists for the config
      // stream's encoder; they must line the lists up exactly.
      for (const server of cached.ir.servers) {
        for (const listener of server.listeners) {
          const before = lastListeners.get(listener.name);
          if (before === undefined) continue;
          assertAlignsValidly(before.rules, listener.rules, `${file} step ${step} ${listener.name} rules`);
          assertAlignsValidly(before.virtualHosts, listener.virtualHosts, `${file} step ${step} ${listener.name} virtual hosts`);
        }
      }
      lastListeners = new Map(cached.ir.servers.flatMap((s) => s.listeners.map((l) => [l.name, l] as const)));
      steps++;
    }
  });
  assert.ok(shared.stats.hits > 0 && shared.stats.misses > 0, 'the cache was exercised');
  assert.ok(shared.placementUpdates > 100, `placements updated, not placed again: ${shared.placementUpdates}`);
  assert.ok(steps >= cases.length * 12);
  assert.ok(splices > steps / 2, `snapshots spliced: ${splices} of ${steps}`);
});

test('unchanged routes are reused; a non-route change drops every entry', () => {
  const objects = [...load('base.yaml'), ...load('httproute-allowed-selector.in.yaml')];
  const routes = objects.filter((o) => o.kind === 'HTTPRoute').length;
  assert.ok(routes > 0);
  const cache = new TranslateCache();
  translate(buildSnapshot(objects), options(cache));
  assert.deepEqual(cache.stats, { hits: 0, misses: routes });
  translate(buildSnapshot(objects), options(cache));
  assert.deepEqual(cache.stats, { hits: routes, misses: routes });
  const gw = objects.findIndex((o) => o.kind === 'Gateway');
  const changed = objects.map((o, i) => (i === gw ? structuredClone(o) : o));
  translate(buildSnapshot(changed), options(cache));
  assert.deepEqual(cache.stats, { hits: routes, misses: 2 * routes });
});

test('unchanged servers are the previous objects; a changed one is new', () => {
  const objects = [...load('base.yaml'), ...load('httproute-allowed-selector.in.yaml')];
  const cache = new TranslateCache();
  const first = translate(buildSnapshot(objects), options(cache)).ir.servers;
  assert.ok(first.length > 0);
  const again = translate(buildSnapshot(objects), options(cache)).ir.servers;
  again.forEach((s, i) => assert.equal(s, first[i]));
  const route = objects.findIndex((o) => o.kind === 'HTTPRoute');
  const edited = structuredClone(objects[route]!) as KubeObject & { spec: { hostnames?: string[] } };
  edited.spec.hostnames = ['changed.example.com'];
  const changed = translate(buildSnapshot(objects.map((o, i) => (i === route ? edited : o))), options(cache)).ir.servers;
  assert.ok(changed.some((s, i) => s !== first[i]), 'a server changed');
});

test('a reused route keeps the status first rendered, also at a later now; other statuses take the new now', () => {
  const objects = [...load('base.yaml'), ...load('httproute-allowed-selector.in.yaml')];
  const cache = new TranslateCache();
  const at = (now: string) => translate(buildSnapshot(objects), { ...options(cache), now }).statuses;
  const first = at('2026-01-01T00:00:00Z');
  const later = at('2026-01-01T00:00:07Z');
  const times = (s: { status: Json }): string[] => JSON.stringify(s.status).match(/"lastTransitionTime":"[^"]+"/g) ?? [];
  const routes = later.filter((s) => ROUTE_KINDS.has(s.kind));
  assert.ok(routes.length > 0 && later.some((s) => s.kind === 'Gateway'));
  for (const s of later) {
    const before = first.find((f) => f.kind === s.kind && f.namespace === s.namespace && f.name === s.name)!;
    if (ROUTE_KINDS.has(s.kind)) {
      assert.equal(s, before, `${s.kind} ${s.name}: the very status rendered first`);
      assert.ok(times(s).every((t) => t.includes('00:00:00Z')));
    } else {
      assert.ok(times(s).length > 0 && times(s).every((t) => t.includes('00:00:07Z')), `${s.kind} ${s.name} stamped at the new now`);
    }
  }
  // An edited route is a new node: its status is rendered at the pass's now.
  const route = objects.findIndex((o) => o.kind === 'HTTPRoute');
  const edited = { ...structuredClone(objects[route]!), metadata: { ...objects[route]!.metadata, generation: 2 } } as KubeObject;
  const after = translate(buildSnapshot(objects.map((o, i) => (i === route ? edited : o))), { ...options(cache), now: '2026-01-01T00:00:09Z' }).statuses;
  const mine = after.find((s) => s.kind === 'HTTPRoute' && s.name === edited.metadata.name)!;
  assert.ok(times(mine).length > 0 && times(mine).every((t) => t.includes('00:00:09Z')));
});
