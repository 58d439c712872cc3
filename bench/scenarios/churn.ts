/**
 * `churn`: continuous load while the configuration changes underneath it. The bar is zero:
 * every non-2xx answer, every socket or TLS error, every keep-alive or WebSocket connection the
 * proxy closes, every missed WebSocket echo is counted.
 *
 * One Gateway, two listeners: HTTP and HTTPS (no hostname, so every route serves on both; the
 * certificate for `*.bench.test` comes from a Secret issued by a test CA). Traffic, all from
 * the load core:
 * - HTTP/1.1 keep-alive and HTTPS keep-alive (two Node generators, closed loop; HTTPS verified
 *   against the CA with SNI) to hosts whose routes stay valid throughout: `stable-*` (never
 *   touched), `edited-*` (each rewritten every 10th step: a header filter changes and the
 *   backend alternates between two Services) and `ep-*` (its Service's endpoints churn between
 *   127.0.0.1, both, and 127.0.0.2 — always at least one);
 * - a handshake prober: a new TLS connection every 25 ms, recording which certificate it got;
 * - WebSocket connections (half ws://, half wss://) to an echo backend behind a route that is
 *   never removed (but edited: its header filter changes every 10th step), each sending a
 *   message every 100 ms and checking the echo; closed at the end.
 * Changes: one every 100 ms (route edit, endpoint change, route added/removed) on top of a bulk
 * of 1k routes, and every 10 steps (5 in smoke) the certificate Secret's file is rewritten with
 * a new certificate. New handshakes after a rotation must get the new certificate; existing
 * keep-alive and WebSocket connections must survive it.
 */
import { join } from 'node:path';
import { certName, httpsListener, makeRotationCerts, tlsSecretManifest } from '../lib/churn-tls.js';
import { GATEWAY_ADDRESSES, type BenchContext } from '../lib/context.js';
import { removeFile, Ticker, writeAtomic } from '../lib/churner.js';
import { runLoadChild } from '../lib/loadgen-child.js';
import type { LoadResult, LoadTarget } from '../lib/loadgen.js';
import { baseManifests, routeManifest, scaleRoutes, serviceManifest, yamlStream, type RouteSpec } from '../lib/manifests.js';
import { freePort } from '../lib/ports.js';
import { sleep, waitForPort, type Managed } from '../lib/processes.js';
import type { ScenarioResult } from '../lib/results.js';
import { checkRotation, type Rotation, type RotationReport } from '../lib/rotation-check.js';
import { round } from '../lib/stats.js';
import { HandshakeProbe, probeOnce, type ProbeCounts } from '../lib/tls-probe.js';
import type { WaygateInstance } from '../lib/waygate.js';
import { WsClients, type WsCounts } from '../lib/ws-clients.js';
import { message, result } from './common.js';
import { writeRouteFiles } from './routes.js';

const ENDPOINT_SETS = [['127.0.0.1'], ['127.0.0.1', '127.0.0.2'], ['127.0.0.2'], ['127.0.0.2', '127.0.0.1']];
/** Churn step of the first rotation: 1 s in, once the load generators (child processes) run. */
const FIRST_ROTATION_STEP = 10;
const WS_HOST = 'ws.bench.test';
const PROBE_HOST = 'stable-1.bench.test';
const PROBE_INTERVAL_MS = 25;
const WS_INTERVAL_MS = 100;
const WS_ECHO_TIMEOUT_MS = 2000;

export async function runChurn(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  if (!ctx.has('nginx')) return result('churn', 'skipped', t0, ['needs nginx (the backend)'], [], null);
  const { port: bport } = await ctx.backend();
  const smoke = ctx.opts.smoke;
  const bulk = smoke ? 50 : 1000;
  const durationMs = smoke ? 3000 : Math.max(10, ctx.opts.durationS * 2) * 1000;
  const connections = smoke ? 4 : 20;
  const tlsConnections = smoke ? 2 : 10;
  const wsConnections = smoke ? 4 : 20;
  // Rotations every `rotateEvery` steps from FIRST_ROTATION_STEP, the last one `tailMs` before the end.
  const rotateEvery = smoke ? 5 : 10;
  const tailMs = smoke ? 1000 : 2000;
  const plannedRotations = Math.max(1, Math.floor((durationMs - FIRST_ROTATION_STEP * 100 - tailMs) / (rotateEvery * 100)) + 1);
  const tls = makeRotationCerts(plannedRotations + 1);

  const address = GATEWAY_ADDRESSES.churn;
  const httpsPort = await freePort(address);
  const wsPort = await freePort('127.0.0.1');
  const wsDir = ctx.dir('ws-echo');
  const echo = ctx.pm.start({
    name: 'ws-echo', argv: [process.execPath, '--import', 'tsx', join(ctx.repoRoot, 'bench/ws-echo-main.ts'), '127.0.0.1', String(wsPort)],
    cpu: ctx.cpus.load, cwd: ctx.repoRoot, logFile: join(wsDir, 'ws-echo.log'),
  });
  const stopAll = async (...ms: Managed[]): Promise<void> => { for (const m of ms) await ctx.pm.stop(m); };
  try {
    await waitForPort('127.0.0.1', wsPort, 15_000, echo);
  } catch (e) {
    await stopAll(echo);
    return result('churn', 'skipped', t0, [`WebSocket echo backend not listening: ${message(e)}`], [], null);
  }

  const services = (eps: readonly string[]): string => yamlStream([
    serviceManifest({ name: 'backend', addresses: ['127.0.0.1'], targetPort: bport }),
    serviceManifest({ name: 'backend-ep', addresses: eps, targetPort: bport }),
    serviceManifest({ name: 'ws-echo', addresses: ['127.0.0.1'], targetPort: wsPort }),
  ]);
  /** Version `n` of route edited-i: the header value changes and the backend alternates. */
  const edited = (i: number, n: number): RouteSpec => ({
    name: `edited-${i}`, hostname: `edited-${i}.bench.test`, pathPrefix: '/',
    service: n % 2 === 0 ? 'backend' : 'backend-ep', setHeader: { name: 'x-edit', value: String(n) },
  });
  const fixed: RouteSpec[] = [
    ...[0, 1, 2, 3].map((i) => ({ name: `stable-${i}`, hostname: `stable-${i}.bench.test`, pathPrefix: '/', service: 'backend' })),
    ...[0, 1].map((i) => ({ name: `ep-${i}`, hostname: `ep-${i}.bench.test`, pathPrefix: '/', service: 'backend-ep' })),
  ];
  const wsRoute = (n: number): RouteSpec => ({ name: 'ws', hostname: WS_HOST, pathPrefix: '/', service: 'ws-echo', setHeader: { name: 'x-edit', value: String(n) } });
  let w: WaygateInstance;
  try {
    w = await ctx.startWaygateWith('churn', address, (addr, port) => {
      if (port === httpsPort) throw new Error(`HTTP and HTTPS listeners got the same free port ${port}; run again`);
      return [`${baseManifests({ address: addr, port })}${httpsListener(httpsPort)}`];
    }, { host: 'edited-3.bench.test', path: '/' }, 30_000 + 20 * bulk, (dir) => {
      writeAtomic(dir, '01-services.yaml', services(ENDPOINT_SETS[0]!));
      writeAtomic(dir, '02-fixed.yaml', yamlStream(fixed.map(routeManifest)));
      writeAtomic(dir, '02-ws.yaml', yamlStream([routeManifest(wsRoute(0))]));
      for (let i = 0; i < 4; i++) writeAtomic(dir, `03-edited-${i}.yaml`, yamlStream([routeManifest(edited(i, 0))]));
      writeAtomic(dir, '05-tls-secret.yaml', tlsSecretManifest(tls.certs[0]!));
      writeRouteFiles(dir, scaleRoutes(bulk, 'backend'));
    });
  } catch (e) {
    await stopAll(echo);
    return result('churn', 'skipped', t0, [`waygate not serving: ${message(e)}`], [], null);
  }
  const probeOpts = { address, port: httpsPort, servername: PROBE_HOST, path: '/', ca: tls.ca.cert, timeoutMs: 5000 };
  let ready = await probeOnce(probeOpts);
  for (const end = Date.now() + 10_000; ready.status !== 200 && Date.now() < end; ready = await probeOnce(probeOpts)) await sleep(50);
  if (ready.status !== 200) {
    await stopAll(w.managed, echo);
    return result('churn', 'skipped', t0, [`HTTPS listener not serving: ${ready.error ?? `status ${ready.status}`}`], [], null);
  }

  const counts = { edits: 0, endpointChanges: 0, adds: 0, removes: 0 };
  const rotations: Rotation[] = [];
  const ticker = new Ticker(100, (step) => {
    const r = step - FIRST_ROTATION_STEP;
    if (r >= 0 && r % rotateEvery === 0 && rotations.length < plannedRotations) {
      const i = rotations.length + 1;
      writeAtomic(w.dir, '05-tls-secret.yaml', tlsSecretManifest(tls.certs[i]!));
      rotations.push({ at: Date.now(), cn: certName(i) });
    }
    switch (step % 4) {
      case 0:
      case 2: {
        // Edits go round edited-0..3 and the ws route; n: how many times this one was edited.
        const i = (step >> 1) % 5;
        const n = Math.floor((step >> 1) / 5) + 1;
        if (i === 4) writeAtomic(w.dir, '02-ws.yaml', yamlStream([routeManifest(wsRoute(n))]));
        else writeAtomic(w.dir, `03-edited-${i}.yaml`, yamlStream([routeManifest(edited(i, n))]));
        counts.edits++;
        break;
      }
      case 1:
        writeAtomic(w.dir, '01-services.yaml', services(ENDPOINT_SETS[(step >> 2) % ENDPOINT_SETS.length]!));
        counts.endpointChanges++;
        break;
      default: {
        const k = step >> 2;
        writeAtomic(w.dir, `04-added-${k}.yaml`, yamlStream([routeManifest({ name: `added-${k}`, hostname: `added-${k}.bench.test`, pathPrefix: '/', service: 'backend' })]));
        counts.adds++;
        if (k >= 3) {
          removeFile(w.dir, `04-added-${k - 3}.yaml`);
          counts.removes++;
        }
      }
    }
  });
  const targets: LoadTarget[] = [...fixed, ...[0, 1, 2, 3].map((i) => edited(i, 0))].map((r) => ({ host: r.hostname!, path: '/' }));
  const wsOpts = { host: WS_HOST, connections: wsConnections / 2, intervalMs: WS_INTERVAL_MS, echoTimeoutMs: WS_ECHO_TIMEOUT_MS };
  const ws = new WsClients({ ...wsOpts, url: `ws://${address}:${w.port}/`, tag: 'ws' });
  const wss = new WsClients({ ...wsOpts, url: `wss://${address}:${httpsPort}/`, ca: tls.ca.cert, tag: 'wss' });
  const probe = new HandshakeProbe({ ...probeOpts, intervalMs: PROBE_INTERVAL_MS });
  let load: LoadResult;
  let loadTls: LoadResult;
  let wsCounts: WsCounts;
  let wssCounts: WsCounts;
  let probeCounts: ProbeCounts;
  try {
    await Promise.all([ws.start(), wss.start()]);
    probe.start();
    ticker.start();
    const common = { address, targets, durationMs, rate: null, timeoutMs: 5000 };
    [load, loadTls] = await Promise.all([
      runLoadChild(ctx.repoRoot, ctx.cpus.load, { ...common, port: w.port, connections }),
      runLoadChild(ctx.repoRoot, ctx.cpus.load, { ...common, port: httpsPort, connections: tlsConnections, tls: { ca: tls.ca.cert, servername: 'stable-0.bench.test' } }),
    ]);
  } finally {
    ticker.stop();
    [wsCounts, wssCounts, probeCounts] = await Promise.all([ws.stop(), wss.stop(), probe.stop()]);
    await stopAll(w.managed, echo);
  }
  const rotation = checkRotation(certName(0), rotations, probe.handshakes);

  const errorCount = (e: Record<string, number>): number => Object.values(e).reduce((a, b) => a + b, 0);
  const statuses = (s: Record<string, number>): string => Object.entries(s).map(([k, v]) => `${k}×${v}`).join(' ') || '-';
  const kv = (s: Record<string, number>): string => Object.entries(s).map(([k, v]) => `${k}×${v}`).join(', ');
  const loadRow = (name: string, n: number, l: LoadResult): (string | number | null)[] => [
    name, `${n} (opened ${l.connectionsOpened})`, l.completed, statuses(l.statuses), l.non2xx, errorCount(l.errors), l.droppedConnections,
  ];
  const wsRow = (name: string, c: WsCounts): (string | number | null)[] => [
    name, `${c.connections} (opened ${c.opened})`, `${c.echoed} of ${c.sent} echoed`, `${c.cleanCloses} of ${c.connections} closed cleanly at the end`,
    c.missed + c.wrong, errorCount(c.errors), c.closedByPeer,
  ];
  const traffic = {
    title: 'Traffic during route, endpoint and certificate churn',
    headers: ['traffic', 'connections', 'requests / messages', 'statuses / close at the end', 'non-2xx / missed echoes', 'errors', 'closed by the proxy'],
    rows: [
      loadRow('http keep-alive', connections, load),
      loadRow('https keep-alive', tlsConnections, loadTls),
      ['https new connections (probe)', '1 at a time', probeCounts.probes, statuses(probeCounts.statuses), probeCounts.non2xx, errorCount(probeCounts.errors), null],
      wsRow('websocket (ws)', wsCounts),
      wsRow('websocket (wss)', wssCounts),
    ],
  };
  const changes = {
    title: 'Changes during the run, and whether new TLS connections saw each certificate',
    headers: ['route edits', 'endpoint changes', 'routes added', 'routes removed', 'certificate rotations', 'rotations served to new handshakes', 'handshakes with a rotated certificate', 'stale handshakes', 'certificate lag p50 / max (ms)'],
    rows: [[
      counts.edits, counts.endpointChanges, counts.adds, counts.removes, rotation.rotations, rotation.rotationsServed,
      `${rotation.rotatedHandshakes} of ${rotation.handshakes}`, rotation.stale,
      rotation.lagP50Ms === null ? null : `${round(rotation.lagP50Ms, 0)} / ${round(rotation.lagMaxMs ?? 0, 0)}`,
    ]],
  };
  const problems = verdict(load, loadTls, probeCounts, [wsCounts, wssCounts], rotation, tlsConnections);
  const notes = [
    `${durationMs / 1000} s, ${bulk} bulk routes (on both listeners), one change every 100 ms; a new certificate every ${rotateEvery * 100} ms from 1 s in (${plannedRotations} rotations, RSA 2048 issued by a test CA, verified with SNI)`,
    `http: ${connections} and https: ${tlsConnections} keep-alive connections, closed loop; probe: a new TLS connection every ${PROBE_INTERVAL_MS} ms with one Connection: close request; websocket: ${wsConnections / 2} ws:// + ${wsConnections / 2} wss:// connections, a message every ${WS_INTERVAL_MS} ms each, echo timeout ${WS_ECHO_TIMEOUT_MS} ms`,
    'bar: 0 non-2xx, 0 errors, 0 connections closed by the proxy, 0 missed echoes, every https keep-alive connection opened once (survives every rotation), every rotation served to new handshakes, 0 stale handshakes (an older certificate after a newer one was served)',
    problems.length === 0 ? 'bar met: no failed request, no dropped connection, no missed echo, every rotation served' : `bar NOT met: ${problems.join('; ')}`,
    `certificate lag = from the Secret file write to the first probe handshake with that (or a later) certificate, ${PROBE_INTERVAL_MS} ms resolution; per rotation: ${rotation.lagMs.map((x) => (x === null ? 'never' : String(x))).join(', ')} ms`,
    `websocket echo round trip p50 / p99 / max: ws ${wsCounts.rttP50Ms} / ${wsCounts.rttP99Ms} / ${wsCounts.rttMaxMs} ms, wss ${wssCounts.rttP50Ms} / ${wssCounts.rttP99Ms} / ${wssCounts.rttMaxMs} ms`,
    ...[['http', load.errors], ['https', loadTls.errors], ['probe', probeCounts.errors], ['ws', wsCounts.errors], ['wss', wssCounts.errors]]
      .filter(([, e]) => errorCount(e as Record<string, number>) > 0).map(([n, e]) => `${String(n)} errors: ${kv(e as Record<string, number>)}`),
    ...[['ws', wsCounts], ['wss', wssCounts]].filter(([, c]) => (c as WsCounts).closedByPeer > 0).map(([n, c]) => `${String(n)} close codes: ${kv((c as WsCounts).closeCodes)}`),
    `https keep-alive handshakes by certificate: ${kv(loadTls.handshakes ?? {})}`,
    ...ticker.errors.map((e) => `churn step failed: ${e}`),
  ];
  return result('churn', 'ok', t0, notes, [traffic, changes], { load, loadTls, probe: probeCounts, handshakes: probe.handshakes, rotations, rotation, ws: wsCounts, wss: wssCounts, counts });
}

/** What broke the bar (empty: met). */
export function verdict(load: LoadResult, loadTls: LoadResult, probe: ProbeCounts, ws: readonly WsCounts[], rotation: RotationReport, tlsConnections: number): string[] {
  const sum = (e: Record<string, number>): number => Object.values(e).reduce((a, b) => a + b, 0);
  const out: string[] = [];
  for (const [name, l] of [['http', load], ['https', loadTls]] as const) {
    if (l.non2xx > 0) out.push(`${name}: ${l.non2xx} non-2xx`);
    if (sum(l.errors) > 0) out.push(`${name}: ${sum(l.errors)} errors`);
    if (l.droppedConnections > 0) out.push(`${name}: ${l.droppedConnections} connections closed by the proxy`);
  }
  if (loadTls.connectionsOpened > tlsConnections) out.push(`https: ${loadTls.connectionsOpened - tlsConnections} reconnects`);
  if (probe.non2xx > 0 || sum(probe.errors) > 0) out.push(`probe: ${probe.non2xx} non-2xx, ${sum(probe.errors)} errors`);
  for (const [i, c] of ws.entries()) {
    const name = i === 0 ? 'ws' : 'wss';
    if (c.closedByPeer > 0) out.push(`${name}: ${c.closedByPeer} connections closed by the proxy`);
    if (c.missed + c.wrong > 0) out.push(`${name}: ${c.missed} missed and ${c.wrong} wrong echoes`);
    if (sum(c.errors) > 0) out.push(`${name}: ${sum(c.errors)} errors`);
    if (c.uncleanCloses > 0) out.push(`${name}: ${c.uncleanCloses} connections not closed cleanly at the end`);
  }
  if (rotation.rotationsServed < rotation.rotations) out.push(`${rotation.rotations - rotation.rotationsServed} rotations never served to a new handshake`);
  if (rotation.stale > 0) out.push(`${rotation.stale} stale handshakes`);
  if (rotation.unknown > 0) out.push(`${rotation.unknown} handshakes with an unknown certificate`);
  return out;
}
