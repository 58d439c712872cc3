/**
 * Running waygate standalone for the conformance run, and reading its /status, the way the
 * upstream suite reads object status from the API server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { sleep, stopChild } from './util.js';

/** One object as /status reports it. */
export interface StatusObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; generation?: number; creationTimestamp?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  status?: Record<string, unknown>;
}

/** What the runner needs from the implementation under test (standalone or Kubernetes mode). */
export interface GatewayRuntime {
  start(): Promise<void>;
  /** Object statuses, as the upstream suite reads them from the API server. */
  status(): Promise<StatusView>;
  /** False once the process under test exited. */
  readonly running: boolean;
  /** The last lines it wrote. */
  tail(): string;
  stop(): Promise<void>;
}

/** The /status document. */
export interface StatusDoc {
  version?: unknown;
  objects: StatusObject[];
  issues?: unknown[];
}

/** Lookup over a /status document. */
export class StatusView {
  readonly doc: StatusDoc;
  readonly #index = new Map<string, StatusObject>();
  constructor(doc: StatusDoc) {
    this.doc = doc;
    for (const o of doc.objects ?? []) this.#index.set(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
  }
  /** The object, or undefined when waygate reports no status for it. */
  get(kind: string, namespace: string | undefined, name: string): StatusObject | undefined {
    return this.#index.get(`${kind}/${namespace ?? ''}/${name}`);
  }
}

/** Finds a free TCP port on a loopback address. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host, port: 0 }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Options for starting waygate. */
export interface WaygateOptions {
  repoRoot: string;
  dir: string;
  controllerName: string;
  addressPool: string;
  logLevel?: string;
  verbose?: boolean;
}

/** A waygate serve child process. */
export class Waygate implements GatewayRuntime {
  readonly #opts: WaygateOptions;
  #child: ChildProcess | undefined;
  #stderrTail: string[] = [];
  admin = '';

  constructor(opts: WaygateOptions) {
    this.#opts = opts;
  }

  /** Starts `waygate serve` and waits for /readyz (up to `timeoutMs`). */
  async start(timeoutMs = 60_000): Promise<void> {
    const port = await freePort();
    this.admin = `127.0.0.1:${port}`;
    const o = this.#opts;
    const args = [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'serve',
      '-f',
      o.dir,
      '--admin-address',
      this.admin,
      '--address-pool',
      o.addressPool,
      '--controller-name',
      o.controllerName,
      '--log-level',
      o.logLevel ?? 'warn',
    ];
    const child = spawn(process.execPath, args, { cwd: o.repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const keep = (chunk: Buffer): void => {
      const text = chunk.toString();
      if (o.verbose) process.stderr.write(`[waygate] ${text}`);
      this.#stderrTail.push(text);
      if (this.#stderrTail.length > 50) this.#stderrTail.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`waygate serve exited with code ${child.exitCode}: ${this.tail()}`);
      try {
        const res = await fetch(`http://${this.admin}/readyz`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`waygate serve did not become ready within ${timeoutMs} ms: ${this.tail()}`);
  }

  /** The last lines waygate wrote. */
  tail(): string {
    return this.#stderrTail.join('').split('\n').slice(-20).join('\n');
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null;
  }

  /** Reads /status. */
  async status(): Promise<StatusView> {
    const res = await fetch(`http://${this.admin}/status`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`GET /status answered ${res.status}`);
    return new StatusView((await res.json()) as StatusDoc);
  }

  /** Stops waygate (SIGTERM, then SIGKILL after a grace period). */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#child) await stopChild(this.#child, graceMs);
  }

}
