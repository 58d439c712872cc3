/**
 * The IR deltas between the controller process and its data plane workers (src/ir/delta.ts,
 * runtime/workers.ts, dataplane/worker.ts), through real worker processes: configs that reuse
 * rule and match objects travel as ids; a config a worker cannot apply is rejected, and the
 * configs after it (a reset, then deltas again) are served correctly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fillMatch, fillRule } from '../golden/dataplane/ir-defaults.js';
import type * as ir from '../../src/ir/types.js';
import { silentLogger } from '../../src/log.js';
import { WorkerPool } from '../../src/runtime/workers.js';
import { send, startBackend, type Backend } from './dataplane-support/helpers.js';

const ADDRESS = '127.0.3.80';
const PORT = 18096;

let a: Backend;
let b: Backend;
let pool: WorkerPool;

before(async () => {
  a = await startBackend('a');
  b = await startBackend('b');
  pool = new WorkerPool({ workers: 2, log: silentLogger });
});

after(async () => {
  await pool.close(500);
  await Promise.all([a.close(), b.close()]);
});

/** One server whose only virtual host tries `entries` in order. */
function config(rules: ir.Rule[], entries: { rule: ir.Rule; match: ir.Match }[]): ir.Config {
  return {
    version: 1,
    servers: [{
      name: `test/gw/${ADDRESS}:${PORT}`, gateway: 'test/gw', address: ADDRESS, port: PORT, protocol: 'HTTP', streamListeners: [],
      listeners: [{
        name: 'test/gw/http', hostname: null, port: PORT, scheme: 'http', tls: null, rules,
        virtualHosts: [{ hostname: '*', entries: entries.map((e) => ({ rule: rules.indexOf(e.rule), match: e.match })) }],
      }],
    }],
  };
}

const rule = (name: string, backend: Backend): ir.Rule =>
  fillRule({ name, backends: [{ name: backend === a ? 'a' : 'b', endpoints: [backend.endpoint] }] }, 0);

/**
 * Which backend answered a path (the test backends echo their name). A new connection each
 * time: the workers share the listening socket, so either may take it.
 */
async function backendOf(path: string): Promise<string> {
  const r = await send(`http://${ADDRESS}:${PORT}${path}`, { headers: { connection: 'close' } });
  assert.equal(r.status, 200, `${path}: ${r.status} ${r.text}`);
  return (JSON.parse(r.text) as { name: string }).name;
}

test('workers: deltas reuse what a worker holds; after a rejected config the next ones apply and serve', { timeout: 60_000 }, async () => {
  const toA = rule('to-a', a);
  const toB = rule('to-b', b);
  const matchA = fillMatch({ path: '/a' });
  const matchB = fillMatch({ path: '/b' });

  // 1. The first config: everything is sent whole.
  assert.deepEqual((await pool.apply(config([toA], [{ rule: toA, match: matchA }]))).errors, []);
  assert.equal(await backendOf('/a'), 'a');

  // 2. A delta: the kept rule and match travel as ids.
  assert.deepEqual((await pool.apply(config([toA, toB], [{ rule: toA, match: matchA }, { rule: toB, match: matchB }]))).errors, []);
  assert.equal(await backendOf('/a'), 'a');
  assert.equal(await backendOf('/b'), 'b');

  // 3. A config the workers cannot compile (an invalid regular expression) is rejected and
  //    changes nothing.
  const broken = fillMatch({ path: { type: 'RegularExpression', value: '(' } });
  await assert.rejects(pool.apply(config([toA, toB], [{ rule: toA, match: matchA }, { rule: toB, match: broken }])));
  assert.equal(await backendOf('/b'), 'b');

  // 4. The next config starts over (reset) and is served; 5. then deltas again, on top of it.
  const toA2 = rule('to-a-2', a);
  assert.deepEqual((await pool.apply(config([toB, toA2], [{ rule: toB, match: matchA }, { rule: toA2, match: matchB }]))).errors, []);
  assert.equal(await backendOf('/a'), 'b');
  assert.equal(await backendOf('/b'), 'a');
  assert.deepEqual((await pool.apply(config([toB, toA2, toA], [{ rule: toA, match: matchA }, { rule: toA2, match: matchB }]))).errors, []);
  for (let i = 0; i < 6; i++) {
    assert.equal(await backendOf('/a'), 'a');
    assert.equal(await backendOf('/b'), 'a');
  }
  assert.equal(pool.liveWorkers, 2);
});
