/**
 * Unit tests of the benchmark harness's pure parts: wrk parsing, /proc parsing and steal, ratio
 * math, the response parser of the load generator, argument parsing and summary rendering.
 * No apt, no nginx, no network.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { proxyTable, summarizeProxyRuns } from './lib/aggregate.js';
import { parseBenchArgs } from './lib/args.js';
import { ResponseParser } from './lib/http-response-parser.js';
import { requestFor, routeManifest, scaleRoutes } from './lib/manifests.js';
import { rotate } from './lib/measure.js';
import { cpuSecondsDelta, cpuShares, maxSteal, parsePidStat, parseProcStat, parseRssKiB, processTree, type PidStat } from './lib/proc-stat.js';
import type { ProxyRun, RunResults } from './lib/results.js';
import { median, medianRoundRatio, percentile, ratio } from './lib/stats.js';
import { formatCell, renderSummary } from './lib/summary.js';
import { parseWrkOutput, wrkTimeToMs } from './lib/wrk.js';
import { latencyTable } from './scenarios/latency.js';

const WRK = `Running 6s test @ http://127.0.0.1:8081/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02ms    2.10ms  45.67ms   97.12%
    Req/Sec    55.12k     3.21k   60.00k    80.00%
  Latency Distribution
     50%  812.00us
     75%    1.01ms
     90%    1.30ms
     99%   12.50ms
  330123 requests in 6.00s, 45.00MB read
  Non-2xx or 3xx responses: 12
  Socket errors: connect 0, read 3, write 1, timeout 2
Requests/sec:  55020.50
Transfer/sec:      7.50MB
`;

describe('wrk output', () => {
  it('parses rps, totals, percentiles, errors', () => {
    const r = parseWrkOutput(WRK);
    assert.equal(r.rps, 55020.5);
    assert.equal(r.requests, 330123);
    assert.equal(r.durationS, 6);
    assert.deepEqual(r.latencyMs, { p50: 0.812, p75: 1.01, p90: 1.3, p99: 12.5 });
    assert.equal(r.non2xx3xx, 12);
    assert.deepEqual(r.socketErrors, { connect: 0, read: 3, write: 1, timeout: 2 });
    assert.equal(r.transferPerSec, '7.50MB');
  });
  it('defaults counters when wrk prints none, and rejects garbage', () => {
    const clean = WRK.replace(/ {2}Non-2xx.*\n/, '').replace(/ {2}Socket errors.*\n/, '');
    const r = parseWrkOutput(clean);
    assert.equal(r.non2xx3xx, 0);
    assert.deepEqual(r.socketErrors, { connect: 0, read: 0, write: 0, timeout: 0 });
    assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused'), /unrecognised wrk output/);
  });
  it('converts wrk durations', () => {
    assert.equal(wrkTimeToMs('250.00us'), 0.25);
    assert.equal(wrkTimeToMs('2.00s'), 2000);
    assert.equal(wrkTimeToMs('1.50m'), 90_000);
    assert.equal(wrkTimeToMs('fast'), null);
  });
});

describe('/proc parsing', () => {
  const before = parseProcStat(`cpu  100 0 100 1000 0 0 0 0 0 0
cpu0 50 0 50 500 0 0 0 0 0 0
cpu1 50 0 50 500 0 0 0 0 0 0
intr 12345
`);
  const after = parseProcStat(`cpu  300 0 300 1500 0 0 0 0 0 0
cpu0 110 0 40 530 10 5 5 0 0 0
cpu1 130 0 70 560 0 0 20 20 0 0
`);
  it('reads per-core lines only', () => {
    assert.deepEqual([...before.keys()], ['cpu0', 'cpu1']);
    assert.equal(after.get('cpu1')!.steal, 20);
  });
  it('computes busy, softirq and steal shares over the window', () => {
    const s = cpuShares(before, after);
    // cpu1: user 80 + system 20 + softirq 20 = 120 busy, idle 60, steal 20 → 200 ticks
    assert.equal(s.get('cpu1')!.ticks, 200);
    assert.equal(s.get('cpu1')!.busy, 0.6);
    assert.equal(s.get('cpu1')!.steal, 0.1);
    assert.equal(s.get('cpu1')!.softirq, 0.1);
    assert.equal(s.get('cpu1')!.idle, 0.3);
    // cpu0: system went backwards (counter reset) → clamped to 0, not negative
    assert.equal(s.get('cpu0')!.steal, 0);
    assert.equal(maxSteal(s), 0.1);
    assert.equal(maxSteal(s, ['cpu0']), 0);
  });
  it('parses /proc/<pid>/stat with spaces and parentheses in the command name', () => {
    const line = '4242 (nginx: worker (x) y) S 4241 4241 4241 0 -1 4194624 100 0 0 0 250 75 0 0 20 0 1 0 123 0 0';
    assert.deepEqual(parsePidStat(line), { pid: 4242, ppid: 4241, utime: 250, stime: 75 });
    assert.equal(parsePidStat('garbage'), null);
  });
  it('walks a process tree and sums CPU deltas per pid', () => {
    const stats = new Map<number, PidStat>([
      [10, { pid: 10, ppid: 1, utime: 0, stime: 0 }],
      [11, { pid: 11, ppid: 10, utime: 0, stime: 0 }],
      [12, { pid: 12, ppid: 11, utime: 0, stime: 0 }],
      [20, { pid: 20, ppid: 1, utime: 0, stime: 0 }],
    ]);
    assert.deepEqual(processTree(10, stats).sort(), [10, 11, 12]);
    assert.deepEqual(processTree(99, stats), []);
    // pid 12 appeared during the window: counted from zero; pid 11 exited: ignored
    const d = cpuSecondsDelta(new Map([[10, 100], [11, 50]]), new Map([[10, 150], [12, 25]]));
    assert.equal(d, 0.75);
  });
  it('reads VmRSS', () => {
    assert.equal(parseRssKiB('Name:\tnode\nVmRSS:\t  102400 kB\nVmData: 1 kB\n'), 102400);
    assert.equal(parseRssKiB('Name:\tkthread\n'), 0);
  });
});

describe('statistics and ratios', () => {
  it('median, percentile, ratio', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([null, Number.NaN]), null);
    assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
    assert.equal(percentile(Array.from({ length: 1000 }, (_, i) => i + 1), 99.9), 999);
    assert.equal(ratio(1, 0), null);
    assert.equal(ratio(3, 4), 0.75);
  });
  it('takes the median of per-round ratios, not the ratio of medians', () => {
    const rounds = [
      new Map([['nginx', 100], ['waygate', 30]]),
      new Map([['nginx', 50], ['waygate', 20]]), // a noisy round hits both
      new Map([['nginx', 100]]), // waygate missing: skipped
      new Map([['nginx', 80], ['waygate', 28]]),
    ];
    assert.equal(medianRoundRatio(rounds, 'waygate', 'nginx', (v) => v), 0.35);
  });
});

function run(target: string, roundNo: number, rps: number, us: number, rejected = false): ProxyRun {
  return {
    variant: 'small', round: roundNo, target, rps, requests: rps * 6, p50Ms: 1, p99Ms: 5, non2xx: 0, socketErrors: 0,
    proxyCpuS: null, usPerReq: us, usPerReqWithSoftirq: us + 2, proxyCoreBusy: 0.9, rpsPerBusyCore: rps / 0.9, steal: { cpu0: rejected ? 0.3 : 0.01, cpu1: 0.02 }, rssMiB: 20, otherOnProxyCore: 0, rejected, rejectReason: rejected ? 'steal' : null,
  };
}

describe('http1 aggregation', () => {
  const runs = [
    run('nginx', 0, 50_000, 20), run('waygate', 0, 15_000, 70),
    run('nginx', 1, 60_000, 22), run('waygate', 1, 20_000, 55),
    run('nginx', 2, 10_000, 90, true), run('waygate', 2, 9_000, 95, true),
  ];
  it('excludes rejected rounds and compares within rounds', () => {
    const rows = summarizeProxyRuns(runs, ['nginx']);
    const w = rows.find((r) => r.target === 'waygate')!;
    assert.equal(w.runs, 3);
    assert.equal(w.rejected, 1);
    assert.equal(w.rps, 17_500);
    assert.equal(w.usPerReq, 62.5);
    // rps ratios 0.3 and 1/3 → median 0.31666…
    assert.ok(Math.abs(w.rpsRatio['nginx']! - (0.3 + 1 / 3) / 2) < 1e-9);
    // CPU efficiency: nginx µs / waygate µs = 20/70 and 22/55 → median
    assert.ok(Math.abs(w.cpuRatio['nginx']! - (20 / 70 + 22 / 55) / 2) < 1e-9);
    assert.equal(rows.find((r) => r.target === 'nginx')!.rpsRatio['nginx'], 1);
    assert.equal(w.usedRejected, false);
  });
  it('falls back to rejected rounds (flagged) when nothing else exists', () => {
    const rows = summarizeProxyRuns([run('nginx', 0, 100, 10, true), run('waygate', 0, 30, 40, true)], ['nginx']);
    assert.equal(rows[1]!.usedRejected, true);
    assert.equal(rows[1]!.rpsRatio['nginx'], 0.3);
    const t = proxyTable('t', rows, ['nginx']);
    assert.match(String(t.rows[1]![1]), /all rounds over steal limit/);
  });
});

describe('latency table', () => {
  it('reports added latency as the median of per-round differences to direct', () => {
    const lr = (p50: number) => ({
      durationS: 1, sent: 10, completed: 10, rps: 10, statuses: { 200: 10 }, non2xx: 0, errors: {}, droppedConnections: 0, connectionsOpened: 1,
      latencyMs: { p50, p90: p50, p99: p50, p999: p50, max: p50, mean: p50 },
      correctedLatencyMs: { p50, p90: p50, p99: p50, p999: p50, max: p50, mean: p50 },
    });
    const runs = [
      { round: 0, target: 'direct', load: lr(0.1), steal: {}, rejected: false },
      { round: 0, target: 'waygate', load: lr(0.4), steal: {}, rejected: false },
      { round: 1, target: 'direct', load: lr(0.3), steal: {}, rejected: false },
      { round: 1, target: 'waygate', load: lr(0.5), steal: {}, rejected: false },
    ];
    const t = latencyTable(runs, ['direct', 'waygate']);
    assert.equal(t.rows[0]![6], null);
    assert.ok(Math.abs((t.rows[1]![6] as number) - 0.25) < 1e-9); // (0.3 + 0.2) / 2
  });
});

describe('load generator response parser', () => {
  it('handles Content-Length bodies split across reads and back-to-back responses', () => {
    const p = new ResponseParser();
    const a = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel';
    assert.deepEqual(p.push(Buffer.from(a)), []);
    assert.equal(p.midResponse, true);
    const rs = p.push(Buffer.from('loHTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n'));
    assert.deepEqual(rs, [{ status: 200, keepAlive: true, bodyBytes: 5 }, { status: 404, keepAlive: true, bodyBytes: 0 }]);
    assert.equal(p.midResponse, false);
  });
  it('handles chunked bodies byte by byte, and Connection: close', () => {
    const p = new ResponseParser();
    const text = 'HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\nabcd\r\na;x=y\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n';
    const out = [];
    for (const ch of Buffer.from(text)) out.push(...p.push(Buffer.from([ch])));
    assert.deepEqual(out, [{ status: 503, keepAlive: false, bodyBytes: 14 }]);
  });
  it('skips 1xx, reads until close without a length, and rejects garbage', () => {
    const p = new ResponseParser();
    assert.deepEqual(p.push(Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\nbody')), []);
    assert.deepEqual(p.end(), { status: 200, keepAlive: false, bodyBytes: 4 });
    assert.throws(() => new ResponseParser().push(Buffer.from('SSH-2.0-x\r\n\r\n')), /bad status line/);
  });
});

describe('arguments', () => {
  it('defaults, smoke and explicit values', () => {
    const d = parseBenchArgs([]);
    assert.deepEqual([d.rounds, d.durationS, d.smoke, d.install], [3, 6, false, true]);
    assert.ok(d.scenarios.includes('http1') && d.scenarios.includes('churn'));
    const s = parseBenchArgs(['--smoke', 'routes']);
    assert.deepEqual([s.rounds, s.durationS, s.scenarios, s.routeCounts], [1, 1, ['routes'], [100]]);
    const e = parseBenchArgs(['http1', '--rounds', '5', '--duration', '10', '--routes', '1000,2000', '--no-install']);
    assert.deepEqual([e.rounds, e.durationS, e.routeCounts, e.install], [5, 10, [1000, 2000], false]);
    assert.throws(() => parseBenchArgs(['nope']), /unknown scenario/);
    assert.throws(() => parseBenchArgs(['--rounds', 'x']), /--rounds must be a number/);
  });
});

describe('manifests', () => {
  it('generates n distinct deterministic host/prefix routes', () => {
    const a = scaleRoutes(1000, 'backend');
    assert.equal(a.length, 1000);
    assert.deepEqual(a, scaleRoutes(1000, 'backend'));
    assert.equal(new Set(a.map((r) => `${r.hostname} ${r.pathPrefix}`)).size, 1000);
    assert.ok(a.some((r) => r.hostname!.startsWith('*.')));
    const req = requestFor(a.find((r) => r.hostname!.startsWith('*.'))!, 3);
    assert.match(req.host, /^app3\.tenant\d+\.bench\.test$/);
    assert.match(routeManifest(a[0]!), /kind: HTTPRoute[\s\S]*hostnames:\n {2}- "svc0\.bench\.test"[\s\S]*value: \/\n/);
  });
  it('rotates the target order per round', () => {
    assert.deepEqual(rotate(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
    assert.deepEqual(rotate(['a', 'b', 'c'], 5), ['c', 'a', 'b']);
  });
});

describe('summary rendering', () => {
  it('renders the run facts and each scenario table', () => {
    const r: RunResults = {
      meta: {
        startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z', command: 'npm run bench -- --smoke', smoke: true,
        rounds: 1, durationS: 1, maxSteal: 0.1, cpuPlan: 'proxy on core 1', cores: 2, versions: { nginx: '1.22.1' },
        installNotes: [], installSeconds: 0, waygate: 'src/cli/main.ts',
      },
      scenarios: [{
        name: 'http1', status: 'ok', notes: ['a note'], seconds: 2, data: null,
        tables: [{ title: 'T', headers: ['target', 'rps', 'ratio'], rows: [['nginx', 55078.4, 1], ['wa|ygate', 16000, 0.2912], ['x', null, 12.34]] }],
      }],
    };
    const md = renderSummary(r);
    assert.match(md, /^# waygate benchmark — 2026-01-01T00:00:00.000Z \(smoke/);
    assert.match(md, /## http1 — ok \(2\.0 s\)/);
    assert.match(md, /\| target \| rps \| ratio \|\n\|---\|---\|---\|/);
    assert.match(md, /\| nginx \| 55,078 \| 1 \|/);
    assert.match(md, /\| wa\\\|ygate \| 16,000 \| 0\.29 \|/);
    assert.match(md, /\| x \| n\/a \| 12\.3 \|/);
    assert.equal(formatCell(Number.POSITIVE_INFINITY), 'n/a');
  });
});

describe('load generator against a misbehaving local server', () => {
  it('counts non-2xx, server-closed keep-alive connections and reconnects (fixed rate)', async () => {
    const { createServer } = await import('node:http');
    const { runLoad } = await import('./lib/loadgen.js');
    let n = 0;
    const server = createServer((req, res) => {
      n++;
      if (n % 10 === 0) res.setHeader('connection', 'close'); // a proxy dropping keep-alive
      res.statusCode = n % 7 === 0 ? 503 : 200;
      res.end(req.headers.host === 'h.test' ? 'ok' : 'wrong host');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await runLoad({ address: '127.0.0.1', port, targets: [{ host: 'h.test', path: '/' }], connections: 2, durationMs: 400, rate: 200, timeoutMs: 1000 });
      assert.ok(r.completed >= 40 && r.completed <= 90, `completed ${r.completed}`);
      assert.equal(r.sent, r.completed);
      assert.equal(r.non2xx, r.statuses['503'] ?? 0);
      assert.ok(r.non2xx >= 5, `non2xx ${r.non2xx}`);
      assert.ok(r.droppedConnections >= 4, `dropped ${r.droppedConnections}`);
      assert.equal(r.connectionsOpened, 2 + r.droppedConnections);
      assert.deepEqual(r.errors, {});
      assert.ok(r.latencyMs.p50 !== null && r.latencyMs.p50 < 50);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
