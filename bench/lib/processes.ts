/**
 * Child processes of the harness: started in their own process group (so a server's workers go
 * with it), stopped by pid, and all stopped on exit, errors, SIGINT and SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { connect } from 'node:net';
import { pinned } from './cpus.js';

export interface StartOptions {
  readonly name: string;
  readonly argv: readonly string[];
  readonly cpu: number | null;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** File receiving stdout and stderr. */
  readonly logFile: string;
}

export interface Managed {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}

/** Short-lived helpers (wrk, load generator, workers) started outside a ProcessManager. */
const transient = new Set<ChildProcess>();

/** Registers a short-lived child so that an interrupted run kills it too. */
export function trackTransient(child: ChildProcess): void {
  transient.add(child);
  child.once('exit', () => transient.delete(child));
}

/** Keeps every process it started and stops them all on request or on exit. */
export class ProcessManager {
  readonly #procs = new Map<number, Managed>();
  readonly #logs: WriteStream[] = [];
  #hooked = false;

  /** Spawns `argv` (pinned to `cpu`) in a new process group. */
  start(o: StartOptions): Managed {
    this.#hook();
    const log = createWriteStream(o.logFile, { flags: 'a' });
    this.#logs.push(log);
    const [cmd, ...args] = pinned(o.cpu, o.argv);
    const child = spawn(cmd!, args, {
      cwd: o.cwd,
      env: { ...process.env, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const exited = new Promise<number | string>((resolve) => {
      child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
      child.on('error', (e) => resolve(`spawn error: ${e.message}`));
    });
    if (child.pid === undefined) throw new Error(`could not start ${o.name}: ${o.argv.join(' ')}`);
    const m: Managed = { name: o.name, pid: child.pid, child, exited };
    this.#procs.set(child.pid, m);
    void exited.then(() => this.#procs.delete(m.pid));
    return m;
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once it exited. */
  async stop(m: Managed, graceMs = 3000): Promise<void> {
    if (!this.#procs.has(m.pid)) return;
    signalGroup(m.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        signalGroup(m.pid, 'SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([m.exited.then(() => undefined), killed]);
    clearTimeout(timer);
    await Promise.race([m.exited, sleep(1000)]);
    this.#procs.delete(m.pid);
  }

  /** Stops every process still running (in parallel). */
  async stopAll(): Promise<void> {
    for (const c of transient) c.kill('SIGTERM');
    await Promise.all([...this.#procs.values()].map((m) => this.stop(m)));
    for (const l of this.#logs) l.end();
  }

  /** Synchronous last resort (process 'exit' handler): SIGKILL every group we started. */
  killAllNow(): void {
    for (const c of transient) c.kill('SIGKILL');
    for (const m of this.#procs.values()) signalGroup(m.pid, 'SIGKILL');
    this.#procs.clear();
  }

  /** Pids still running, for CPU accounting. */
  running(): number[] {
    return [...this.#procs.keys()];
  }

  #hook(): void {
    if (this.#hooked) return;
    this.#hooked = true;
    process.on('exit', () => this.killAllNow());
    // `on`, not `once`: a loader such as tsx exits at once when a signal finds no listener left,
    // which would cut the graceful stop short. A second signal while stopping is ignored.
    let stopping = false;
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(sig, () => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`\nbench: ${sig}, stopping every process it started\n`);
        void this.stopAll().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
      });
    }
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig); // the group we created with detached: true
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until a TCP connect to host:port succeeds; throws after `timeoutMs`. */
export async function waitForPort(host: string, port: number, timeoutMs = 15_000, alive?: Managed): Promise<void> {
  const end = Date.now() + timeoutMs;
  let exited: number | string | null = null;
  void alive?.exited.then((c) => (exited = c));
  while (Date.now() < end) {
    if (exited !== null) throw new Error(`${alive!.name} exited (${exited}) before listening on ${host}:${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      s.setTimeout(500);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
      s.once('timeout', () => { s.destroy(); resolve(false); });
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${host}:${port} did not accept connections within ${timeoutMs} ms`);
}

/**
 * Runs a load tool (wrk, h2load) to completion, pinned to `cpu` (null: unpinned), and returns
 * its standard output; killed after its duration plus 30 s; non-zero exit rejects with its
 * output.
 */
export function runLoadTool(cpu: number | null, argv: readonly string[], durationS: number): Promise<string> {
  const [cmd, ...rest] = pinned(cpu, [...argv]);
  return new Promise<string>((resolve, reject) => {
    const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    trackTransient(child);
    let text = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), (durationS + 30) * 1000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(text);
      else reject(new Error(`${argv[0]} exited ${code}: ${err.trim() || text.trim()}`));
    });
  });
}
