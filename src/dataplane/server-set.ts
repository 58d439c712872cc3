/**
 * The lifecycle of a set of server sockets keyed by address (HTTP servers in data-plane.ts,
 * TLS/TCP/UDP servers in l4/stream-servers.ts): one way to apply a new set of tables.
 *
 * apply(): bind the sockets that are new (in parallel; a bind failure is reported per server
 * and leaves the others alone), then in one synchronous pass hand the new table to every
 * socket that stays and publish the fresh ones (no connection sees half a config), then drain
 * the sockets whose key went away with a grace period. A socket whose key stays is never
 * restarted, unless `mustReplace` says its kind changed (then its port is released first).
 */
import type { DataPlaneError } from './errors.js';
import type { ServerError } from './index.js';
import type { LogFn } from './upstream/forward.js';

/** What a server set needs from a socket. */
export interface ManagedListener<T> {
  readonly table: T;
  readonly draining: boolean;
  listen(): Promise<void>;
  drain(graceMs: number): Promise<void>;
}

/** The naming fields of a table, for errors and logs. */
export interface ServerIdentity {
  readonly name: string;
  readonly address: string;
  readonly port: number;
}

/** How a server set makes and updates its sockets. */
export interface ServerSetHooks<T, L> {
  /** A new, unbound socket for a table. */
  create(table: T): L;
  /** True when the socket under this key cannot serve the table and must be rebound. */
  mustReplace?(listener: L, table: T): boolean;
}

/** Sockets by key, plus the ones draining. */
export class ServerSet<T extends ServerIdentity, L extends ManagedListener<T>> {
  readonly #hooks: ServerSetHooks<T, L>;
  readonly #log: LogFn;
  readonly #drainGraceMs: number;
  readonly #live = new Map<string, L>();
  readonly #draining = new Set<L>();

  constructor(hooks: ServerSetHooks<T, L>, log: LogFn, drainGraceMs: number) {
    this.#hooks = hooks;
    this.#log = log;
    this.#drainGraceMs = drainGraceMs;
  }

  /** Serving sockets. */
  get size(): number {
    return this.#live.size;
  }

  /** Serving sockets, then draining ones (for stats). */
  listeners(): L[] {
    return [...this.#live.values(), ...this.#draining];
  }

  /**
   * Binds, swaps and drains so that exactly the keys of `wanted` are served; `swap` gives a
   * socket that stays its new table. Returns the servers that could not be bound.
   */
  async apply(wanted: ReadonlyMap<string, T>, swap: (listener: L, table: T) => void): Promise<ServerError[]> {
    // 1. Bind new servers.
    const errors: ServerError[] = [];
    const fresh: [string, L][] = [];
    await Promise.all(
      [...wanted].map(async ([key, table]) => {
        const old = this.#live.get(key);
        if (old !== undefined) {
          if (this.#hooks.mustReplace?.(old, table) !== true) return;
          // The socket changes kind: release the port (connections in flight finish on the
          // old socket), then bind the new one.
          this.#live.delete(key);
          this.#drain(old);
          await new Promise((resolve) => setImmediate(resolve));
        }
        const l = this.#hooks.create(table);
        try {
          await l.listen();
          fresh.push([key, l]);
        } catch (err) {
          const e = err as DataPlaneError;
          errors.push({ server: table.name, address: table.address, port: table.port, code: e.code, message: e.message });
          this.#log('warn', 'cannot bind server', { server: table.name, address: table.address, port: table.port, code: e.code });
        }
      }),
    );

    // 2. Swap: one synchronous pass over the servers that stay, then publish the new ones.
    for (const [key, l] of this.#live) {
      const table = wanted.get(key);
      if (table !== undefined) swap(l, table);
    }
    for (const [key, l] of fresh) this.#live.set(key, l);

    // 3. Drain servers that went away.
    for (const [key, l] of [...this.#live]) {
      if (wanted.has(key)) continue;
      this.#live.delete(key);
      this.#drain(l);
    }
    return errors;
  }

  #drain(l: L): void {
    this.#draining.add(l);
    void l.drain(this.#drainGraceMs).then(() => this.#draining.delete(l));
  }

  /** Stops every socket; connections get `graceMs` to finish. */
  async close(graceMs: number): Promise<void> {
    const all = this.listeners();
    this.#live.clear();
    await Promise.all(all.map((l) => l.drain(graceMs)));
    this.#draining.clear();
  }
}
