import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { cachedDocument, normalizedItem, setNormalizedItem, type DocumentCacheEntry } from './document-cache.js';
import { FileSource } from './file-source.js';
import { parseManifestsFast } from './parse.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full GC after the current job (WeakRefs made or read in a job hold until it ends). */
async function collect(): Promise<void> {
  await tick();
  gc();
  await tick();
}

const nonce = `${process.pid}-${Date.now()}`;
const route = (name: string, host: string): string =>
  `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: ${name}\n  namespace: app\n  labels: {nonce: "${nonce}"}\nspec:\n  hostnames: [${host}]\n`;

/** Whether the document with this text is cached with its validation result. */
function validated(text: string): boolean {
  const entry = cachedDocument(text);
  return entry !== undefined && normalizedItem(entry, '') !== undefined;
}

/** The cache key of each document of `text`. */
function sources(text: string): string[] {
  return parseManifestsFast(text)!.documents.map((d) => d.source!);
}

test('the documents of the files a source serves stay cached; documents no file holds are let go', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'waygate-doc-cache-'));
  try {
    const v1 = `${route('a', 'a.example.com')}---\n${route('b', 'b1.example.com')}`;
    const v2 = `${route('a', 'a.example.com')}---\n${route('b', 'b2.example.com')}`;
    writeFileSync(join(dir, 'r.yaml'), v1);
    const src = new FileSource(dir, { clock: () => new Date(0) });
    await src.load();
    const [a, b1] = sources(v1) as [string, string];
    await collect();
    assert.ok(validated(a), 'a served document stays cached');
    assert.ok(validated(b1));

    writeFileSync(join(dir, 'r.yaml'), v2);
    const second = await src.load(new Set(['r.yaml']));
    assert.equal(second.objects.length, 2);
    const [a2, b2] = sources(v2) as [string, string];
    assert.equal(a2, a);
    await collect();
    assert.ok(validated(a), 'the unchanged document is still cached');
    assert.ok(validated(b2), 'so is the new one');
    assert.equal(cachedDocument(b1), undefined, 'the replaced document is not kept');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('validation results by item path: the document itself, List items, and both', () => {
  const result = (name: string) => ({ object: null, identity: { kind: 'HTTPRoute', name, namespace: null }, issues: [], unsupported: false });
  const doc = result('doc');
  const item0 = result('item0');
  const item1 = result('item1');
  const single: DocumentCacheEntry = { parsed: undefined, normalized: undefined };
  assert.equal(normalizedItem(single, ''), undefined);
  setNormalizedItem(single, '', doc);
  assert.equal(normalizedItem(single, ''), doc);
  assert.equal(normalizedItem(single, 'items[0]'), undefined);
  const list: DocumentCacheEntry = { parsed: undefined, normalized: undefined };
  setNormalizedItem(list, 'items[0]', item0);
  setNormalizedItem(list, 'items[1]', item1);
  assert.equal(normalizedItem(list, ''), undefined);
  assert.equal(normalizedItem(list, 'items[0]'), item0);
  assert.equal(normalizedItem(list, 'items[1]'), item1);
  setNormalizedItem(single, 'items[0]', item0);
  assert.equal(normalizedItem(single, ''), doc, 'the result of the document itself is kept');
  assert.equal(normalizedItem(single, 'items[0]'), item0);
  setNormalizedItem(list, '', doc);
  assert.equal(normalizedItem(list, ''), doc);
  assert.equal(normalizedItem(list, 'items[1]'), item1);
});
