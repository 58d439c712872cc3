import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchDirectory, type DirectoryWatch } from './watch.js';

let dir = '';
let w: DirectoryWatch | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'waygate-watch-'));
});
afterEach(() => {
  w?.close();
  w = null;
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a watch and returns a function waiting (bounded) for the next change notification. */
async function start(opts: { rescanMs?: number } = {}): Promise<{ next: (limitMs: number) => Promise<number>; count: () => number }> {
  let calls = 0;
  let waiter: (() => void) | null = null;
  w = watchDirectory(dir, () => {
    calls += 1;
    waiter?.();
  }, { debounceMs: 10, rescanMs: opts.rescanMs ?? 0 });
  await sleep(50); // let the recursive watcher finish setting up
  return {
    count: () => calls,
    next: (limitMs) => {
      const t0 = performance.now();
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no change notification within ${limitMs} ms`)), limitMs);
        waiter = () => {
          clearTimeout(timer);
          waiter = null;
          resolve(performance.now() - t0);
        };
      });
    },
  };
}

test('fires within 100 ms after a write', async () => {
  const watch = await start();
  const p = watch.next(100);
  writeFileSync(join(dir, 'a.yaml'), 'kind: X\n');
  await p;
});

test('coalesces a burst of writes into one call', async () => {
  const watch = await start();
  const p = watch.next(100);
  for (let i = 0; i < 5; i++) writeFileSync(join(dir, `f${i}.yaml`), `n: ${i}\n`);
  await p;
  await sleep(60);
  assert.equal(watch.count(), 1);
});

test('fires within 100 ms after an atomic rename over the file (editor save)', async () => {
  writeFileSync(join(dir, 'a.yaml'), 'v: 1\n');
  const watch = await start();
  const p = watch.next(100);
  writeFileSync(join(dir, '.a.yaml.tmp'), 'v: 2\n');
  renameSync(join(dir, '.a.yaml.tmp'), join(dir, 'a.yaml'));
  await p;
});

test('sees files in subdirectories created after the watch started', async () => {
  const watch = await start({ rescanMs: 200 });
  mkdirSync(join(dir, 'sub'));
  await watch.next(1000).catch(() => 0); // the mkdir itself may or may not notify
  await sleep(50);
  const p = watch.next(1000);
  writeFileSync(join(dir, 'sub', 'b.yaml'), 'v: 1\n');
  await p;
});

test('the periodic rescan notices changes without the watcher', async () => {
  writeFileSync(join(dir, 'a.yaml'), 'v: 1\n');
  const calls: number[] = [];
  // A directory that does not exist yet: fs.watch fails, only the rescan can notice.
  const missing = join(dir, 'later');
  w = watchDirectory(missing, () => calls.push(Date.now()), { debounceMs: 10, rescanMs: 50 });
  await sleep(120);
  mkdirSync(missing);
  writeFileSync(join(missing, 'a.yaml'), 'v: 1\n');
  for (let i = 0; i < 40 && calls.length === 0; i++) await sleep(25);
  assert.ok(calls.length >= 1, 'rescan fired');
});

test('close() stops notifications', async () => {
  const watch = await start();
  w?.close();
  writeFileSync(join(dir, 'a.yaml'), 'v: 1\n');
  await sleep(80);
  assert.equal(watch.count(), 0);
});

/** Starts a watch recording what each call reported (null: everything). */
async function record(opts: { rescanMs?: number } = {}): Promise<(string[] | null)[]> {
  const calls: (string[] | null)[] = [];
  w = watchDirectory(dir, (changed) => calls.push(changed === null ? null : [...changed].sort()), { debounceMs: 10, rescanMs: opts.rescanMs ?? 0 });
  await sleep(50);
  return calls;
}

async function until(cond: () => boolean, limitMs: number): Promise<void> {
  for (let waited = 0; !cond() && waited < limitMs; waited += 10) await sleep(10);
  assert.ok(cond(), `condition not met within ${limitMs} ms`);
}

test('reports which files changed, dot-files left out', async () => {
  const calls = await record();
  writeFileSync(join(dir, 'a.yaml'), 'v: 1\n');
  writeFileSync(join(dir, 'b.yml'), 'v: 1\n');
  writeFileSync(join(dir, '.a.yaml.swp'), 'x');
  await until(() => calls.length >= 1, 500);
  await sleep(30);
  assert.deepEqual(calls.flat(), ['a.yaml', 'b.yml']);
});

test('an in-place write after a rename-over save is still seen (Node 20 recursive watch misses it)', async () => {
  writeFileSync(join(dir, 'a.yaml'), 'v: 1\n');
  const calls = await record();
  writeFileSync(join(dir, '.a.yaml.tmp'), 'v: 2\n');
  renameSync(join(dir, '.a.yaml.tmp'), join(dir, 'a.yaml'));
  await until(() => calls.length >= 1, 500);
  await sleep(30);
  const before = calls.length;
  writeFileSync(join(dir, 'a.yaml'), 'v: 3\n'); // in place, into the renamed inode
  await until(() => calls.length > before, 500);
  assert.deepEqual(calls.at(-1), ['a.yaml']);
});

test('files in a new subdirectory: a full re-read, then their own paths', async () => {
  const calls = await record();
  mkdirSync(join(dir, 'sub'));
  await until(() => calls.includes(null), 500);
  await sleep(50); // the new directory's watcher is set up
  const before = calls.length;
  writeFileSync(join(dir, 'sub', 'b.yaml'), 'v: 1\n');
  await until(() => calls.length > before, 500);
  assert.deepEqual(calls.at(-1), ['sub/b.yaml']);
});

test('a ..data symlink swap (ConfigMap volume) asks for a full re-read', async () => {
  const calls = await record();
  writeFileSync(join(dir, '..data_tmp'), 'x');
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  await until(() => calls.length >= 1, 500);
  assert.equal(calls[0], null);
});

test('the rescan reports the files whose size or mtime moved', async () => {
  writeFileSync(join(dir, 'a.yaml'), 'v: 1\n');
  writeFileSync(join(dir, 'b.yaml'), 'v: 1\n');
  const calls: (string[] | null)[] = [];
  // Only the rescan can notice: the directory appears later, so no watcher at first.
  rmSync(dir, { recursive: true, force: true });
  w = watchDirectory(dir, (changed) => calls.push(changed === null ? null : [...changed].sort()), { debounceMs: 10, rescanMs: 40 });
  await sleep(60);
  mkdirSync(dir);
  writeFileSync(join(dir, 'a.yaml'), 'v: 1\n');
  await until(() => calls.flat().includes('a.yaml'), 1000);
});

test('flush() hands over a pending change at once instead of at the end of the window', async () => {
  const seen: (ReadonlySet<string> | null)[] = [];
  w = watchDirectory(dir, (changed) => void seen.push(changed), { debounceMs: 60_000, rescanMs: 0 });
  await sleep(50);
  w.flush(); // nothing pending: no call
  assert.equal(seen.length, 0);
  writeFileSync(join(dir, 'a.yaml'), 'kind: X\n');
  const t0 = performance.now();
  while (seen.length === 0 && performance.now() - t0 < 2000) {
    await sleep(5);
    w.flush(); // the event arrives within a few ms; the window would hold it for a minute
  }
  assert.deepEqual(seen.map((s) => (s === null ? null : [...s])), [['a.yaml']]);
});
