/**
 * Unit tests of the pure parts of the `multicore` and `soak` scenarios: /proc/net/tcp and fd
 * parsing, RSS trend and its bound, recovery and leak verdicts, /metrics reading, scaling ratios,
 * the aborters' thresholds. No tools, no network.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProxyRun } from './lib/results.js';
import { rssTrend, rssVerdict, slope } from './lib/rss-trend.js';
import { scalingRows } from './lib/scaling.js';
import { abortAfterBytes, responseLength } from './lib/soak-clients.js';
import { leakProblems, metricValue, recoveryProblems } from './lib/soak-verdict.js';
import { countConnections, parseProcNetTcp, socketInode } from './lib/sockets.js';
import { parseBenchArgs } from './lib/args.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1678 1 00000000bad59e1b 100 0 0 10 0
   1: 0100007F:8DBB 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 5001 1 0000000063977b01
   2: 0100007F:8DBC 0100007F:1F90 08 00000000:00000000 00:00000000 00000000     0        0 5002 1 0000000063977b01
   3: 0100007F:8DBD 0100007F:1F90 06 00000000:00000000 03:0000030C 00000000     0        0 0 3 0000000063977b01
   4: 0100007F:8DBE 0100007F:1F91 01 00000000:00000000 00:00000000 00000000     0        0 5004 1 0000000063977b01
   5: 0100007F:8DBF 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 9999 1 0000000063977b01
garbage line
`;

describe('sockets', () => {
  it('parses /proc/net/tcp rows: hex ports, state names, inodes; skips header and junk', () => {
    const rows = parseProcNetTcp(TCP);
    assert.equal(rows.length, 6);
    assert.deepEqual(rows[0], { localPort: 2024, remotePort: 0, state: 'LISTEN', inode: 1678 });
    assert.deepEqual(rows[1], { localPort: 0x8dbb, remotePort: 8080, state: 'ESTABLISHED', inode: 5001 });
    assert.equal(rows[2]!.state, 'CLOSE_WAIT');
    assert.equal(rows[3]!.state, 'TIME_WAIT');
  });
  it('parses an IPv6 row', () => {
    const rows = parseProcNetTcp('  0: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:C350 01 0:0 00:0 0 0 0 777 1 x\n');
    assert.deepEqual(rows, [{ localPort: 8080, remotePort: 50000, state: 'ESTABLISHED', inode: 777 }]);
  });
  it('reads socket inodes from fd links only', () => {
    assert.equal(socketInode('socket:[5001]'), 5001);
    assert.equal(socketInode('pipe:[5001]'), null);
    assert.equal(socketInode('/dev/null'), null);
  });
  it('counts only the process’s sockets to the given remote port, by state', () => {
    const rows = parseProcNetTcp(TCP);
    // 9999 is someone else's socket; 5004 goes to another port; TIME_WAIT has inode 0
    assert.deepEqual(countConnections(rows, new Set([5001, 5002, 5004, 0]), 8080), { ESTABLISHED: 1, CLOSE_WAIT: 1, TIME_WAIT: 1 });
    assert.deepEqual(countConnections(rows, new Set([5001, 5002]), 8080), { ESTABLISHED: 1, CLOSE_WAIT: 1 });
    assert.deepEqual(countConnections(rows, new Set(), 8080), {});
  });
});

describe('rss trend', () => {
  it('slope by least squares', () => {
    assert.equal(slope([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 5 }]), 2);
    assert.equal(slope([{ x: 1, y: 1 }]), null);
    assert.equal(slope([{ x: 1, y: 1 }, { x: 1, y: 2 }]), null);
  });
  it('start/max/end over all samples, slope and growth after warm-up only', () => {
    // warm-up jump 100 → 150, then +1 MiB/s
    const samples = [{ t: 0, mib: 100 }, { t: 1, mib: 150 }, { t: 2, mib: 150 }, { t: 3, mib: 151 }, { t: 4, mib: 152 }, { t: 5, mib: 151 }];
    const t = rssTrend(samples, 2);
    assert.equal(t.samples, 6);
    assert.equal(t.startMiB, 100);
    assert.equal(t.maxMiB, 152);
    assert.equal(t.endMiB, 151);
    assert.equal(t.warmMiB, 150);
    assert.equal(t.growthMiB, 2);
    assert.ok(t.slopeMiBPerMin !== null && Math.abs(t.slopeMiBPerMin - 0.4 * 60) < 1e-9);
    assert.equal(rssVerdict(t, 64), null);
    assert.match(rssVerdict(t, 1) ?? '', /grew 2\.0 MiB after warm-up .*bound 1 MiB/);
  });
  it('fails closed without samples after warm-up', () => {
    assert.equal(rssTrend([], 1).startMiB, null);
    assert.match(rssVerdict(rssTrend([{ t: 0, mib: 10 }], 5), 64) ?? '', /no RSS samples/);
  });
});

describe('soak verdicts', () => {
  const base = { rps: 10_000, p50Ms: 0.5, p99Ms: 3, non2xx: 0, errors: 0 };
  it('recovered when latency and rps are near the baseline', () => {
    assert.deepEqual(recoveryProblems(base, { ...base, p50Ms: 1.9, rps: 5_001 }), []);
  });
  it('flags errors, slow p50, low rps and no answers', () => {
    const p = recoveryProblems(base, { rps: 4_000, p50Ms: 2.1, p99Ms: 9, non2xx: 3, errors: 2 });
    assert.equal(p.length, 4);
    assert.match(p.join('\n'), /3 non-2xx/);
    assert.match(p.join('\n'), /2 socket errors/);
    assert.match(p.join('\n'), /p50 2\.10 ms/);
    assert.match(p.join('\n'), /rps 4000/);
    assert.match(recoveryProblems(base, { ...base, p50Ms: null, rps: 0 }).join('\n'), /no request completed/);
  });
  it('leaks: upstream sockets left, fd growth beyond slack, open connections, in flight', () => {
    const ok = { upstream: {}, fds: 30, fdsBefore: 25, connections: 0, inFlight: 0 };
    assert.deepEqual(leakProblems(ok), []);
    assert.deepEqual(leakProblems({ ...ok, upstream: { TIME_WAIT: 0 } }), []);
    const p = leakProblems({ upstream: { ESTABLISHED: 3, CLOSE_WAIT: 1 }, fds: 40, fdsBefore: 25, connections: 2, inFlight: 1 });
    assert.equal(p.length, 4);
    assert.match(p[0]!, /3 ESTABLISHED, 1 CLOSE_WAIT/);
  });
  it('reads unlabelled metrics', () => {
    const text = '# HELP waygate_connections x\nwaygate_connections 3\nwaygate_connections_total 9\nwaygate_requests_in_flight 0\n';
    assert.equal(metricValue(text, 'waygate_connections'), 3);
    assert.equal(metricValue(text, 'waygate_requests_in_flight'), 0);
    assert.equal(metricValue(text, 'waygate_missing'), null);
  });
});

describe('soak clients', () => {
  it('abort thresholds: one in four before the answer, others 16–128 KiB', () => {
    const xs = Array.from({ length: 16 }, (_, i) => abortAfterBytes(i));
    assert.equal(xs.filter((x) => x === 0).length, 4);
    assert.ok(xs.every((x) => x === 0 || (x >= 16 * 1024 && x <= 128 * 1024)));
  });
  it('response length from Content-Length', () => {
    assert.equal(responseLength('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n', 40), 140);
    assert.equal(responseLength('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n', 40), null);
  });
});

describe('multicore scaling', () => {
  const run = (target: string, variant: string, round: number, rps: number, usPerReq: number, rejected = false): ProxyRun => ({
    variant, round, target, rps, requests: rps, p50Ms: 1, p99Ms: 2, non2xx: 0, socketErrors: 0, proxyCpuS: 1, usPerReq,
    usPerReqWithSoftirq: null, proxyCoreBusy: 1, rpsPerBusyCore: null, steal: {}, rssMiB: 1, otherOnProxyCore: 0, rejected, rejectReason: rejected ? 'steal' : null,
  });
  it('per-round ratios of the 2-worker setup to the 1-worker setup, rejected runs left out', () => {
    const runs = [
      run('waygate', 'w1', 0, 100, 40), run('waygate', 'w2', 0, 150, 44),
      run('waygate', 'w1', 1, 200, 40), run('waygate', 'w2', 1, 300, 48),
      run('waygate', 'w1', 2, 1, 1, true), run('waygate', 'w2', 2, 999, 1),
      run('nginx', 'w1', 0, 1000, 10),
    ];
    const [w, n] = scalingRows(runs, ['waygate', 'nginx'], 'w1', 'w2');
    assert.equal(w!.rpsScaling, 1.5);
    assert.ok(Math.abs(w!.cpuPerReqRatio! - 1.15) < 1e-9);
    assert.equal(w!.rpsFrom, 150);
    assert.equal(n!.rpsTo, null);
    assert.equal(n!.rpsScaling, null);
  });
});

describe('arguments', () => {
  it('knows the multicore and soak scenarios', () => {
    assert.deepEqual(parseBenchArgs(['multicore', 'soak']).scenarios, ['multicore', 'soak']);
    assert.ok(parseBenchArgs([]).scenarios.includes('soak'));
  });
});
