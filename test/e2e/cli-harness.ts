/**
 * Helpers for the CLI end-to-end tests: real processes (waygate, echo backends), real sockets
 * on loopback, every wait bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, Agent } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'src/cli/main.ts');
export const ECHO = join(ROOT, 'examples/backends/echo.mjs');

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** A spawned process with its output collected. */
export interface Proc {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function run(cmd: string, args: readonly string[], opts: { cwd?: string } = {}): Proc {
  const child = spawn(cmd, [...args], { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Proc = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((r) => child.once('exit', (code, signal) => r({ code, signal }))),
  };
  child.stdout!.on('data', (d: Buffer) => { proc.stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { proc.stderr += d.toString(); });
  return proc;
}

/** Runs the CLI to completion (bounded); returns exit code and output. */
export async function runCli(args: readonly string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = run(process.execPath, ['--import', 'tsx', CLI, ...args]);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const { code } = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/** Stops a process with `signal` and waits (bounded) for its exit. */
export async function stop(p: Proc, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const r = await p.exited;
  clearTimeout(timer);
  return r;
}

/** An echo backend process (examples/backends/echo.mjs) on 127.0.0.1 and a free port. */
export async function startEcho(name: string): Promise<{ proc: Proc; port: number }> {
  const proc = run(process.execPath, [ECHO, '--name', name, '--port', '0']);
  const port = await waitFor(`echo ${name} to listen`, () => {
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(proc.stdout);
    return m ? Number(m[1]) : undefined;
  }, 10_000, 20);
  return { proc, port };
}

/** `waygate serve` from the sources, with a private admin port. */
export async function startServe(dir: string, pool: string, extra: readonly string[] = []): Promise<{ proc: Proc; admin: string }> {
  const adminPort = await freePort();
  const admin = `127.0.0.1:${adminPort}`;
  // In-process data plane unless the test asks for workers (counters are then exact at once).
  const workers = extra.includes('--workers') ? [] : ['--workers', '1'];
  const proc = run(process.execPath, ['--import', 'tsx', CLI, 'serve', '-f', dir, '--admin-address', admin, '--address-pool', pool, ...workers, ...extra]);
  await waitFor('waygate /readyz', async () => {
    if (proc.child.exitCode !== null) throw new Error(`serve exited early: ${proc.stderr}`);
    const res = await fetch(`http://${admin}/readyz`).catch(() => null);
    return res?.status === 200 ? true : undefined;
  }, 30_000, 50);
  return { proc, admin };
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  return (await res.json()) as T;
}

/** A temp directory of manifests. */
export class ManifestDir {
  private constructor(readonly path: string) {}
  static async create(prefix: string): Promise<ManifestDir> {
    return new ManifestDir(await mkdtemp(join(tmpdir(), `waygate-${prefix}-`)));
  }
  /** Writes a file atomically (write a dot-file beside it, then rename). */
  async writeAtomic(name: string, text: string): Promise<void> {
    const tmp = join(this.path, `.${name}.tmp-${process.pid}`);
    await writeFile(tmp, text);
    await rename(tmp, join(this.path, name));
  }
  /** Overwrites a file in place (truncate + write, as many editors do). */
  async writeInPlace(name: string, text: string): Promise<void> {
    await writeFile(join(this.path, name), text);
  }
  async remove(name: string): Promise<void> {
    await rm(join(this.path, name), { force: true });
  }
  async cleanup(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}

/** The GatewayClass + Gateway (listener `http` on `port`, routes from all namespaces). */
export function gatewayYaml(port: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: waygate
spec:
  controllerName: waygate.dev/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: default
spec:
  gatewayClassName: waygate
  listeners:
    - name: http
      protocol: HTTP
      port: ${port}
      allowedRoutes:
        namespaces:
          from: All
`;
}

/** A Service with a static endpoint on 127.0.0.1:`port`. */
export function serviceYaml(name: string, port: number): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: default
  annotations:
    waygate.dev/endpoint-addresses: "127.0.0.1"
spec:
  ports:
    - name: http
      port: 80
      targetPort: ${port}
`;
}

/** An HTTPRoute: `host` + PathPrefix `path` → `service`. */
export function routeYaml(name: string, host: string, path: string, service: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: default
spec:
  parentRefs:
    - name: gw
  hostnames: ["${host}"]
  rules:
    - matches:
        - path: { type: PathPrefix, value: ${path} }
      backendRefs:
        - name: ${service}
          port: 80
`;
}

export interface Answer {
  status: number;
  body: string;
  backend: string | null;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP/1.1 request with an explicit Host; rejects on socket errors. */
export function get(address: string, port: number, host: string, path: string, agent?: Agent, timeoutMs = 5000, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolveReq, reject) => {
    const req = httpRequest({ host: address, port, path, method: 'GET', headers: { ...headers, host }, agent: agent ?? false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => {
        const b = res.headers['x-backend'];
        resolveReq({ status: res.statusCode ?? 0, body, backend: typeof b === 'string' ? b : null, headers: res.headers });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** The Gateway's first status address from /status. */
export async function gatewayAddress(admin: string, name = 'gw'): Promise<string> {
  return waitFor('a Gateway address in /status', async () => {
    const s = await getJson<{ objects: { kind: string; metadata: { name: string }; status: { addresses?: { value: string }[] } }[] }>(`http://${admin}/status`);
    return s.objects.find((o) => o.kind === 'Gateway' && o.metadata.name === name)?.status.addresses?.[0]?.value;
  }, 10_000);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

/** `waygate serve` over a manifest dir with two echo backends (a, b) and routes stable.test → a, hot.test → a. */
export interface TwoBackendWorld {
  readonly dir: ManifestDir;
  readonly echoA: { proc: Proc; port: number };
  readonly echoB: { proc: Proc; port: number };
  readonly serve: { proc: Proc; admin: string };
  /** The Gateway's assigned address. */
  readonly addr: string;
}

/** Starts a TwoBackendWorld; the Gateway listens on `port`, its address comes from `pool`. */
export async function startTwoBackendWorld(name: string, port: number, pool: string, serveArgs: readonly string[]): Promise<TwoBackendWorld> {
  const w: { -readonly [K in keyof TwoBackendWorld]?: TwoBackendWorld[K] } = {};
  try {
    const dir = (w.dir = await ManifestDir.create(name));
    const [echoA, echoB] = ([w.echoA, w.echoB] = await Promise.all([startEcho('a'), startEcho('b')]));
    await dir.writeAtomic('gateway.yaml', gatewayYaml(port));
    await dir.writeAtomic('services.yaml', `${serviceYaml('svc-a', echoA.port)}---\n${serviceYaml('svc-b', echoB.port)}`);
    await dir.writeAtomic('stable.yaml', routeYaml('stable', 'stable.test', '/', 'svc-a'));
    await dir.writeAtomic('hot.yaml', routeYaml('hot', 'hot.test', '/', 'svc-a'));
    const serve = (w.serve = await startServe(dir.path, pool, serveArgs));
    return { dir, echoA, echoB, serve, addr: await gatewayAddress(serve.admin) };
  } catch (err) {
    await stopTwoBackendWorld(w);
    throw err;
  }
}

/** Stops what a (possibly partly started) TwoBackendWorld runs and removes its dir. */
export async function stopTwoBackendWorld(w: Partial<TwoBackendWorld> | undefined): Promise<void> {
  if (w?.serve) await stop(w.serve.proc);
  await Promise.all([w?.echoA && stop(w.echoA.proc), w?.echoB && stop(w.echoB.proc)]);
  await w?.dir?.cleanup();
}
