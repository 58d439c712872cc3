import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DataPlaneStats } from '../dataplane/index.js';
import { sumStats } from './workers.js';

function stats(generation: number, requests: number, boundPort: number | null): DataPlaneStats {
  return {
    generation,
    irVersion: 3,
    servers: [{ name: 's', gateway: 'ns/gw', address: '127.0.0.1', port: 80, boundPort, state: 'serving', connections: 2, totalConnections: 5, inFlight: 1, totalRequests: requests }],
    unsupported: [],
    totals: { connections: 2, inFlight: 1, requests },
    upstream: { pools: 1, h2cSessions: 0 },
  };
}

test('sumStats: one row per server with the workers counters added; generation is the slowest worker', () => {
  const sum = sumStats([stats(4, 10, 8080), stats(3, 7, 8080)], 9);
  assert.equal(sum.generation, 3);
  assert.equal(sum.irVersion, 9);
  assert.deepEqual(sum.totals, { connections: 4, inFlight: 2, requests: 17 });
  assert.deepEqual(sum.upstream, { pools: 2, h2cSessions: 0 });
  assert.equal(sum.servers.length, 1);
  assert.deepEqual({ ...sum.servers[0]! }, { ...stats(0, 17, 8080).servers[0]!, connections: 4, totalConnections: 10, inFlight: 2 });
  assert.equal(sumStats([], 1).generation, 0);
});
