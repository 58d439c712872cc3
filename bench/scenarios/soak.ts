/**
 * `soak`: abusive clients for a bounded time, then checks that waygate recovered.
 * - Backend (nginx, load core): 2 MiB on `/big` at full speed and on `/slow` at 512 KiB/s.
 * - waygate on the proxy core (in-process data plane), its own Gateway.
 * - Before: normal closed-loop requests (10 connections, `/`, 3 B) as the baseline.
 * - Soak: 20 aborters (close before the answer or after 16–128 KiB of a large or slow body) and
 *   10 slow readers (2 MiB read at 256 KiB/s each), while RSS of the proxy tree and its
 *   upstream sockets are sampled.
 * - After: the same normal requests must succeed at normal latency (lib/soak-verdict.ts), and
 *   once the upstream keep-alive time has passed the proxy must hold no upstream socket, no
 *   more fds than before, no open client connection and no request in flight (admin /metrics).
 * - Memory: start, max, end, slope after warm-up; the scenario fails when RSS grows more than
 *   RSS_BOUND_MIB after warm-up (the first quarter of the soak).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nginxSoakBackendConf, SMALL_PATH, SOAK_BIG_PATH, SOAK_BODY_BYTES, SOAK_SLOW_PATH } from '../lib/configs.js';
import { GATEWAY_ADDRESSES, type BenchContext } from '../lib/context.js';
import { httpGet } from '../lib/http-get.js';
import { runLoadChild } from '../lib/loadgen-child.js';
import { baseManifests, routeManifest, serviceManifest } from '../lib/manifests.js';
import { freePort } from '../lib/ports.js';
import { treeRssMiB } from '../lib/proc-stat.js';
import { sleep } from '../lib/processes.js';
import { rssTrend, rssVerdict, type RssSample } from '../lib/rss-trend.js';
import { runSoakClients } from '../lib/soak-clients.js';
import { leakProblems, metricValue, recoveryProblems, type NormalLoad } from '../lib/soak-verdict.js';
import { upstreamSockets } from '../lib/sockets.js';
import type { ScenarioResult } from '../lib/results.js';
import { round } from '../lib/stats.js';
import { message, result } from './common.js';

/** Fail when RSS grows by more than this after warm-up. */
export const RSS_BOUND_MIB = 64;
const ABORTERS = 20;
const SLOW_READERS = 10;
const SLOW_BYTES_PER_S = 256 * 1024;
/** waygate's default upstream keep-alive (src/dataplane/data-plane.ts) plus slack. */
const UPSTREAM_IDLE_WAIT_MS = 4_000 + 2_000;

export async function runSoak(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  if (!ctx.has('nginx')) return result('soak', 'skipped', t0, ['needs nginx (not installed)'], [], null);
  const soakS = ctx.opts.smoke ? 5 : Math.max(30, ctx.opts.durationS * 10);
  const normalMs = ctx.opts.smoke ? 1_000 : 3_000;
  const sampleMs = ctx.opts.smoke ? 250 : 1_000;

  const www = ctx.dir('www-soak');
  writeFileSync(join(www, 'big.bin'), Buffer.alloc(SOAK_BODY_BYTES, 'y'), { mode: 0o644 });
  const bport = await freePort();
  await ctx.nginx('soak-backend', nginxSoakBackendConf({ listen: `127.0.0.1:${bport}`, wwwDir: www }), ctx.cpus.load, bport);
  let w;
  try {
    w = await ctx.startWaygateWith('soak', GATEWAY_ADDRESSES.soak, (addr, port) => [
      baseManifests({ address: addr, port }),
      serviceManifest({ name: 'backend', addresses: ['127.0.0.1'], targetPort: bport }),
      routeManifest({ name: 'catch-all', hostname: null, pathPrefix: '/', service: 'backend' }),
    ], { host: 'bench.test', path: SMALL_PATH });
  } catch (e) {
    return result('soak', 'skipped', t0, [`waygate skipped: ${message(e)}`], [], null);
  }
  const pids = [w.managed.pid];
  const normal = async (): Promise<NormalLoad> => {
    const l = await runLoadChild(ctx.repoRoot, ctx.cpus.load, {
      address: w.address, port: w.port, targets: [{ path: SMALL_PATH, host: 'bench.test' }],
      connections: 10, durationMs: normalMs, rate: null, timeoutMs: 2_000,
    });
    return { rps: l.rps, p50Ms: l.latencyMs.p50, p99Ms: l.latencyMs.p99, non2xx: l.non2xx, errors: Object.values(l.errors).reduce((a, b) => a + b, 0) };
  };

  const before = await normal();
  const fdsBefore = upstreamSockets(pids, bport).fds;
  ctx.log(`soak: baseline ${Math.round(before.rps)} rps, p50 ${before.p50Ms} ms; soaking ${soakS} s…`);

  // The soak, with RSS and upstream sockets sampled on a bounded timer.
  const samples: RssSample[] = [];
  let maxUpstream = 0;
  const ts = performance.now();
  const sample = (): void => {
    samples.push({ t: (performance.now() - ts) / 1000, mib: treeRssMiB(pids) });
    maxUpstream = Math.max(maxUpstream, upstreamSockets(pids, bport).total);
  };
  sample();
  const timer = setInterval(sample, sampleMs);
  let clients;
  try {
    clients = await runSoakClients({
      address: w.address, port: w.port, host: 'bench.test', durationMs: soakS * 1000,
      aborters: ABORTERS, slowReaders: SLOW_READERS, abortPaths: [SOAK_BIG_PATH, SOAK_SLOW_PATH],
      slowPath: SOAK_BIG_PATH, slowBytesPerS: SLOW_BYTES_PER_S, timeoutMs: 10_000,
    });
  } finally {
    clearInterval(timer);
  }
  sample();
  const trend = rssTrend(samples, soakS / 4);

  await sleep(1_000);
  const after = await normal();
  await sleep(UPSTREAM_IDLE_WAIT_MS);
  const sock = upstreamSockets(pids, bport);
  const metrics = await httpGet({ address: '127.0.0.1', port: w.adminPort, path: '/metrics', timeoutMs: 2_000 });
  const settled = {
    upstream: sock.byState, fds: sock.fds, fdsBefore,
    connections: metricValue(metrics.body, 'waygate_connections'),
    inFlight: metricValue(metrics.body, 'waygate_requests_in_flight'),
  };
  const rssEnd = treeRssMiB(pids);

  const problems = [...recoveryProblems(before, after), ...leakProblems(settled)];
  const rss = rssVerdict(trend, RSS_BOUND_MIB);
  if (rss !== null) problems.push(rss);
  const notes = [
    `${soakS} s soak: ${ABORTERS} aborting clients (1 in 4 before the answer, the rest after 16–128 KiB of ${SOAK_BODY_BYTES / 1048576} MiB from ${SOAK_BIG_PATH} or ${SOAK_SLOW_PATH} at 512 KiB/s) and ${SLOW_READERS} slow readers (${SOAK_BIG_PATH} at ${SLOW_BYTES_PER_S / 1024} KiB/s each); waygate on core ${ctx.cpus.proxy ?? '(unpinned)'}, clients, backend and normal load on core ${ctx.cpus.load ?? '(unpinned)'}`,
    `normal load before/after: closed loop, 10 connections, ${normalMs / 1000} s of GET ${SMALL_PATH}; recovered = no errors, p50 ≤ 2× before + 1 ms, rps ≥ 50% of before`,
    `leaks: ${UPSTREAM_IDLE_WAIT_MS / 1000} s after the last request (upstream keep-alive 4 s) the proxy must hold no upstream socket (from /proc/<pid>/fd ∩ /proc/net/tcp), no more fds than after the baseline (+8), and /metrics must show 0 connections and 0 in flight`,
    `memory: RSS of the proxy tree every ${sampleMs} ms; fail when it grows more than ${RSS_BOUND_MIB} MiB after warm-up (first quarter of the soak)`,
    ...problems.map((p) => `FAIL: ${p}`),
  ];
  const tables = [
    {
      title: 'Soak: memory, sockets, clients',
      headers: ['RSS start MiB', 'RSS max MiB', 'RSS end of soak MiB', 'RSS after settle MiB', 'slope after warm-up MiB/min', 'growth after warm-up MiB', 'max upstream sockets', 'upstream sockets after settle', 'fds before → after', 'aborted (before answer / mid-body)', 'slow reads (complete / cut)', 'client errors'],
      rows: [[
        round(trend.startMiB, 1), round(trend.maxMiB, 1), round(trend.endMiB, 1), round(rssEnd, 1), round(trend.slopeMiBPerMin, 2), round(trend.growthMiB, 1),
        maxUpstream, sock.total, `${fdsBefore} → ${sock.fds}`,
        `${clients.abortedBeforeAnswer} / ${clients.abortedMidBody}`, `${clients.slowCompleted} / ${clients.slowCut}`,
        Object.entries(clients.errors).map(([k, n]) => `${k} ${n}`).join(', ') || '0',
      ]],
    },
    {
      title: 'Normal traffic before and after the soak',
      headers: ['phase', 'rps', 'p50 ms', 'p99 ms', 'non-2xx', 'socket errors'],
      rows: [['before', Math.round(before.rps), before.p50Ms, before.p99Ms, before.non2xx, before.errors], ['after', Math.round(after.rps), after.p50Ms, after.p99Ms, after.non2xx, after.errors]],
    },
  ];
  return result('soak', problems.length > 0 ? 'failed' : 'ok', t0, notes, tables, { soakS, samples, trend, before, after, settled, clients, maxUpstream, rssEnd, problems });
}

