import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSettled } from './read-settled.js';

test('readSettled: small files, files past the synchronous limit, directories and missing files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'waygate-read-'));
  try {
    writeFileSync(join(dir, 'small.yaml'), 'kind: Service\n');
    const big = `# ${'x'.repeat(1 << 20)}\nkind: Service\n`; // read asynchronously
    writeFileSync(join(dir, 'big.yaml'), big);
    mkdirSync(join(dir, 'sub.yaml'));
    assert.deepEqual(await readSettled(dir, 'small.yaml', false), { text: 'kind: Service\n' });
    assert.deepEqual(await readSettled(dir, 'big.yaml', false), { text: big });
    assert.deepEqual(await readSettled(dir, 'sub.yaml', false), { directory: true });
    assert.deepEqual(await readSettled(dir, 'gone.yaml', false), { gone: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readSettled: a FIFO is an issue at once, not a read that waits for a writer', { timeout: 5000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'waygate-read-'));
  try {
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    const r = await readSettled(dir, 'pipe.yaml', false);
    assert.ok('issue' in r, JSON.stringify(r));
    assert.equal(r.issue.message, 'cannot read file: not a regular file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
