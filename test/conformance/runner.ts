/**
 * Runs one conformance test against a running waygate: applies its manifests, walks its
 * groups (phases/subtests) with their mutations, polls status checks and sends requests until
 * the expectations hold, then cleans up.
 */
import { join } from 'node:path';
import { runCheck, type CheckContext } from './checks.js';
import type { Cluster } from './cluster.js';
import { compareHttp, fillPlaceholders, requestHeaders, withRequestId, type Captured } from './expect.js';
import { loadManifestFile, type KObject, type RenderOptions } from './manifests.js';
import type { EchoProcess, PodController } from './pods.js';
import { sendRequest, sendWebSocket, type Outgoing } from './requests.js';
import { isL4Protocol, probeL4 } from './probes-l4.js';
import { probeGrpc } from './probes-grpc.js';
import { STEPS, type StepContext } from './steps.js';
import type { ConformanceTest, RequestCase, StatusCheck, WsFrame } from './types.js';
import { mapLimit, sleep, uuid } from './util.js';
import type { GatewayRuntime, StatusView } from './waygate.js';
import { backendFromPod, checkWeights, describeCounts } from './weights.js';

/** Knobs of a run. */
export interface RunnerOptions {
  manifestsDir: string;
  controllerName: string;
  /** Time for status or a request expectation to converge (upstream: ~30–60 s). */
  timeoutMs: number;
  /** Consecutive successes required (upstream: 3). */
  threshold: number;
  /** Per-request timeout. */
  requestTimeoutMs: number;
  verbose: boolean;
  render: RenderOptions;
}

/** The shared environment of a run. */
export interface RunEnv {
  cluster: Cluster;
  /** waygate serve (standalone) or the Kubernetes-mode stack (kubernetes-mode.ts). */
  waygate: GatewayRuntime;
  echo: EchoProcess;
  pods: PodController;
  opts: RunnerOptions;
  /** PEMs of generated TLS material by `ns/name`. */
  pems: Map<string, { cert: string; key: string }>;
  /** Keys of the base objects, never deleted by a test's cleanup. */
  baseKeys: Set<string>;
}

/** A failure with the message that goes into the table. */
export class TestFailure extends Error {}

function log(env: RunEnv, msg: string): void {
  if (env.opts.verbose) process.stderr.write(`  ${msg}\n`);
}

/** A check context over a fresh /status. */
function checkContext(env: RunEnv, status: StatusView, previousGenerations: Map<string, number>): CheckContext {
  return {
    status,
    controllerName: env.opts.controllerName,
    gatewaysIn: (ns) => env.cluster.list('Gateway', ns).map((g) => ({ name: g.metadata.name, annotations: g.metadata.annotations ?? {} })),
    previousGenerations,
    addresses: { usable: env.opts.render.usableAddress, unusable: env.opts.render.unusableAddress },
  };
}

/** Polls /status until every check holds, or throws with the first failing one. */
export async function awaitChecks(env: RunEnv, checks: StatusCheck[], previousGenerations: Map<string, number>): Promise<void> {
  if (checks.length === 0) return;
  const deadline = Date.now() + env.opts.timeoutMs;
  let last = '';
  for (;;) {
    try {
      const status = await env.waygate.status();
      const ctx = checkContext(env, status, previousGenerations);
      const failing = checks.map((c) => runCheck(ctx, c)).find((r) => r !== null);
      if (failing === undefined) return;
      last = failing;
    } catch (err) {
      last = `reading /status: ${(err as Error).message}`;
    }
    if (Date.now() > deadline) throw new TestFailure(`status: ${last}`);
    await sleep(250);
  }
}

/** Where requests for a case go: the Gateway's first address and the listener port. */
async function target(env: RunEnv, test: ConformanceTest, rc: RequestCase): Promise<{ address: string; port: number }> {
  const gw = rc.gateway ?? test.gateway;
  if (!gw) throw new TestFailure('no gateway to send the request to');
  const status = await env.waygate.status();
  const o = status.get('Gateway', gw.namespace, gw.name);
  const addrs = (o?.status?.['addresses'] as Array<{ value?: string }> | undefined) ?? [];
  const address = addrs.find((a) => a.value)?.value;
  if (!address) throw new Error(`Gateway ${gw.namespace}/${gw.name} has no address in status`);
  let port = gw.port;
  if (port === undefined) {
    const spec = env.cluster.get('Gateway', gw.namespace, gw.name)?.['spec'] as { listeners?: Array<{ name: string; port: number }> } | undefined;
    const ls = spec?.listeners ?? [];
    port = (gw.listener ? ls.find((l) => l.name === gw.listener) : undefined)?.port ?? ls[0]?.port;
  }
  if (port === undefined) throw new Error(`Gateway ${gw.namespace}/${gw.name} has no listener port`);
  return { address, port };
}

/** upstream CalculateHost: the address, with the port unless it is the scheme's default. */
export function calculateHost(address: string, port: number, scheme: string): string {
  const host = address.includes(':') ? `[${address}]` : address;
  if ((scheme === 'http' || scheme === 'ws') && port === 80) return host;
  if ((scheme === 'https' || scheme === 'wss') && port === 443) return host;
  return `${host}:${port}`;
}

/** Resolves "Secret ns/name ..." / "ConfigMap ns/name ..." descriptions to PEMs. */
function pemFor(env: RunEnv, description: string | undefined): { cert: string; key: string } | undefined {
  if (!description) return undefined;
  const m = /(?:Secret|ConfigMap) ([a-z0-9-]+\/[a-z0-9-]+)/.exec(description);
  return m?.[1] ? env.pems.get(m[1]) : undefined;
}

/** One probe of a case: builds the request (fresh placeholders), sends it, compares. */
async function probe(env: RunEnv, test: ConformanceTest, rc: RequestCase, requestId: string | undefined): Promise<{ error: string | null; captured?: Captured }> {
  const r = rc.request;
  const protocol = r.protocol ?? 'HTTP/1.1';
  if (protocol === 'gRPC') return probeGrpc(rc, { resolve: () => target(env, test, rc), timeoutMs: env.opts.requestTimeoutMs });
  if (isL4Protocol(protocol)) {
    return probeL4(rc, { resolve: () => target(env, test, rc), timeoutMs: env.opts.requestTimeoutMs, ca: pemFor(env, r.trustedCA)?.cert });
  }
  if (['gRPC', 'TCP', 'TLS', 'UDP'].includes(protocol)) return { error: `the runner does not speak ${protocol} yet` };
  let t: { address: string; port: number };
  try {
    t = await target(env, test, rc);
  } catch (err) {
    return { error: (err as Error).message };
  }
  const scheme = r.scheme ?? 'http';
  const host = r.host || calculateHost(t.address, t.port, scheme);

  if (protocol === 'WebSocket') {
    const frames = r.frames ?? [];
    const res = await sendWebSocket({
      address: t.address,
      port: t.port,
      protocol,
      scheme,
      host,
      method: 'GET',
      path: r.path ?? '/',
      headers: {},
      timeoutMs: env.opts.requestTimeoutMs,
      ...(r.origin ? { origin: r.origin.replace('<go test name>', test.shortName) } : {}),
      frames,
    });
    if (res.error) return { error: `websocket: ${res.error}` };
    const want: WsFrame[] = rc.expect.echoedFrames ?? frames;
    if (JSON.stringify(res.frames) !== JSON.stringify(want)) return { error: `websocket: expected echoed frames ${JSON.stringify(want)}, got ${JSON.stringify(res.frames)}` };
    return { error: null };
  }

  const values: Record<string, string> = {};
  for (const k of Object.keys(r.placeholders ?? {})) values[k] = uuid();
  let path = fillPlaceholders(r.path ?? '/', values);
  let expectedPath = rc.expect.request?.path !== undefined ? fillPlaceholders(rc.expect.request.path, values) : undefined;
  if (requestId) {
    path = withRequestId(path, requestId);
    if (expectedPath !== undefined) expectedPath = withRequestId(expectedPath, requestId);
  }
  const headers = requestHeaders(r);
  if ((r as { jitter?: boolean }).jitter && Math.random() < 0.5) headers['X-Jitter'] = String(Math.floor(Math.random() * 10000));
  const client = pemFor(env, r.clientCertificate);
  const trusted = pemFor(env, r.serverCertificate ?? r.trustedCA);
  const out: Outgoing = {
    address: t.address,
    port: t.port,
    protocol: (protocol === 'HTTP/2' || protocol === 'H2') && scheme === 'http' ? 'h2c' : protocol,
    scheme,
    host,
    method: r.method || 'GET',
    path,
    headers,
    timeoutMs: env.opts.requestTimeoutMs,
    ...(r.sni ? { sni: r.sni } : scheme === 'https' && r.host ? { sni: r.host } : {}),
    ...(trusted ? { ca: trusted.cert } : {}),
    ...(client ? { cert: client.cert, key: client.key } : {}),
  };
  const captured = await sendRequest(out);
  let error = compareHttp({ scheme, host, path, method: out.method }, rc.expect, captured, expectedPath);
  // GatewayTLSBackendClientCertificate: the backend must have received the Gateway's client certificate.
  const clientCert = rc.expect.request?.['clientCert'];
  const wantCert = pemFor(env, typeof clientCert === 'string' ? clientCert : undefined);
  if (error === null && wantCert) {
    const flat = (pem: string): string => pem.replace(/\s+/g, '');
    const got = captured.echo?.tls?.peerCertificates ?? [];
    if (!got.some((p) => flat(p) === flat(wantCert.cert))) error = `expected the backend to receive the client certificate, got ${got.length} peer certificate(s)`;
  }
  const where = `${out.method} ${scheme}://${t.address}:${t.port}${path} (Host ${host}, ${out.protocol})`;
  return { error: error === null ? null : `${where}: ${error}`, captured };
}

function caseName(rc: RequestCase, i: number): string {
  return rc.name ?? `${rc.request.method ?? 'GET'} ${rc.request.host ?? ''}${rc.request.path ?? ''}`.trim() ?? `request ${i}`;
}

/** Repeats a case until it holds `threshold` times in a row (1 s pause after a miss). */
async function eventually(env: RunEnv, test: ConformanceTest, rc: RequestCase, requestId: string | undefined, threshold = env.opts.threshold): Promise<void> {
  const deadline = Date.now() + env.opts.timeoutMs;
  let ok = 0;
  let last = '';
  for (;;) {
    const { error } = await probe(env, test, rc, requestId);
    if (error === null) {
      if (++ok >= threshold) return;
      continue;
    }
    ok = 0;
    last = error;
    if (Date.now() > deadline) throw new TestFailure(`${caseName(rc, 0)}: ${last}`);
    await sleep(1000);
  }
}

/** Waits until every mirror backend logged the request (any of its pods). */
async function awaitMirrors(env: RunEnv, rc: RequestCase, path: string, since: number): Promise<void> {
  const needle = `Echoing back request made to ${path} to client`;
  for (const m of rc.expect.mirroredTo ?? []) {
    const deadline = Date.now() + env.opts.timeoutMs;
    for (;;) {
      const pods = env.pods.podsOf(m.namespace, m.name);
      if (pods.some((p) => env.echo.logs(p.namespace, p.name, since).some((l) => l.line.startsWith(needle)))) break;
      if (Date.now() > deadline) throw new TestFailure(`${caseName(rc, 0)}: mirror backend ${m.namespace}/${m.name} never logged ${path}`);
      await sleep(500);
    }
  }
}

/** The weighted-distribution check: sample, count backends, compare (up to maxAttempts). */
async function weighted(env: RunEnv, test: ConformanceTest, rc: RequestCase): Promise<void> {
  const d = rc.expect.distribution ?? { totalRequests: 500, tolerance: 0.05, maxAttempts: 10 };
  const weights = rc.expect.weights ?? {};
  const jittered: RequestCase = { ...rc, request: { ...rc.request, jitter: true } };
  let last = '';
  for (let attempt = 0; attempt < d.maxAttempts; attempt++) {
    const counts = new Map<string, number>();
    const errors: string[] = [];
    await mapLimit(Array.from({ length: d.totalRequests }), d.concurrency ?? 10, async () => {
      const { error, captured } = await probe(env, test, jittered, undefined);
      if (error !== null) errors.push(error);
      const pod = captured?.echo?.pod;
      if (pod) {
        const b = backendFromPod(pod);
        counts.set(b, (counts.get(b) ?? 0) + 1);
      }
    });
    last = errors[0] ?? checkWeights(counts, weights, d.tolerance) ?? '';
    log(env, `weights attempt ${attempt + 1}: ${describeCounts(counts)} ${last}`);
    if (last === '') return;
  }
  throw new TestFailure(`${caseName(rc, 0)}: ${last}`);
}

/** Percentage mirroring: a batch of requests, then count the mirror's log lines. */
async function mirrorDistribution(env: RunEnv, test: ConformanceTest, rc: RequestCase): Promise<void> {
  const md = rc.expect.mirrorDistribution;
  if (!md) return;
  let last = '';
  for (let attempt = 0; attempt < md.maxAttempts; attempt++) {
    const id = uuid();
    const since = Date.now();
    const errors: string[] = [];
    await mapLimit(Array.from({ length: md.totalRequests }), md.concurrency, async () => {
      try {
        await eventually(env, test, rc, id, 1);
      } catch (err) {
        errors.push((err as Error).message);
      }
    });
    if (errors.length > 0) {
      last = errors[0] ?? '';
    } else {
      const path = withRequestId(rc.request.path ?? '/', id);
      const needle = `Echoing back request made to ${path} to client`;
      const count = (): number =>
        env.pods.podsOf(md.namespace, md.mirrorBackend).reduce((n, p) => n + env.echo.logs(p.namespace, p.name, since).filter((l) => l.line.startsWith(needle)).length, 0);
      // Mirrors are fire-and-forget: wait until the count stops moving (bounded).
      let seen = -1;
      const stopAt = Date.now() + 60_000;
      while (Date.now() < stopAt) {
        await sleep(1000);
        const n = count();
        if (n === seen) break;
        seen = n;
      }
      const [lo, hi] = md.acceptRange;
      if (seen >= lo && seen <= hi) return;
      last = `mirrored ${seen} of ${md.totalRequests} requests to ${md.mirrorBackend}, expected between ${lo} and ${hi}`;
    }
    log(env, `mirror distribution attempt ${attempt + 1}: ${last}`);
    await sleep(2000);
  }
  throw new TestFailure(`${caseName(rc, 0)}: ${last}`);
}

/** Runs one request case to completion (throws TestFailure). */
async function runCase(env: RunEnv, test: ConformanceTest, rc: RequestCase, i: number): Promise<void> {
  log(env, `request: ${caseName(rc, i)}`);
  if (rc.expect.mirrorDistribution) return mirrorDistribution(env, test, rc);
  if (rc.expect.weights) return weighted(env, test, rc);
  const requestId = rc.request.addRequestIdQuery ? uuid() : undefined;
  const since = Date.now();
  await eventually(env, test, rc, requestId);
  if (rc.expect.mirroredTo && requestId) await awaitMirrors(env, rc, withRequestId(rc.request.path ?? '/', requestId), since);
}

/** The ordered groups of a test: key → its checks and requests. */
export function groupsOf(test: ConformanceTest): Array<{ key: string; checks: StatusCheck[]; requests: RequestCase[] }> {
  const order: string[] = [''];
  const add = (k: string): void => {
    if (!order.includes(k)) order.push(k);
  };
  for (const k of STEPS[test.shortName]?.order ?? []) add(k);
  for (const c of test.statusChecks) add(c.phase ?? c.subtest ?? '');
  for (const r of test.requests) add(r.phase ?? r.subtest ?? '');
  return order
    .map((key) => ({
      key,
      checks: test.statusChecks.filter((c) => (c.phase ?? c.subtest ?? '') === key),
      requests: test.requests.filter((r) => (r.phase ?? r.subtest ?? '') === key),
    }))
    .filter((g) => g.key === '' || g.checks.length > 0 || g.requests.length > 0 || STEPS[test.shortName]?.before?.[g.key]);
}

/** Applies, runs and cleans up one test. Throws TestFailure (or any Error) when it fails. */
export async function runTest(env: RunEnv, test: ConformanceTest): Promise<void> {
  const objects: KObject[] = [];
  for (const m of test.manifests) objects.push(...(await loadManifestFile(join(env.opts.manifestsDir, m), env.opts.render)));
  const created: KObject[] = [];
  const previousGenerations = new Map<string, number>();
  const steps = STEPS[test.shortName];
  const ctx: StepContext = {
    cluster: env.cluster,
    status: () => env.waygate.status(),
    rememberGeneration: async (kind, ns, name) => {
      const s = await env.waygate.status();
      const gen = s.get(kind, ns, name)?.metadata.generation ?? env.cluster.get(kind, ns, name)?.metadata.generation;
      if (gen !== undefined) previousGenerations.set(`${kind}/${ns ?? ''}/${name}`, gen);
    },
    created: (objs) => created.push(...objs),
  };
  await env.cluster.apply(objects);
  try {
    for (const g of groupsOf(test)) {
      const before = steps?.before?.[g.key];
      if (before) {
        log(env, `step before "${g.key}"`);
        await before(ctx);
      }
      log(env, `group "${g.key || '(main)'}": ${g.checks.length} checks, ${g.requests.length} requests`);
      try {
        await awaitChecks(env, g.checks, previousGenerations);
        await mapLimit(g.requests, 6, (rc, i) => runCase(env, test, rc, i));
      } catch (err) {
        if (g.key && err instanceof TestFailure) throw new TestFailure(`[${g.key}] ${err.message}`);
        throw err;
      }
    }
    if (steps?.after) await steps.after(ctx);
  } finally {
    const keyOf = (o: KObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const doomed = [...objects, ...created].filter((o) => !env.baseKeys.has(keyOf(o)));
    await env.cluster.delete(doomed);
    await settle(env, doomed);
  }
}

/** Waits (bounded) until waygate no longer reports status for deleted objects. */
async function settle(env: RunEnv, deleted: KObject[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      const s = await env.waygate.status();
      if (!deleted.some((o) => s.get(o.kind, o.metadata.namespace, o.metadata.name))) return;
    } catch {
      // retry
    }
    await sleep(200);
  }
}
