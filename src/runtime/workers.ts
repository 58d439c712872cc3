/**
 * The multi-process data plane of `waygate serve --workers N`: the controller stays in this
 * process, N worker processes (node:cluster, src/dataplane/worker.ts) run the HTTP data plane.
 *
 * - apply(config) sends the IR to every worker and resolves once every live worker has
 *   acknowledged it (a config version is "applied" when all workers serve it). A config a
 *   worker cannot compile rejects, as the in-process data plane does.
 * - Workers share the listening sockets: every listener binds with `exclusive: false`, so
 *   cluster hands the same socket to each worker and the kernel spreads connections over them
 *   (SCHED_NONE: no hop through this process, which may be busy translating).
 * - A worker that dies is replaced, and the replacement gets the current IR before it counts as
 *   live; restarts back off while workers keep dying quickly.
 * - stats() sums the counters the workers report every STATS_INTERVAL_MS and with every ack.
 */
import cluster, { type Worker } from 'node:cluster';
import { IrEncoder } from '../ir/delta.js';
import type * as ir from '../ir/types.js';
import { DataPlaneError, GW_ERR, type ErrorCode } from '../dataplane/errors.js';
import type { ApplyResult, DataPlaneStats, HttpDataPlane, ServerError, ServerStats } from '../dataplane/index.js';
import type { FromWorker, ToWorker } from '../dataplane/worker-protocol.js';
import type { Logger } from '../log.js';
import { backoffMs } from './backoff.js';
import { withDataPlaneFlags } from './v8-flags.js';

export interface WorkerPoolOptions {
  /** Number of worker processes (≥ 1). */
  readonly workers: number;
  readonly log: Logger;
  /** Longest wait for a worker to start or acknowledge a config (default 30 000 ms). */
  readonly timeoutMs?: number;
}

interface Slot {
  readonly index: number;
  worker: Worker | null;
  /** True once the worker runs the current config (or there is none yet). */
  live: boolean;
  stats: DataPlaneStats | null;
  /** Quick consecutive crashes, for the restart backoff. */
  crashes: number;
  startedAt: number;
  /** What this worker holds of the configs it acknowledged (src/ir/delta.ts): unchanged servers are sent by name. */
  encoder: IrEncoder;
  readonly waiters: Map<number, (m: FromWorker) => void>;
}

const EMPTY: ir.Config = { version: 1, servers: [] };

/** Where the worker entry point is: beside this file's build output, or the .ts source under tsx. */
function workerEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`../dataplane/worker${ext}`, import.meta.url).pathname;
}

/** A DataPlane whose data plane runs in worker processes. */
export class WorkerPool implements HttpDataPlane {
  readonly #opts: WorkerPoolOptions;
  readonly #log: Logger;
  readonly #slots: Slot[] = [];
  #config: ir.Config = EMPTY;
  /** The config being applied (a replacement worker syncs to it), else the current one. */
  #target: ir.Config = EMPTY;
  #applied = false;
  #seq = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #closing = false;
  #started: Promise<void> | null = null;

  constructor(opts: WorkerPoolOptions) {
    this.#opts = opts;
    this.#log = opts.log;
  }

  /** Forks the workers (apply() does it on first use); resolves when every one of them is up. */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: workerEntry(), execArgv: withDataPlaneFlags(process.execArgv), serialization: 'advanced', silent: false });
    const n = Math.max(1, Math.floor(this.#opts.workers));
    for (let i = 0; i < n; i++) {
      this.#slots.push({ index: i, worker: null, live: false, stats: null, crashes: 0, startedAt: 0, encoder: new IrEncoder(), waiters: new Map() });
    }
    await Promise.all(this.#slots.map((s) => this.#fork(s)));
  }

  /** Number of workers currently serving the current config. */
  get liveWorkers(): number {
    return this.#slots.filter((s) => s.live).length;
  }

  /** Worker process ids (for tests and diagnostics). */
  pids(): number[] {
    return this.#slots.flatMap((s) => (s.worker?.process.pid === undefined ? [] : [s.worker.process.pid]));
  }

  apply(config: ir.Config): Promise<ApplyResult> {
    const run = this.#queue.then(() => this.#apply(config));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply(config: ir.Config): Promise<ApplyResult> {
    if (this.#closing) throw new DataPlaneError(GW_ERR.CLOSED, 'data plane is closed');
    await this.start();
    this.#target = config;
    this.#applied = true;
    const slots = this.#slots.filter((s) => s.live && s.worker !== null);
    const replies = await Promise.all(slots.map((s) => this.#send(s, config)));
    const errors = new Map<string, ServerError>();
    for (const r of replies) {
      if (r.type === 'apply-failed') {
        this.#target = this.#config;
        throw new DataPlaneError(r.code as ErrorCode, r.message);
      }
      if (r.type === 'applied') for (const e of r.errors) errors.set(e.server, e);
    }
    this.#config = config;
    return { errors: [...errors.values()].sort((a, b) => (a.server < b.server ? -1 : a.server > b.server ? 1 : 0)) };
  }

  /** Sends a config to one worker; resolves with its answer ('closed' if it died meanwhile). */
  #send(slot: Slot, config: ir.Config): Promise<FromWorker> {
    const worker = slot.worker;
    if (worker === null) return Promise.resolve({ type: 'closed' });
    const seq = ++this.#seq;
    return new Promise<FromWorker>((resolve) => {
      const timer = setTimeout(() => {
        slot.waiters.delete(seq);
        this.#log.error('data plane worker did not acknowledge a config; restarting it', { worker: slot.index });
        worker.process.kill('SIGKILL');
        resolve({ type: 'closed' });
      }, this.#opts.timeoutMs ?? 30_000);
      // Only servers that changed are serialized, as deltas; the others are named (see worker-protocol.ts).
      const encoding = slot.encoder.encodeConfig(config.servers);
      slot.waiters.set(seq, (m) => {
        clearTimeout(timer);
        if (m.type === 'applied' && slot.worker === worker) {
          encoding.commit();
        } else {
          encoding.abort();
        }
        resolve(m);
      });
      const msg: ToWorker = { type: 'apply', seq, version: config.version, names: encoding.names, changed: encoding.changed };
      if (worker.isConnected()) worker.send(msg);
      else worker.process.kill('SIGKILL'); // its 'exit' answers the waiter with 'closed'
    });
  }

  #fork(slot: Slot): Promise<void> {
    return new Promise<void>((resolve) => {
      const worker = cluster.fork({ WAYGATE_WORKER_INDEX: String(slot.index) });
      slot.worker = worker;
      slot.encoder = new IrEncoder();
      slot.live = false;
      slot.startedAt = Date.now();
      let up = false;
      // An IPC send to a worker that is exiting fails with an 'error' event; unheard, it would
      // end this process. The worker's 'exit' follows and is handled there.
      worker.on('error', (err) => this.#log.warn('data plane worker channel error', { worker: slot.index, error: err.message }));
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          // A replacement serves the current config before it counts as live; one that comes
          // up while the pool closes gets nothing more (it has been told to close).
          if (!this.#applied || this.#closing) {
            slot.live = true;
            up = true;
            resolve();
            return;
          }
          void this.#sync(slot, worker).then(() => {
            up = true;
            resolve();
          });
        } else if (m.type === 'applied' || m.type === 'apply-failed') {
          if (m.type === 'applied') slot.stats = m.stats;
          slot.waiters.get(m.seq)?.(m);
          slot.waiters.delete(m.seq);
        } else if (m.type === 'stats') {
          slot.stats = m.stats;
        } else if (m.type === 'log') {
          this.#log.log(m.level, m.msg, { worker: slot.index, ...(m.fields ?? {}) });
        }
      });
      worker.on('exit', (code, signal) => {
        if (slot.worker !== worker) return;
        slot.worker = null;
        slot.live = false;
        slot.stats = null;
        for (const w of slot.waiters.values()) w({ type: 'closed' });
        slot.waiters.clear();
        if (!up) resolve();
        if (this.#closing) return;
        const quick = Date.now() - slot.startedAt < 10_000;
        slot.crashes = quick ? slot.crashes + 1 : 0;
        const delay = slot.crashes <= 1 ? 0 : backoffMs(slot.crashes - 2, 100, 5_000, false);
        this.#log.error('data plane worker exited; starting a new one', { worker: slot.index, code, signal, restartInMs: delay });
        setTimeout(() => {
          if (!this.#closing) void this.#fork(slot);
        }, delay).unref();
      });
    });
  }

  /** Brings a new worker to the config being served (again if it moved on meanwhile). */
  async #sync(slot: Slot, worker: Worker): Promise<void> {
    for (;;) {
      const target = this.#target;
      const r = await this.#send(slot, target);
      if (r.type !== 'applied' || slot.worker !== worker) return;
      if (this.#target === target) {
        slot.live = true;
        return;
      }
    }
  }

  current(): ir.Config {
    return this.#config;
  }

  /** Drains every worker (requests in flight get `graceMs`), then waits for them to exit. */
  async close(graceMs = 10_000): Promise<void> {
    if (this.#closing) return;
    await this.#queue;
    this.#closing = true;
    await Promise.all(
      this.#slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            const worker = slot.worker;
            if (worker === null || worker.isDead()) return resolve();
            const kill = setTimeout(() => worker.process.kill('SIGKILL'), graceMs + 2_000);
            worker.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            const msg: ToWorker = { type: 'close', graceMs };
            if (worker.isConnected()) worker.send(msg);
            else worker.process.kill('SIGTERM');
          }),
      ),
    );
  }

  stats(): DataPlaneStats {
    return sumStats(this.#slots.flatMap((s) => (s.stats === null ? [] : [s.stats])), this.#config.version);
  }
}

/** Adds up the counters of the workers; a server shows once with the sum of its counters. */
export function sumStats(all: readonly DataPlaneStats[], irVersion: number): DataPlaneStats {
  const servers = new Map<string, ServerStats>();
  let connections = 0;
  let inFlight = 0;
  let requests = 0;
  let pools = 0;
  let h2cSessions = 0;
  for (const st of all) {
    for (const s of st.servers) {
      const key = `${s.name}|${s.state}`;
      const prev = servers.get(key);
      servers.set(key, prev === undefined ? { ...s } : {
        ...prev,
        boundPort: prev.boundPort ?? s.boundPort,
        connections: prev.connections + s.connections,
        totalConnections: prev.totalConnections + s.totalConnections,
        inFlight: prev.inFlight + s.inFlight,
        totalRequests: prev.totalRequests + s.totalRequests,
      });
    }
    connections += st.totals.connections;
    inFlight += st.totals.inFlight;
    requests += st.totals.requests;
    pools += st.upstream.pools;
    h2cSessions += st.upstream.h2cSessions;
  }
  return {
    generation: all.length === 0 ? 0 : Math.min(...all.map((s) => s.generation)),
    irVersion,
    servers: [...servers.values()],
    unsupported: all[0]?.unsupported ?? [],
    totals: { connections, inFlight, requests },
    upstream: { pools, h2cSessions },
  };
}
