import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.js';
import { compareByAgeThenKey } from './snapshot.js';

function obj(name: string, creationTimestamp?: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', ...(creationTimestamp ? { creationTimestamp } : {}) } };
}

test('compareByAgeThenKey: oldest first, then namespace/name', () => {
  const sorted = [obj('b', '2026-01-01T00:00:02Z'), obj('c', '2026-01-01T00:00:01Z'), obj('a', '2026-01-01T00:00:02Z')]
    .sort(compareByAgeThenKey)
    .map((o) => o.metadata.name);
  assert.deepEqual(sorted, ['c', 'a', 'b']);
});

test('compareByAgeThenKey: whole seconds and milliseconds compare as instants', () => {
  // As text, '…00:00:01.500Z' < '…00:00:01Z' ('.' sorts before 'Z'); as instants it is newer.
  const older = obj('z', '2026-01-01T00:00:01Z');
  const newer = obj('a', '2026-01-01T00:00:01.500Z');
  assert.equal(compareByAgeThenKey(older, newer), -1);
  assert.equal(compareByAgeThenKey(newer, older), 1);
  // The same instant in both shapes falls back to the key.
  assert.equal(compareByAgeThenKey(obj('a', '2026-01-01T00:00:01.000Z'), obj('b', '2026-01-01T00:00:01Z')), -1);
});
