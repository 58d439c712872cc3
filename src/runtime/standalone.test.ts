import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.js';
import type { StatusUpdate, TranslateOptions, TranslateResult } from '../controller/translate.js';
import type { ApplyResult, DataPlane } from '../dataplane/index.js';
import type * as ir from '../ir/types.js';
import { buildSnapshot, type Snapshot } from '../source/snapshot.js';
import { StandaloneRuntime, toKubeTime, type TranslateFn } from './standalone.js';
import type { ConfigSource, RuntimeIssue, WatchFn } from './types.js';

const gw: KubeObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'gw', namespace: 'infra', generation: 3, creationTimestamp: '2026-01-01T00:00:00Z' },
};

function server(address: string): ir.Server {
  return { name: `infra/gw/${address}:8080`, gateway: 'infra/gw', address, port: 8080, protocol: 'HTTP', listeners: [], streamListeners: [] };
}

/** A source whose answers the test scripts. */
class FakeSource implements ConfigSource {
  changed = true;
  issues: RuntimeIssue[] = [];
  objects: KubeObject[] = [gw];
  loads = 0;
  delayMs = 0;
  async load() {
    this.loads++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const out = { objects: this.objects, issues: this.issues, changed: this.changed };
    this.changed = false;
    return out;
  }
}

class FakeDataPlane implements DataPlane {
  applied: ir.Config[] = [];
  failAddresses = new Set<string>();
  closed = false;
  async apply(config: ir.Config): Promise<ApplyResult> {
    this.applied.push(config);
    const errors = config.servers
      .filter((s) => this.failAddresses.has(s.address))
      .map((s) => ({ server: s.name, address: s.address, port: s.port, code: 'EADDRNOTAVAIL', message: 'cannot bind' }));
    return { errors };
  }
  current(): ir.Config {
    return this.applied.at(-1) ?? { version: 1, servers: [] };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A translate that puts the Gateway on the first usable pool address (or its previous one). */
function fakeTranslate(calls: TranslateOptions[]): TranslateFn {
  return (_snapshot, options): TranslateResult => {
    calls.push(options);
    const prev = options.addresses.assigned['infra/gw']?.[0];
    const addr = prev && options.addresses.isUsable(prev) ? prev : options.addresses.pool.find((ip) => options.addresses.isUsable(ip));
    const programmed = addr !== undefined;
    const status: StatusUpdate = {
      kind: 'Gateway',
      namespace: 'infra',
      name: 'gw',
      generation: 3,
      status: { conditions: [{ type: 'Programmed', status: programmed ? 'True' : 'False', lastTransitionTime: options.now }] },
    };
    return {
      statuses: [status],
      infrastructureStatuses: [status],
      ir: { version: 1, servers: addr ? [server(addr)] : [] },
      assigned: addr ? { 'infra/gw': [addr] } : {},
    };
  };
}

function makeRuntime(extra: { source?: FakeSource; dp?: FakeDataPlane; translate?: TranslateFn; clock?: () => Date; bindRetryMs?: number; watch?: WatchFn } = {}) {
  const calls: TranslateOptions[] = [];
  const merges: { previous: readonly StatusUpdate[]; next: readonly StatusUpdate[] }[] = [];
  const source = extra.source ?? new FakeSource();
  const dp = extra.dp ?? new FakeDataPlane();
  const rt = new StandaloneRuntime({
    source,
    dataPlane: dp,
    translate: extra.translate ?? fakeTranslate(calls),
    mergeTransitionTimes: (previous, next) => {
      merges.push({ previous, next });
      return next;
    },
    controllerName: 'example.com/ctl',
    addressPool: ['127.0.2.1', '127.0.2.2'],
    isUsable: (ip) => ip.startsWith('127.'),
    clock: extra.clock ?? (() => new Date('2026-02-03T04:05:06.789Z')),
    bindRetryMs: extra.bindRetryMs ?? 0,
    ...(extra.watch ? { watch: extra.watch } : {}),
  });
  return { rt, source, dp, calls, merges };
}

test('first pass translates with the options and applies the IR; state and readiness follow', async () => {
  const { rt, dp, calls } = makeRuntime();
  assert.equal(rt.ready, false);
  await rt.start();
  assert.equal(rt.ready, true);
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.controllerName, 'example.com/ctl');
  assert.equal(calls[0]!.now, '2026-02-03T04:05:06Z');
  assert.deepEqual(calls[0]!.addresses.pool, ['127.0.2.1', '127.0.2.2']);
  assert.equal(dp.applied.length, 1);
  const s = rt.snapshot;
  assert.equal(s.version, 1);
  assert.equal(s.ir?.servers[0]?.address, '127.0.2.1');
  assert.equal(s.statusObjects.length, 1);
  assert.deepEqual(s.statusObjects[0]!.metadata, { name: 'gw', namespace: 'infra', generation: 3, creationTimestamp: '2026-01-01T00:00:00Z' });
  assert.equal(s.statusObjects[0]!.apiVersion, 'gateway.networking.k8s.io/v1');
  assert.ok(s.timings && s.timings.loadMs >= 0 && s.timings.translateMs >= 0 && s.timings.applyMs >= 0);
});

test('an unchanged load does not translate or apply again, but refreshes issues', async () => {
  const { rt, source, dp, calls } = makeRuntime();
  await rt.start();
  const issue: RuntimeIssue = { file: 'a.yaml', document: 2, kind: null, name: null, namespace: null, path: 'spec', message: 'bad', severity: 'error' };
  source.issues = [issue];
  await rt.reload();
  assert.equal(calls.length, 1);
  assert.equal(dp.applied.length, 1);
  assert.deepEqual(rt.snapshot.issues, [issue]);
  assert.equal(rt.snapshot.passes, 2);
  assert.equal(rt.snapshot.version, 1);
});

test('bursts of reloads coalesce into one follow-up pass and passes never overlap', async () => {
  const source = new FakeSource();
  source.delayMs = 30;
  let active = 0;
  let maxActive = 0;
  const inner = fakeTranslate([]);
  const { rt } = makeRuntime({
    source,
    translate: (snap, opts) => {
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        return inner(snap, opts);
      } finally {
        active--;
      }
    },
  });
  const first = rt.reload();
  const more = Array.from({ length: 10 }, () => rt.reload());
  await Promise.all([first, ...more]);
  assert.equal(source.loads, 2, 'one pass plus exactly one queued follow-up');
  assert.equal(maxActive, 1);
});

test('a pass that throws keeps the last good IR and records the error', async () => {
  let fail = false;
  const inner = fakeTranslate([]);
  const { rt, source, dp } = makeRuntime({
    translate: (snap, opts) => {
      if (fail) throw new Error('broken invariant');
      return inner(snap, opts);
    },
  });
  await rt.start();
  const good = rt.snapshot.ir;
  fail = true;
  source.changed = true;
  await rt.reload();
  assert.equal(rt.snapshot.ir, good);
  assert.equal(rt.snapshot.version, 1);
  assert.equal(rt.snapshot.lastError, 'broken invariant');
  assert.equal(dp.applied.length, 1);
  fail = false;
  source.changed = true;
  await rt.reload();
  assert.equal(rt.snapshot.version, 2);
  assert.equal(rt.snapshot.lastError, null);
});

test('bind errors are fed back as unusable addresses and translated once more', async () => {
  const dp = new FakeDataPlane();
  dp.failAddresses.add('127.0.2.1');
  const { rt, calls } = makeRuntime({ dp });
  await rt.start();
  assert.equal(calls.length, 2);
  assert.equal(calls[1]!.addresses.isUsable('127.0.2.1'), false);
  assert.equal(calls[1]!.addresses.isUsable('127.0.2.2'), true);
  assert.equal(rt.snapshot.ir?.servers[0]?.address, '127.0.2.2');
  assert.deepEqual(rt.snapshot.applyErrors.map((e) => e.address), ['127.0.2.1'], 'the why stays visible');
  await rt.stop();
});

test('bind errors that persist are reported as applyErrors, with no further retries', async () => {
  const dp = new FakeDataPlane();
  dp.failAddresses.add('127.0.2.1');
  dp.failAddresses.add('127.0.2.2');
  const { rt, calls } = makeRuntime({ dp });
  await rt.start();
  assert.equal(calls.length, 2);
  assert.deepEqual(rt.snapshot.applyErrors.map((e) => e.address), ['127.0.2.1', '127.0.2.2']);
  await rt.stop();
});

test('after bind failures a full pass runs again later, even with nothing changed', async () => {
  const dp = new FakeDataPlane();
  dp.failAddresses.add('127.0.2.1');
  dp.failAddresses.add('127.0.2.2');
  const { rt, calls } = makeRuntime({ dp, bindRetryMs: 20 });
  await rt.start();
  assert.equal(rt.snapshot.applyErrors.length, 2);
  dp.failAddresses.clear();
  const deadline = Date.now() + 2000;
  while (rt.snapshot.version < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(rt.snapshot.version, 2);
  assert.equal(calls.length, 3);
  assert.deepEqual(rt.snapshot.applyErrors, []);
  assert.equal(rt.snapshot.ir?.servers[0]?.address, '127.0.2.2', 'kept its assigned address');
  await rt.stop();
});

test('assigned addresses and previous statuses are carried into the next pass', async () => {
  const { rt, source, calls, merges } = makeRuntime();
  await rt.start();
  const first = rt.snapshot.statuses; // read: merged now
  source.changed = true;
  await rt.reload();
  assert.deepEqual(calls[1]!.addresses.assigned, { 'infra/gw': ['127.0.2.1'] });
  assert.equal(merges.length, 1, 'statuses are merged when read, not in the pass');
  void rt.snapshot;
  assert.equal(merges.length, 2);
  assert.equal(merges[1]!.previous, first);
});

test('statuses of passes nobody read are skipped: the next read merges with the last read ones', async () => {
  const { rt, source, merges } = makeRuntime();
  await rt.start();
  const first = rt.snapshot.statuses;
  for (let i = 0; i < 3; i++) {
    source.changed = true;
    await rt.reload();
  }
  assert.equal(merges.length, 1);
  assert.equal(rt.snapshot.version, 4);
  assert.equal(merges.length, 2);
  assert.equal(merges[1]!.previous, first);
  void rt.snapshot; // nothing new: no merge
  assert.equal(merges.length, 2);
});

test('stop closes the data plane and further reloads do nothing', async () => {
  const { rt, dp, source } = makeRuntime();
  await rt.start();
  await rt.stop(10);
  assert.equal(dp.closed, true);
  const loads = source.loads;
  await rt.reload();
  assert.equal(source.loads, loads);
});

test('toKubeTime drops milliseconds', () => {
  assert.equal(toKubeTime(new Date('2026-01-01T00:00:00.999Z')), '2026-01-01T00:00:00Z');
});

test('files that change while a pass is loading join that pass', async () => {
  const seen: (string[] | null)[] = [];
  let release: (() => void) | null = null;
  const source: ConfigSource = {
    async load(changed) {
      seen.push(changed ? [...changed] : null);
      if (changed?.has('big.yaml')) await new Promise<void>((r) => (release = r));
      return { objects: [gw], issues: [], changed: changed === null || changed === undefined || changed.size > 0 };
    },
  };
  const { rt, calls } = makeRuntime({ source: source as FakeSource });
  await rt.start();
  const big = rt.reload(new Set(['big.yaml']));
  while (release === null) await new Promise((r) => setImmediate(r));
  const small = rt.reload(new Set(['small.yaml'])); // arrives while big.yaml is loading
  (release as () => void)();
  await big;
  await small;
  assert.deepEqual(seen.slice(1, 3), [['big.yaml'], ['small.yaml']], 'the same pass loaded small.yaml');
  assert.deepEqual(seen.slice(3), [[]], 'the follow-up pass had nothing left to read');
  assert.equal(calls.length, 2, 'one translate for both');
});

test('a source that hands out its snapshot: passes translate it and read the objects only for the state', async () => {
  let objectReads = 0;
  let release: (() => void) | null = null;
  const loadOf = (changed: boolean, objects: KubeObject[]) => {
    const snapshot = buildSnapshot(objects); // a snapshot object of its own: translate must get this one
    return {
      get objects(): KubeObject[] {
        objectReads++;
        return objects;
      },
      issues: [],
      changed,
      snapshot,
      count: objects.length,
    };
  };
  const gw2: KubeObject = { ...gw, metadata: { ...gw.metadata, name: 'gw2' } };
  const handed: Snapshot[] = [];
  const source: ConfigSource = {
    async load(changed) {
      if (changed?.has('big.yaml')) await new Promise<void>((r) => (release = r));
      const load = loadOf(changed === null || changed === undefined || changed.has('big.yaml'), changed?.has('small.yaml') ? [gw, gw2] : [gw]);
      handed.push(load.snapshot);
      return load;
    },
  };
  const seen: Snapshot[] = [];
  const calls: TranslateOptions[] = [];
  const inner = fakeTranslate(calls);
  const { rt } = makeRuntime({ source: source as FakeSource, translate: (snapshot, options) => (seen.push(snapshot), inner(snapshot, options)) });
  await rt.start();
  assert.deepEqual(seen, [handed[0]], 'the snapshot the source handed out');
  assert.equal(objectReads, 0, 'a pass does not read the objects');
  assert.deepEqual(rt.snapshot.objects, [gw]);
  assert.equal(objectReads, 1, 'reading the state takes them');
  // A late join whose load found nothing new (changed: false) after one that did: the pass
  // translates the late load's snapshot, still without reading the objects.
  const big = rt.reload(new Set(['big.yaml']));
  while (release === null) await new Promise((r) => setImmediate(r));
  const small = rt.reload(new Set(['small.yaml']));
  (release as () => void)();
  await big;
  await small;
  assert.equal(seen.length, 2);
  assert.equal(seen[1], handed[2], "the late load's snapshot");
  assert.equal(objectReads, 1);
  assert.deepEqual(rt.snapshot.objects, [gw, gw2]);
  assert.equal(rt.snapshot.version, 2);
});

test('files that change while a pass is translating join it before the apply', async () => {
  const seen: string[][] = [];
  const source: ConfigSource = {
    async load(changed) {
      seen.push(changed ? [...changed] : ['*']);
      return { objects: [gw], issues: [], changed: changed === null || changed === undefined || changed.size > 0 };
    },
  };
  const calls: TranslateOptions[] = [];
  const inner = fakeTranslate(calls);
  let late: Promise<void> | null = null;
  let rtRef: StandaloneRuntime | null = null;
  const { rt, dp } = makeRuntime({
    source: source as FakeSource,
    translate: (snap, opts) => {
      if (calls.length === 1 && late === null) late = rtRef!.reload(new Set(['late.yaml'])); // lands mid-pass
      return inner(snap, opts);
    },
  });
  rtRef = rt;
  await rt.start();
  await rt.reload(new Set(['first.yaml']));
  await late;
  assert.deepEqual(seen.slice(1, 3), [['first.yaml'], ['late.yaml']], 'late.yaml was read by the same pass');
  assert.equal(calls.length, 3, 'translated again within that pass');
  assert.equal(dp.applied.length, 2, 'one apply for both');
});

/**
 * A watcher that never reports by itself: `hold(paths)` is what it has seen and not yet
 * reported; only a flush hands it over. `seen` records what each load was asked to read.
 */
function holdingWatcher(): { watch: WatchFn; hold(paths: string[]): void; source: ConfigSource; seen: string[][] } {
  let held: Set<string> | null = null;
  const seen: string[][] = [];
  return {
    seen,
    hold: (paths) => {
      held = new Set(paths);
    },
    watch: (onChange) => ({
      close() {},
      flush() {
        const h = held;
        held = null;
        if (h !== null) onChange(h);
      },
    }),
    source: {
      async load(changed) {
        seen.push(changed ? [...changed] : ['*']);
        return { objects: [gw], issues: [], changed: changed === null || changed === undefined || changed.size > 0 };
      },
    },
  };
}

test('a change the watcher still holds in its coalescing window joins the running pass', async () => {
  const w = holdingWatcher();
  const load = w.source.load.bind(w.source);
  const source: ConfigSource = {
    async load(changed) {
      if (changed?.has('big.yaml')) w.hold(['small.yaml']); // seen meanwhile, not yet reported
      return load(changed);
    },
  };
  const { rt, dp } = makeRuntime({ source: source as FakeSource, watch: w.watch });
  await rt.start();
  await rt.reload(new Set(['big.yaml']));
  assert.deepEqual(w.seen.slice(1, 3), [['big.yaml'], ['small.yaml']], 'the pass asked the watcher and read small.yaml');
  assert.equal(dp.applied.length, 2, 'one apply for both');
});

test('a change the watcher still holds when a pass ends starts the next pass at once', async () => {
  const w = holdingWatcher();
  const dp = new FakeDataPlane();
  const apply = dp.apply.bind(dp);
  dp.apply = async (config) => {
    if (dp.applied.length === 1) w.hold(['during-apply.yaml']); // seen while the second pass applies
    return apply(config);
  };
  const { rt } = makeRuntime({ source: w.source as FakeSource, dp, watch: w.watch });
  await rt.start();
  await rt.reload(new Set(['first.yaml']));
  assert.deepEqual(w.seen.slice(1), [['first.yaml'], ['during-apply.yaml']], 'the next pass read what the watcher held');
  assert.equal(dp.applied.length, 3);
});
