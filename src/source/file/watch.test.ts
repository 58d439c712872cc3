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
