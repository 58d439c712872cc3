/**
 * `npm run conformance -- [--mode standalone|kubernetes] [--test NAME...] [--expectations FILE]
 *   [--manifests DIR] [--report FILE] [--all-features] [--timeout SECONDS] [--keep] [--verbose]`
 *
 * Replays the upstream Gateway API conformance tests (as data, from expectations.json)
 * against `waygate serve` in standalone mode: an emulated API server (a directory of YAML),
 * echo backends on loopback IPs, EndpointSlices written like the EndpointSlice controller's.
 * `--mode kubernetes` runs the same tests through the test API server, `waygate controller`
 * and `waygate proxy` processes (see kubernetes-mode.ts).
 */
import net from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateTlsMaterial } from './certs.js';
import { Cluster } from './cluster.js';
import { loadManifestFile, type KObject, type RenderOptions } from './manifests.js';
import { EchoProcess, EndpointSliceController, PodController } from './pods.js';
import { buildReport, formatTable, reportYaml, type TestResult } from './report.js';
import { KubernetesMode } from './kubernetes-mode.js';
import { awaitChecks, runTest, TestFailure, type RunEnv } from './runner.js';
import type { ConformanceTest } from './types.js';
import { Waygate, type GatewayRuntime } from './waygate.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONTROLLER_NAME = 'waygate.dev/gateway-controller';
const GATEWAY_CLASS = 'waygate-conformance';
const BASE_NAMESPACES = ['gateway-conformance-infra', 'gateway-conformance-app-backend', 'gateway-conformance-web-backend'];

/** Decides whether a test runs, and why not. */
export function selectTest(t: ConformanceTest, supported: ReadonlySet<string>, allFeatures: boolean): string | null {
  if (t.skipIfSupportedFeature && supported.has(t.skipIfSupportedFeature)) return `skipped: ${t.skipIfSupportedFeature} is supported`;
  if (t.skipUnlessSupportedFeature && !supported.has(t.skipUnlessSupportedFeature) && !allFeatures) return `skipped: needs ${t.skipUnlessSupportedFeature}`;
  if (allFeatures) return null;
  const missing = t.features.filter((f) => !supported.has(f));
  return missing.length > 0 ? `unsupported features: ${missing.join(', ')}` : null;
}

/** Reads supportedFeatures (strings or {name}) from a GatewayClass status. */
export function supportedFeaturesOf(status: Record<string, unknown> | undefined): string[] {
  const list = (status?.['supportedFeatures'] as Array<string | { name?: string }> | undefined) ?? [];
  return list.map((f) => (typeof f === 'string' ? f : (f.name ?? ''))).filter((f) => f !== '');
}

/** True when `host:port` can be bound right now. */
function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Picks the loopback ranges of this run (pods 127.<podOctet>.x.y, Gateways
 * 127.<gatewayOctet>.0.0/24) so that several runs on one machine do not collide.
 */
async function pickSlot(): Promise<{ podOctet: number; gatewayOctet: number }> {
  const start = process.pid % 60;
  for (let i = 0; i < 60; i++) {
    const n = (start + i) % 60;
    const slot = { podOctet: 64 + n, gatewayOctet: 128 + n };
    if ((await canBind(`127.${slot.podOctet}.0.1`, 3000)) && (await canBind(`127.${slot.gatewayOctet}.0.1`, 80))) return slot;
  }
  throw new Error('no free loopback range for a conformance run');
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      test: { type: 'string', multiple: true },
      mode: { type: 'string', default: 'standalone' },
      expectations: { type: 'string', default: join(REPO_ROOT, '..', 'shared', 'conformance', 'expectations.json') },
      manifests: { type: 'string', default: join(REPO_ROOT, '..', 'shared', 'gateway-api', 'conformance') },
      report: { type: 'string' },
      'all-features': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '30' },
      keep: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
    },
  });
  const names = [...(values.test ?? []), ...positionals];
  const tests = JSON.parse(await readFile(values.expectations, 'utf8')) as ConformanceTest[];
  const unknown = names.filter((n) => !tests.some((t) => t.shortName === n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown test(s): ${unknown.join(', ')}\n`);
    return 2;
  }
  const mode = values.mode;
  if (mode !== 'standalone' && mode !== 'kubernetes') {
    process.stderr.write(`--mode must be standalone or kubernetes\n`);
    return 2;
  }
  const reportFile = values.report ?? join(REPO_ROOT, 'reports', mode === 'kubernetes' ? 'conformance-report-kubernetes.yaml' : 'conformance-report.yaml');
  const timeoutMs = Number(values.timeout) * 1000;
  const verbose = values.verbose;

  const tmp = await mkdtemp(join(tmpdir(), 'waygate-conformance-'));
  const slot = await pickSlot();
  const render: RenderOptions = {
    gatewayClassName: GATEWAY_CLASS,
    controllerName: CONTROLLER_NAME,
    usableAddress: { type: 'IPAddress', value: `127.${slot.gatewayOctet}.1.10` },
    unusableAddress: { type: 'IPAddress', value: '203.0.113.10' },
  };
  const k8s = mode === 'kubernetes' ? await KubernetesMode.create({ repoRoot: REPO_ROOT, tmpDir: tmp, controllerName: CONTROLLER_NAME, gatewayOctet: slot.gatewayOctet, verbose }) : undefined;
  const cluster = new Cluster(join(tmp, 'cluster'), k8s ? { sink: k8s.sink } : {});
  await cluster.init();
  const echo = new EchoProcess({ verbose });
  echo.start();
  const pods = new PodController(echo, join(tmp, 'pods'), [127, slot.podOctet]);
  cluster.addController(pods);
  cluster.addController(new EndpointSliceController(pods));
  const waygate: GatewayRuntime = k8s ?? new Waygate({ repoRoot: REPO_ROOT, dir: cluster.dir, controllerName: CONTROLLER_NAME, addressPool: `127.${slot.gatewayOctet}.0.0/24`, verbose });

  const cleanup = async (): Promise<void> => {
    await waygate.stop();
    await echo.stop();
    if (!values.keep) await rm(tmp, { recursive: true, force: true });
    else process.stderr.write(`kept ${tmp}\n`);
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));

  const results: TestResult[] = [];
  let supported: string[] = [];
  try {
    process.stderr.write(k8s ? `conformance: kubernetes mode, API server ${k8s.server.url}\n` : `conformance: cluster dir ${cluster.dir}\n`);
    const tls = generateTlsMaterial();
    const gatewayClass: KObject = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: GATEWAY_CLASS },
      spec: { controllerName: CONTROLLER_NAME, description: 'waygate conformance run' },
    };
    const base = await loadManifestFile(join(values.manifests, 'base', 'manifests.yaml'), render);
    // Namespaces first, then TLS material (pods mount it), then the rest.
    const nsObjs = base.filter((o) => o.kind === 'Namespace');
    await cluster.apply([gatewayClass, ...nsObjs, ...(tls.objects as KObject[])]);
    await cluster.apply(base.filter((o) => o.kind !== 'Namespace'));
    const baseKeys = new Set([gatewayClass, ...base, ...(tls.objects as KObject[])].map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`));

    await waygate.start();
    const env: RunEnv = {
      cluster,
      waygate,
      echo,
      pods,
      pems: tls.pems,
      baseKeys,
      opts: { manifestsDir: values.manifests, controllerName: CONTROLLER_NAME, timeoutMs, threshold: 3, requestTimeoutMs: 10_000, verbose, render },
    };
    try {
      await awaitChecks(env, [{ kind: 'Namespace', check: 'namespacesReady', namespaces: BASE_NAMESPACES }], new Map());
    } catch (err) {
      process.stderr.write(`warning: base Gateways not ready: ${(err as Error).message}\n`);
    }
    const gcStatus = (await waygate.status()).get('GatewayClass', undefined, GATEWAY_CLASS)?.status;
    supported = supportedFeaturesOf(gcStatus);
    process.stderr.write(`supported features: ${supported.join(', ') || '(none)'}\n`);
    const supportedSet = new Set(supported);

    const selected = names.length > 0 ? tests.filter((t) => names.includes(t.shortName)) : tests;
    for (const t of selected) {
      const skip = selectTest(t, supportedSet, values['all-features']);
      if (skip) {
        results.push({ shortName: t.shortName, features: t.features, provisional: t.provisional, result: 'skipped', seconds: 0, reason: skip });
        continue;
      }
      process.stderr.write(`RUN  ${t.shortName}\n`);
      const start = Date.now();
      let reason: string | undefined;
      try {
        await runTest(env, t);
      } catch (err) {
        reason = err instanceof TestFailure ? err.message : `runner error: ${(err as Error).stack ?? String(err)}`;
      }
      if (!waygate.running) reason = `${reason ?? ''} (waygate exited: ${waygate.tail()})`.trim();
      const seconds = (Date.now() - start) / 1000;
      results.push({ shortName: t.shortName, features: t.features, provisional: t.provisional, result: reason ? 'failed' : 'passed', seconds, ...(reason ? { reason } : {}) });
      process.stderr.write(`${reason ? 'FAIL' : 'PASS'} ${t.shortName} (${seconds.toFixed(1)} s)${reason ? `: ${reason}` : ''}\n`);
      if (!waygate.running) break;
    }
  } catch (err) {
    process.stderr.write(`conformance run aborted: ${(err as Error).stack ?? String(err)}\n`);
    await cleanup();
    return 1;
  }
  await cleanup();

  process.stdout.write(`${formatTable(results)}\n`);
  const version = (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const report = buildReport(results, { supportedFeatures: supported, version, mode: mode === 'kubernetes' ? 'kubernetes' : 'default' });
  await mkdir(dirname(reportFile), { recursive: true });
  await writeFile(reportFile, reportYaml(report));
  process.stderr.write(`report written to ${reportFile}\n`);
  return results.some((r) => r.result === 'failed') ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
