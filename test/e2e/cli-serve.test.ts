/**
 * `waygate serve` end to end: a real backend process, routed requests, the admin endpoint,
 * `waygate status` against it, `validate -o`, and a clean SIGTERM.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import {
  gatewayAddress, gatewayYaml, get, getJson, ManifestDir, routeYaml, runCli, serviceYaml, startEcho, startServe, stop,
  type Proc,
} from './cli-harness.js';

const POOL = '127.0.2.0/28';
const LISTENER_PORT = 18080;

let dir: ManifestDir;
let echo: { proc: Proc; port: number };
let serve: { proc: Proc; admin: string };

before(async () => {
  dir = await ManifestDir.create('serve');
  echo = await startEcho('app-v1');
  await dir.writeAtomic('gateway.yaml', gatewayYaml(LISTENER_PORT));
  await dir.writeAtomic('app.yaml', `${serviceYaml('app', echo.port)}---\n${routeYaml('app', 'app.test', '/', 'app')}`);
  serve = await startServe(dir.path, POOL);
});

after(async () => {
  if (serve) await stop(serve.proc);
  if (echo) await stop(echo.proc);
  await dir?.cleanup();
});

test('a request through the Gateway reaches the backend process; unknown hosts get 404', async () => {
  const addr = await gatewayAddress(serve.admin);
  assert.match(addr, /^127\.0\.2\.\d+$/, 'address from --address-pool');
  const a = await get(addr, LISTENER_PORT, 'app.test', '/hello?x=1');
  assert.equal(a.status, 200);
  assert.equal(a.backend, 'app-v1');
  const echoed = JSON.parse(a.body) as { path: string; host: string };
  assert.equal(echoed.path, '/hello');
  assert.equal(echoed.host, 'app.test');
  assert.equal((await get(addr, LISTENER_PORT, 'other.test', '/')).status, 404);
});

test('admin: /healthz, /readyz, /status objects in Kubernetes shape, /config_dump', async () => {
  assert.equal((await fetch(`http://${serve.admin}/healthz`)).status, 200);
  assert.equal((await fetch(`http://${serve.admin}/readyz`)).status, 200);
  const status = await getJson<{ version: number; issues: unknown[]; applyErrors: unknown[]; objects: { apiVersion: string; kind: string; metadata: Record<string, unknown>; status: Record<string, unknown> }[] }>(`http://${serve.admin}/status`);
  assert.ok(status.version >= 1);
  assert.deepEqual(status.issues, []);
  assert.deepEqual(status.applyErrors, []);
  const kinds = status.objects.map((o) => o.kind).sort();
  assert.deepEqual(kinds, ['Gateway', 'GatewayClass', 'HTTPRoute']);
  const gw = status.objects.find((o) => o.kind === 'Gateway')!;
  assert.equal(gw.apiVersion, 'gateway.networking.k8s.io/v1');
  assert.equal(gw.metadata['name'], 'gw');
  assert.equal(gw.metadata['namespace'], 'default');
  assert.equal(gw.metadata['generation'], 1);
  assert.equal(typeof gw.metadata['creationTimestamp'], 'string');
  const programmed = (gw.status['conditions'] as { type: string; status: string }[]).find((c) => c.type === 'Programmed');
  assert.equal(programmed?.status, 'True');
  const route = status.objects.find((o) => o.kind === 'HTTPRoute')!;
  const parents = route.status['parents'] as { conditions: { type: string; status: string }[] }[];
  assert.equal(parents[0]?.conditions.find((c) => c.type === 'Accepted')?.status, 'True');

  const dump = await getJson<{ version: number; servers: { port: number; address: string }[] }>(`http://${serve.admin}/config_dump`);
  assert.equal(dump.servers.length, 1);
  assert.equal(dump.servers[0]!.port, LISTENER_PORT);

  const metrics = await (await fetch(`http://${serve.admin}/metrics`)).text();
  assert.match(metrics, /^waygate_config_version [1-9]/m);
  const requests = Number(/^waygate_requests_total (\d+)$/m.exec(metrics)?.[1]);
  assert.ok(requests >= 2, `data plane counters exported (requests_total=${requests})`);
});

test('waygate status renders the table from the running serve, and -o yaml the objects', async () => {
  const table = await runCli(['status', '--admin-address', serve.admin]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^GATEWAY\s+CLASS\s+ADDRESSES\s+ACCEPTED\s+PROGRAMMED$/m);
  assert.match(table.stdout, /^default\/gw\s+waygate\s+127\.0\.2\.\d+\s+True\s+True$/m);
  assert.match(table.stdout, new RegExp(`^\\s+http\\s+${LISTENER_PORT}\\s+HTTP\\s+\\*\\s+1\\s+`, 'm'));
  assert.match(table.stdout, /^\s+parent Gateway default\/gw: Accepted=True/m);
  const yaml = await runCli(['status', '--admin-address', serve.admin, '-o', 'yaml']);
  assert.equal(yaml.code, 0);
  const docs = parseAllDocuments(yaml.stdout).map((d) => d.toJS() as { kind: string; status: unknown });
  assert.deepEqual(docs.map((d) => d.kind).sort(), ['Gateway', 'GatewayClass', 'HTTPRoute']);
});

test('validate -o yaml prints the objects with the statuses serve would write; exits 0', async () => {
  const r = await runCli(['validate', '-f', dir.path, '-o', 'yaml', '--address-pool', POOL]);
  assert.equal(r.code, 0, r.stderr);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; status: { conditions?: { type: string; status: string }[]; parents?: unknown[] } });
  const gw = docs.find((d) => d.kind === 'Gateway');
  assert.ok(gw?.status.conditions?.some((c) => c.type === 'Accepted' && c.status === 'True'));
  assert.ok(docs.find((d) => d.kind === 'HTTPRoute')?.status.parents?.length);
  const summary = await runCli(['validate', '-f', dir.path]);
  assert.equal(summary.code, 0);
  assert.match(summary.stdout, /HTTPRoute: 1/);
  assert.match(summary.stdout, /0 errors/);
});

test('usage errors exit 2: a non-loopback admin address without --admin-allow-remote, a bad pool', async () => {
  const remote = await runCli(['serve', '-f', dir.path, '--admin-address', '0.0.0.0:0']);
  assert.equal(remote.code, 2);
  assert.match(remote.stderr, /not a loopback address/);
  const pool = await runCli(['serve', '-f', dir.path, '--address-pool', '10.0.0.0/8']);
  assert.equal(pool.code, 2);
  const unknown = await runCli(['frobnicate']);
  assert.equal(unknown.code, 2);
});

test('SIGTERM lets a request in flight finish, then exits 0 (runs last)', async () => {
  const addr = await gatewayAddress(serve.admin);
  const slow = get(addr, LISTENER_PORT, 'app.test', '/slow?delay=700');
  await new Promise((r) => setTimeout(r, 200)); // the request is at the backend now
  const t0 = Date.now();
  const exited = stop(serve.proc, 'SIGTERM');
  const answer = await slow;
  assert.equal(answer.status, 200, 'the in-flight request completed');
  assert.equal(answer.backend, 'app-v1');
  const { code } = await exited;
  assert.equal(code, 0, serve.proc.stderr);
  assert.ok(Date.now() - t0 < 9000, 'did not wait for the whole grace period');
  assert.match(serve.proc.stderr, /shutting down/);
});
