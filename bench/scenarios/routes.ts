/**
 * `routes`: route scale at 1k, 5k and 10k HTTPRoutes (one hostname + one PathPrefix each,
 * n/5 hostnames, every 10th a wildcard; files of 100 routes).
 * - In-process (bench/routes-worker.ts, pinned to the quiet core): load+validate time, full
 *   translate() time, data plane compileServer() time, cost of one routeRequest() over a
 *   90%-hit / 10%-unknown-host request mix.
 * - `waygate serve` on the same directory: time from start to the first 200, and RSS of the
 *   serve process tree; RSS per 1k routes = (RSS(n) − RSS(1 route)) ÷ n × 1000.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_ADDRESSES, type BenchContext } from '../lib/context.js';
import { pinned } from '../lib/cpus.js';
import { baseManifests, requestFor, routeManifest, scaleRoutes, serviceManifest, yamlStream, type RouteSpec } from '../lib/manifests.js';
import { treeRssMiB } from '../lib/proc-stat.js';
import type { ScenarioResult } from '../lib/results.js';
import { round } from '../lib/stats.js';
import { message, result } from './common.js';
import { trackTransient } from '../lib/processes.js';

interface Row {
  n: number;
  worker: Record<string, unknown>;
  serveStartS: number | null;
  rssMiB: number | null;
  rssPer1kMiB: number | null;
  error: string | null;
}

export async function runRoutes(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  const notes: string[] = [];
  const rows: Row[] = [];
  const backendPort = ctx.has('nginx') ? (await ctx.backend()).port : 9;
  let baseline: number | null = null;
  try {
    baseline = (await serveRss(ctx, 0, backendPort)).rssMiB;
  } catch (e) {
    notes.push(`waygate serve not measured: ${message(e)}`);
  }
  for (const n of ctx.opts.routeCounts) {
    const row: Row = { n, worker: {}, serveStartS: null, rssMiB: null, rssPer1kMiB: null, error: null };
    const dir = writeRoutesDir(ctx, `routes-${n}`, n, backendPort, GATEWAY_ADDRESSES.routes, 18080);
    row.worker = await runWorker(ctx, dir, n);
    if (typeof row.worker['error'] === 'string') notes.push(`${n} routes, in-process: ${row.worker['error']}`);
    else if (typeof row.worker['irRules'] === 'number' && row.worker['irRules'] < n) {
      notes.push(`${n} routes: the IR holds only ${row.worker['irRules']} rules (load issues: ${String(row.worker['loadIssues'])}) — translate times do not cover every route`);
    }
    if (baseline !== null) {
      try {
        const s = await serveRss(ctx, n, backendPort);
        row.serveStartS = s.startS;
        row.rssMiB = s.rssMiB;
        row.rssPer1kMiB = n > 0 ? round(((s.rssMiB - baseline) / n) * 1000, 2) : null;
      } catch (e) {
        row.error = message(e);
        notes.push(`${n} routes, serve: ${row.error}`);
      }
    }
    rows.push(row);
    ctx.log(`routes: ${n} done`);
  }
  notes.push(
    `translate/compile: median of ${ctx.opts.smoke ? 1 : 5} warm runs after a cold one (full), and of 3× as many runs adding one new route to the n with the caches a hot reload uses (cached); match: ns per routeRequest() over ${ctx.opts.smoke ? '100k' : '2M'} lookups, median of 3`,
    `RSS baseline (1 route): ${baseline === null ? 'n/a' : `${baseline.toFixed(1)} MiB`}; anchors: ≤0.5 µs per match and ≤50 ms rebuild at 10k routes (performance notes B.8)`,
  );
  const num = (w: Record<string, unknown>, k: string): number | null => (typeof w[k] === 'number' ? (w[k] as number) : null);
  const table = {
    title: 'Route scale',
    headers: ['routes', 'load+validate ms', 'translate ms (cold)', 'translate ms', 'translate ms, one new route (cached)', 'compile ms (cold)', 'compile ms', 'compile ms, one new route (cached)', 'IR rules', 'match ns', 'hit rate', 'serve: start → first 200 s', 'serve RSS MiB', 'RSS per 1k routes MiB'],
    rows: rows.map((r) => [
      r.n, num(r.worker, 'loadMs'), num(r.worker, 'translateColdMs'), num(r.worker, 'translateMs'), num(r.worker, 'translateOneNewMs'), num(r.worker, 'compileColdMs'),
      num(r.worker, 'compileMs'), num(r.worker, 'compileOneNewMs'), num(r.worker, 'irRules'), num(r.worker, 'matchNs'), num(r.worker, 'hitRate'),
      r.serveStartS, r.rssMiB, r.rssPer1kMiB,
    ]),
  };
  const complete = rows.every((r) => r.error === null && r.worker['error'] === undefined) && baseline !== null;
  return result('routes', complete ? 'ok' : 'partial', t0, notes, [table], { baselineRssMiB: baseline, rows });
}

/** Writes a config directory: base manifests + the backend Service + n routes in files of 100. */
export function writeRoutesDir(ctx: BenchContext, tag: string, n: number, backendPort: number, address: string, port: number): string {
  const dir = ctx.dir(tag, 'config');
  writeFileSync(join(dir, '00-base.yaml'), yamlStream([
    baseManifests({ address, port }),
    serviceManifest({ name: 'backend', addresses: ['127.0.0.1'], targetPort: backendPort }),
  ]));
  writeRouteFiles(dir, n === 0 ? [probeRoute()] : scaleRoutes(n, 'backend'));
  return dir;
}

function probeRoute(): RouteSpec {
  return { name: 'probe', hostname: 'svc0.bench.test', pathPrefix: '/', service: 'backend' };
}

/** Writes routes as `routes-NNN.yaml`, 100 per file. */
export function writeRouteFiles(dir: string, routes: readonly RouteSpec[]): void {
  for (let i = 0; i < routes.length; i += 100) {
    const chunk = routes.slice(i, i + 100).map(routeManifest);
    writeFileSync(join(dir, `routes-${String(i / 100).padStart(3, '0')}.yaml`), yamlStream(chunk));
  }
}

function runWorker(ctx: BenchContext, dir: string, n: number): Promise<Record<string, unknown>> {
  const input = { dir, n, address: GATEWAY_ADDRESSES.routes, samples: ctx.opts.smoke ? 1 : 5, matchIterations: ctx.opts.smoke ? 100_000 : 2_000_000 };
  const argv = pinned(ctx.cpus.proxy, [process.execPath, '--import', 'tsx', join(ctx.repoRoot, 'bench/routes-worker.ts'), JSON.stringify(input)]);
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: ctx.repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    trackTransient(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Record<string, unknown>);
      } catch {
        resolve({ error: `routes worker exited ${code}: ${err.trim().slice(-400)}` });
      }
    });
  });
}

/** Starts waygate on an n-route directory, waits for a routed 200, reads RSS, stops it. */
async function serveRss(ctx: BenchContext, n: number, backendPort: number): Promise<{ startS: number; rssMiB: number }> {
  const started = performance.now();
  const first = n === 0 ? probeRoute() : scaleRoutes(n, 'backend')[0]!;
  const w = await ctx.startWaygateWith(`serve-${n}`, GATEWAY_ADDRESSES.routes, (address, port) => [
    baseManifests({ address, port }),
    serviceManifest({ name: 'backend', addresses: ['127.0.0.1'], targetPort: backendPort }),
  ], requestFor(first, 0), 30_000 + 20 * n, (dir) => writeRouteFiles(dir, n === 0 ? [probeRoute()] : scaleRoutes(n, 'backend')));
  const startS = round((performance.now() - started) / 1000, 2)!;
  await new Promise((r) => setTimeout(r, 500)); // let start-up garbage settle a little
  const rssMiB = round(treeRssMiB([w.managed.pid]), 1)!;
  await ctx.pm.stop(w.managed);
  return { startS, rssMiB };
}
