/**
 * `waygate serve --workers 2`: the data plane runs in two worker processes sharing the
 * listening socket. Hot reload stays zero-drop across workers under keep-alive load; a worker
 * that dies is replaced and serves the current config; the admin endpoint sums the workers'
 * counters; SIGTERM stops everything.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { DATA_PLANE_V8_FLAGS } from '../../src/runtime/v8-flags.js';
import {
  get, ManifestDir, routeYaml, sleep, startTwoBackendWorld, stop, stopTwoBackendWorld, waitFor,
  type Answer, type Proc, type TwoBackendWorld,
} from './cli-harness.js';

const POOL = '127.0.3.48/28';
const PORT = 18095;
const CHANGES = 16;

let dir: ManifestDir;
let world: TwoBackendWorld | undefined;
let serve: { proc: Proc; admin: string };
let addr: string;

/** Pids of the live child processes of `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid && fields[0] !== 'Z') out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out.sort((a, b) => a - b);
}

before(async () => {
  world = await startTwoBackendWorld('workers', PORT, POOL, ['--workers', '2', '--log-level', 'warn']);
  ({ dir, serve, addr } = world);
});

after(async () => {
  await stopTwoBackendWorld(world);
});

test('two worker processes serve; hot reload under keep-alive load drops nothing', { timeout: 90_000 }, async () => {
  const pid = serve.proc.child.pid!;
  assert.equal(childrenOf(pid).length, 2, 'two data plane workers');
  for (const child of childrenOf(pid)) {
    // src/runtime/v8-flags.ts: the workers run with the data plane flags, whatever the primary was started with.
    const argv = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0');
    for (const flag of DATA_PLANE_V8_FLAGS) assert.ok(argv.includes(flag), `worker ${child} argv lacks ${flag}: ${argv.join(' ')}`);
  }
  const failures: string[] = [];
  let requests = 0;
  let stopLoad = false;
  const agents = Array.from({ length: 4 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const load = Promise.all(agents.map(async (agent) => {
    for (let i = 0; !stopLoad; i++) {
      const hot = i % 2 === 1;
      let a: Answer;
      try {
        a = await get(addr, PORT, hot ? 'hot.test' : 'stable.test', '/x', agent);
      } catch (err) {
        failures.push(`socket error ${String(err)}`);
        continue;
      }
      requests++;
      const ok = a.status === 200 && (hot ? a.backend === 'a' || a.backend === 'b' : a.backend === 'a');
      if (!ok) failures.push(`${hot ? 'hot' : 'stable'}: ${a.status} from ${a.backend ?? '-'}`);
    }
  }));
  const probe = new Agent({ keepAlive: false });
  let backend: 'a' | 'b' = 'a';
  try {
    for (let i = 0; i < CHANGES; i++) {
      backend = backend === 'a' ? 'b' : 'a';
      const text = routeYaml('hot', 'hot.test', '/', `svc-${backend}`);
      if (i % 2 === 0) await dir.writeAtomic('hot.yaml', text);
      else await dir.writeInPlace('hot.yaml', text);
      // Every worker must serve the change: fresh connections land on either of them.
      await waitFor(`hot.test → ${backend}`, async () => {
        for (let k = 0; k < 6; k++) if ((await get(addr, PORT, 'hot.test', '/p', probe)).backend !== backend) return undefined;
        return true;
      }, 5_000, 5);
    }
  } finally {
    stopLoad = true;
    await load;
    for (const a of agents) a.destroy();
    probe.destroy();
  }
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${requests} requests failed`);
  assert.ok(requests > CHANGES * 10, `load too light (${requests})`);
  // The admin endpoint sums both workers' counters (reported every 500 ms).
  await sleep(700);
  const metrics = await (await fetch(`http://${serve.admin}/metrics`)).text();
  const total = Number(/^waygate_requests_total (\d+)$/m.exec(metrics)?.[1] ?? 0);
  assert.ok(total >= requests, `requests_total ${total} < ${requests} sent`);
});

test('a worker that dies is replaced and serves the current config', { timeout: 60_000 }, async () => {
  const pid = serve.proc.child.pid!;
  const before = childrenOf(pid);
  assert.equal(before.length, 2);
  await dir.writeAtomic('late.yaml', routeYaml('late', 'late.test', '/', 'svc-b'));
  const probe = new Agent({ keepAlive: false });
  try {
    await waitFor('late.test', async () => ((await get(addr, PORT, 'late.test', '/', probe)).status === 200 ? true : undefined), 5_000, 10);
    process.kill(before[0]!, 'SIGKILL');
    const after = await waitFor('a replacement worker', () => {
      const now = childrenOf(pid);
      return now.length === 2 && !now.includes(before[0]!) ? now : undefined;
    }, 15_000, 20);
    assert.ok(after.includes(before[1]!), 'the other worker kept running');
    await sleep(300); // the replacement acknowledges the current config before it accepts
    for (let i = 0; i < 20; i++) {
      const a = await get(addr, PORT, 'late.test', `/${i}`, probe);
      assert.equal(a.status, 200);
      assert.equal(a.backend, 'b');
    }
  } finally {
    probe.destroy();
  }
  const { code } = await stop(serve.proc);
  assert.equal(code, 0);
  await waitFor('workers gone', () => (childrenOf(pid).length === 0 ? true : undefined), 5_000, 20);
});
