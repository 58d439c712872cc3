import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settleInPlaceWrites } from './settle.js';
import type { ConfigSource } from './types.js';

/** A source that reports the text of a.yaml as the "objects". */
function textSource(dir: string, seen: string[]): ConfigSource {
  return {
    async load() {
      const text = await readFile(join(dir, 'a.yaml'), 'utf8').catch(() => '<missing>');
      seen.push(text);
      return { objects: [], issues: [], changed: true };
    },
  };
}

test('a file emptied by an in-place write is waited for, not loaded empty', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'waygate-settle-'));
  try {
    const seen: string[] = [];
    const src = settleInPlaceWrites(textSource(dir, seen), dir, { graceMs: 500 });
    await writeFile(join(dir, 'a.yaml'), 'one');
    await src.load();
    await writeFile(join(dir, 'a.yaml'), ''); // truncated...
    setTimeout(() => void writeFile(join(dir, 'a.yaml'), 'two'), 50); // ...then written
    await src.load();
    assert.deepEqual(seen, ['one', 'two']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a file that stays empty is loaded empty after the grace period', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'waygate-settle-'));
  try {
    const seen: string[] = [];
    const src = settleInPlaceWrites(textSource(dir, seen), dir, { graceMs: 40 });
    await writeFile(join(dir, 'a.yaml'), 'one');
    await src.load();
    await writeFile(join(dir, 'a.yaml'), '');
    const t0 = Date.now();
    await src.load();
    assert.deepEqual(seen, ['one', '']);
    assert.ok(Date.now() - t0 >= 35);
    // Now known empty: the next load does not wait again.
    const t1 = Date.now();
    await src.load();
    assert.ok(Date.now() - t1 < 35);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a file that changes during the load is loaded again', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'waygate-settle-'));
  try {
    const seen: string[] = [];
    let first = true;
    const inner: ConfigSource = {
      async load() {
        const r = await textSource(dir, seen).load();
        if (first) {
          first = false;
          await writeFile(join(dir, 'a.yaml'), 'changed-while-loading');
        }
        return { ...r, changed: seen.length === 1 };
      },
    };
    await writeFile(join(dir, 'a.yaml'), 'one');
    const r = await settleInPlaceWrites(inner, dir).load();
    assert.deepEqual(seen, ['one', 'changed-while-loading']);
    assert.equal(r.changed, true, 'changed from the first load is kept');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
