import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RuntimeState } from '../runtime/standalone.js';
import { isLoopbackHost, parseHostPort } from './address.js';
import { REDACTED, redactSecrets } from './redact.js';
import { startAdminServer, type AdminSource } from './server.js';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n';

function state(version: number): RuntimeState {
  return {
    version,
    appliedAt: version ? '2026-01-01T00:00:00Z' : null,
    objects: [],
    issues: [],
    statuses: [],
    statusObjects: [
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'infra', generation: 1, creationTimestamp: null }, status: { conditions: [] } },
    ],
    ir: { version: 1, servers: [] },
    applyErrors: [],
    lastError: null,
    timings: null,
    passes: version,
  };
}

test('parseHostPort and isLoopbackHost', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:9901'), { host: '127.0.0.1', port: 9901 });
  assert.deepEqual(parseHostPort('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseHostPort(':80'), { host: '127.0.0.1', port: 80 });
  assert.throws(() => parseHostPort('127.0.0.1'), /host:port/);
  assert.throws(() => parseHostPort('a:99999'), /65535/);
  assert.equal(isLoopbackHost('127.0.0.1'), true);
  assert.equal(isLoopbackHost('localhost'), true);
  assert.equal(isLoopbackHost('::1'), true);
  assert.equal(isLoopbackHost('0.0.0.0'), false);
  assert.equal(isLoopbackHost('10.1.1.1'), false);
});

test('redactSecrets removes keys and private PEMs, keeps the rest', () => {
  const out = redactSecrets({ a: 1, tls: [{ cert: 'CERT', key: 'KEY' }], note: PEM, nested: { privateKey: 'x', hostname: 'h' } });
  assert.deepEqual(out, { a: 1, tls: [{ cert: 'CERT', key: REDACTED }], note: REDACTED, nested: { privateKey: REDACTED, hostname: 'h' } });
});

test('admin server: healthz, readyz before/after, status, config_dump, 404, 405', async () => {
  let current = state(0);
  const source: AdminSource = {
    get snapshot() { return current; },
    get ready() { return current.version > 0; },
  };
  const admin = await startAdminServer({ host: '127.0.0.1', port: 0, source });
  try {
    const get = async (p: string, init?: RequestInit) => fetch(`${admin.url}${p}`, init);
    assert.equal((await get('/healthz')).status, 200);
    assert.equal((await get('/readyz')).status, 503);
    current = state(1);
    assert.equal((await get('/readyz')).status, 200);
    const status = (await (await get('/status')).json()) as { version: number; objects: { kind: string }[]; issues: unknown[] };
    assert.equal(status.version, 1);
    assert.equal(status.objects[0]?.kind, 'Gateway');
    assert.deepEqual(status.issues, []);
    current = { ...current, ir: { version: 1, servers: [], secret: PEM } as never };
    const dump = await (await get('/config_dump')).text();
    assert.ok(!dump.includes('PRIVATE KEY'));
    assert.equal((await get('/nope')).status, 404);
    assert.equal((await get('/status', { method: 'POST' })).status, 405);
    assert.match(await (await get('/metrics')).text(), /waygate_config_version 1/);
  } finally {
    await admin.close();
  }
});
