/**
 * What every scenario shares: options, the process manager, the CPU plan, a scratch
 * directory, and the servers (started once, on first use): the nginx backend, a "direct"
 * backend copy on the proxy core, nginx and HAProxy as reverse proxies, and waygate
 * with one catch-all route. All of them route `/` and `/64k` to the same backend.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CpuPlan } from './cpus.js';
import { haproxyConf, LARGE_BODY_BYTES, nginxBackendConf, nginxProxyConf, SMALL_PATH } from './configs.js';
import type { ToolStatus } from './install.js';
import { baseManifests, routeManifest, serviceManifest, yamlStream } from './manifests.js';
import { freePort, freePortOn } from './ports.js';
import { waitForPort, type Managed, type ProcessManager } from './processes.js';
import { startWaygate, waitWaygateServing, type WaygateInstance } from './waygate.js';

export interface BenchOptions {
  readonly scenarios: readonly string[];
  readonly rounds: number;
  readonly durationS: number;
  readonly smoke: boolean;
  readonly maxSteal: number;
  readonly install: boolean;
  readonly keepWorkDir: boolean;
  /** Route counts for the routes scenario. */
  readonly routeCounts: readonly number[];
}

/** A reverse proxy (or the direct backend) that traffic can be sent to. */
export interface Target {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Host header to send. */
  readonly host: string;
  /** Roots of the process trees whose CPU is the proxy's. */
  readonly pids: readonly number[];
}

/** Loopback addresses the bench Gateways use (others' tests use 127.0.1.x / 127.0.2.x). */
export const GATEWAY_ADDRESSES = {
  main: '127.0.9.1', routes: '127.0.9.2', propagation: '127.0.9.3', churn: '127.0.9.4',
  soak: '127.0.9.5', multicore1: '127.0.9.6', multicore2: '127.0.9.7',
} as const;

export class BenchContext {
  readonly #targets = new Map<string, Promise<Target | string>>();
  #backend: Promise<{ port: number; managed: Managed }> | null = null;

  constructor(
    readonly opts: BenchOptions,
    readonly pm: ProcessManager,
    readonly cpus: CpuPlan,
    readonly workDir: string,
    readonly tools: ToolStatus,
    readonly repoRoot: string,
    readonly log: (msg: string) => void,
  ) {}

  /** A fresh subdirectory of the scratch directory. */
  dir(...parts: string[]): string {
    const d = join(this.workDir, ...parts);
    mkdirSync(d, { recursive: true, mode: 0o755 });
    return d;
  }

  /** True when the tool was found or installed. */
  has(tool: string): boolean {
    return this.tools.paths[tool] != null;
  }

  /** The nginx backend on the load core, listening on 127.0.0.1 and 127.0.0.2 (same port). */
  backend(): Promise<{ port: number; managed: Managed }> {
    this.#backend ??= (async () => {
      if (!this.has('nginx')) throw new Error('nginx is not installed: no backend');
      const www = this.dir('www');
      writeFileSync(join(www, '64k.bin'), Buffer.alloc(LARGE_BODY_BYTES, 'x'), { mode: 0o644 });
      const port = await freePortOn(['127.0.0.1', '127.0.0.2']);
      const managed = await this.nginx('backend', nginxBackendConf({ listen: [`127.0.0.1:${port}`, `127.0.0.2:${port}`], wwwDir: www }), this.cpus.load, port);
      return { port, managed };
    })();
    return this.#backend;
  }

  /**
   * A target by name: `direct` (a backend copy on the proxy core), `nginx`, `haproxy`,
   * `waygate`. Resolves to a reason string when the target cannot run here.
   */
  target(name: string): Promise<Target | string> {
    let t = this.#targets.get(name);
    if (t === undefined) {
      t = this.#startTarget(name).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
      this.#targets.set(name, t);
    }
    return t;
  }

  async #startTarget(name: string): Promise<Target> {
    const { port: bport } = await this.backend();
    const upstream = `127.0.0.1:${bport}`;
    if (name === 'direct') {
      const port = await freePort();
      const m = await this.nginx('direct', nginxBackendConf({ listen: [`127.0.0.1:${port}`], wwwDir: join(this.workDir, 'www') }), this.cpus.proxy, port);
      return { name, address: '127.0.0.1', port, host: `127.0.0.1:${port}`, pids: [m.pid] };
    }
    if (name === 'nginx') {
      const port = await freePort();
      const m = await this.nginx('nginx-proxy', nginxProxyConf({ listen: `127.0.0.1:${port}`, upstream }), this.cpus.proxy, port);
      return { name, address: '127.0.0.1', port, host: `127.0.0.1:${port}`, pids: [m.pid] };
    }
    if (name === 'haproxy') {
      if (!this.has('haproxy')) throw new Error('haproxy is not installed');
      const port = await freePort();
      const d = this.dir('haproxy');
      writeFileSync(join(d, 'haproxy.cfg'), haproxyConf({ listen: `127.0.0.1:${port}`, upstream }));
      const m = this.pm.start({ name: 'haproxy', argv: [this.tools.paths['haproxy']!, '-db', '-f', join(d, 'haproxy.cfg')], cpu: this.cpus.proxy, logFile: join(d, 'haproxy.log') });
      await waitForPort('127.0.0.1', port, 10_000, m);
      return { name, address: '127.0.0.1', port, host: `127.0.0.1:${port}`, pids: [m.pid] };
    }
    if (name === 'waygate') {
      const w = await this.startWaygateWith('main', GATEWAY_ADDRESSES.main, (addr, port) => [
        baseManifests({ address: addr, port }),
        serviceManifest({ name: 'backend', addresses: ['127.0.0.1'], targetPort: bport }),
        routeManifest({ name: 'catch-all', hostname: null, pathPrefix: '/', service: 'backend' }),
      ], { host: 'bench.test', path: SMALL_PATH });
      return { name, address: w.address, port: w.port, host: `${w.address}:${w.port}`, pids: [w.managed.pid] };
    }
    throw new Error(`unknown target ${name}`);
  }

  /**
   * Writes `docs(address, port)` as `00-base.yaml` into a fresh config directory and starts
   * waygate on it (pinned to the proxy core unless `run.cpu` says otherwise, with
   * `run.extraArgs` added to `serve`), waiting until `probe` answers 200.
   */
  async startWaygateWith(
    tag: string,
    address: string,
    docs: (address: string, port: number) => string[],
    probe: { host: string; path: string },
    timeoutMs = 30_000,
    moreFiles?: (dir: string) => void,
    run: { readonly cpu?: number | null; readonly extraArgs?: readonly string[] } = {},
  ): Promise<WaygateInstance> {
    const dir = this.dir(`waygate-${tag}`, 'config');
    const port = await freePort(address);
    writeFileSync(join(dir, '00-base.yaml'), yamlStream(docs(address, port)));
    moreFiles?.(dir);
    const w = await startWaygate({
      pm: this.pm, repoRoot: this.repoRoot, dir, address, port, cpu: run.cpu === undefined ? this.cpus.proxy : run.cpu,
      extraArgs: run.extraArgs ?? [], logFile: join(this.workDir, `waygate-${tag}`, 'waygate.log'), name: `waygate-${tag}`,
    });
    try {
      await waitWaygateServing(w, probe, timeoutMs);
    } catch (e) {
      await this.pm.stop(w.managed);
      throw e;
    }
    return w;
  }

  /** Starts nginx with `conf` in its own prefix directory, pinned to `cpu`, and waits for `port`. */
  async nginx(tag: string, conf: string, cpu: number | null, port: number): Promise<Managed> {
    if (!this.has('nginx')) throw new Error('nginx is not installed');
    const prefix = this.dir(`nginx-${tag}`);
    writeFileSync(join(prefix, 'nginx.conf'), conf);
    const m = this.pm.start({
      name: `nginx-${tag}`,
      argv: [this.tools.paths['nginx']!, '-e', 'stderr', '-p', prefix, '-c', 'nginx.conf', '-g', 'daemon off;'],
      cpu,
      logFile: join(prefix, 'nginx.log'),
    });
    await waitForPort('127.0.0.1', port, 10_000, m);
    return m;
  }
}
