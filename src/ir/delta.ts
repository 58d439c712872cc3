/**
 * Sending IR servers to a peer that already holds most of them (a data plane worker process):
 * rules, virtual hosts and matches the peer received before travel as numeric ids, new ones as
 * `{ id, value }`. The peer resolves the ids to the very objects it decoded earlier, so its
 * data plane, which caches compiled tables by IR object (router/compile.ts CompileCache), only
 * compiles what changed — and the message is as big as the change, not as the server.
 *
 *   encoder.encode(servers, allNames) → message ──▶ decoder.decode(message) → servers
 *   peer applied it:  encoder: commit()              decoder: commit(allNames)
 *   peer failed:      encoder: abort() (next message says `reset`; the decoder starts over)
 *
 * Both sides remember, per server name, the objects of the last committed message's servers;
 * a server that is not re-sent keeps its entry while its name is still in the config. Plain
 * data only (structured clone or JSON).
 *
 * A whole config travels as `encodeConfig` / `decodeConfig`: every server name, and only the
 * servers that are not the very object last committed encoded (the others are named only).
 */
import type * as ir from './types.js';

/** An object the peer holds (its id) or a new one (defined with its id). */
export type Ref<T> = number | { readonly id: number; readonly value: T };

export interface EncodedVirtualHost {
  readonly hostname: string;
  readonly entries: readonly { readonly rule: number; readonly match: Ref<ir.Match> }[];
}

export interface EncodedListener extends Omit<ir.Listener, 'rules' | 'virtualHosts'> {
  readonly rules: readonly Ref<ir.Rule>[];
  readonly virtualHosts: readonly Ref<EncodedVirtualHost>[];
}

export interface EncodedServer extends Omit<ir.Server, 'listeners'> {
  readonly listeners: readonly EncodedListener[];
}

export interface EncodedServers {
  /** The decoder must forget everything it holds before decoding (after a failure or at start). */
  readonly reset: boolean;
  readonly servers: readonly EncodedServer[];
}

/**
 * What both sides remember after a committed message (they must agree): the tables of the
 * servers it carried replace those held, and servers no longer in the config (`names`) are
 * forgotten; the others keep theirs.
 */
function keepHeld<V>(held: Map<string, V>, sent: ReadonlyMap<string, V>, names: Iterable<string>): void {
  const keep = new Set(names);
  for (const [name, table] of sent) held.set(name, table);
  for (const name of [...held.keys()]) if (!keep.has(name)) held.delete(name);
}

/** The encoding side, one per peer. */
export class IrEncoder {
  /** Per server name: the objects the peer holds from it, with their ids. */
  #held = new Map<string, Map<object, number>>();
  #nextId = 1;
  #reset = true;
  /** The servers of the last committed config, by name. */
  #servers = new Map<string, ir.Server>();

  /**
   * Encodes a whole config: `names` of all its servers, `changed` the ones that are not the
   * object last committed under their name. `commit()` once the peer applied it, else `abort()`.
   */
  encodeConfig(servers: readonly ir.Server[]): { names: string[]; changed: EncodedServers; commit(): void; abort(): void } {
    const names = servers.map((s) => s.name);
    const e = this.encode(servers.filter((s) => this.#servers.get(s.name) !== s));
    return {
      names,
      changed: e.message,
      commit: () => {
        e.commit(names);
        this.#servers = new Map(servers.map((s) => [s.name, s]));
      },
      abort: () => e.abort(),
    };
  }

  /**
   * Encodes `servers` (those that changed). Call `commit(names)` with every server name of the
   * config once the peer applied it, or `abort()` if it did not.
   */
  encode(servers: readonly ir.Server[]): { message: EncodedServers; commit(names: Iterable<string>): void; abort(): void } {
    // After a reset the peer holds nothing.
    if (this.#reset) this.#held = new Map();
    const inMessage = new Map<object, number>();
    const perServer = new Map<string, Map<object, number>>();
    const ref = <T extends object, E>(table: Map<object, number>, obj: T, encode: (o: T) => E): Ref<E> => {
      let id = inMessage.get(obj) ?? this.#lookup(obj);
      if (id !== undefined) {
        table.set(obj, id);
        return id;
      }
      id = this.#nextId++;
      inMessage.set(obj, id);
      table.set(obj, id);
      return { id, value: encode(obj) };
    };
    const encoded = servers.map((server): EncodedServer => {
      const table = new Map<object, number>();
      perServer.set(server.name, table);
      const match = (m: ir.Match): Ref<ir.Match> => ref(table, m, (x) => x);
      const vhost = (vh: ir.VirtualHost): Ref<EncodedVirtualHost> =>
        ref(table, vh, (v) => ({ hostname: v.hostname, entries: v.entries.map((e) => ({ rule: e.rule, match: match(e.match) })) }));
      return {
        ...server,
        listeners: server.listeners.map((l) => ({
          ...l,
          rules: l.rules.map((r) => ref(table, r, (x) => x)),
          virtualHosts: l.virtualHosts.map(vhost),
        })),
      };
    });
    const message: EncodedServers = { reset: this.#reset, servers: encoded };
    return {
      message,
      commit: (names) => {
        keepHeld(this.#held, perServer, names);
        this.#reset = false;
      },
      abort: () => {
        this.#held = new Map();
        this.#reset = true;
      },
    };
  }

  #lookup(obj: object): number | undefined {
    for (const table of this.#held.values()) {
      const id = table.get(obj);
      if (id !== undefined) return id;
    }
    return undefined;
  }
}

/** The decoding side, one per peer. Throws on an id it does not hold (a protocol error). */
export class IrDecoder {
  #held = new Map<string, Map<number, object>>();
  /** The servers of the last committed config, by name. */
  #servers = new Map<string, ir.Server>();

  /**
   * Decodes a whole config (see `IrEncoder.encodeConfig`); call `commit()` once it is applied.
   * Throws when it names a server neither in `changed` nor in the last committed config.
   */
  decodeConfig(names: readonly string[], changed: EncodedServers): { servers: ir.Server[]; commit(): void } {
    const decoded = this.decode(changed);
    const byName = new Map(decoded.servers.map((s) => [s.name, s]));
    const servers = names.map((name) => {
      const server = byName.get(name) ?? this.#servers.get(name);
      if (server === undefined) throw new Error(`IR delta: server ${name} was never sent`);
      return server;
    });
    return {
      servers,
      commit: () => {
        decoded.commit(names);
        this.#servers = new Map(servers.map((s) => [s.name, s]));
      },
    };
  }

  /** Decodes a message; call `commit(names)` with every server name of the config once applied. */
  decode(message: EncodedServers): { servers: ir.Server[]; commit(names: Iterable<string>): void } {
    if (message.reset) this.#held = new Map();
    const inMessage = new Map<number, object>();
    const perServer = new Map<string, Map<number, object>>();
    const resolve = <E, T extends object>(table: Map<number, object>, r: Ref<E>, decode: (e: E) => T): T => {
      if (typeof r === 'number') {
        const obj = inMessage.get(r) ?? this.#lookup(r);
        if (obj === undefined) throw new Error(`IR delta: unknown object id ${r}`);
        table.set(r, obj);
        return obj as T;
      }
      const obj = decode(r.value);
      inMessage.set(r.id, obj);
      table.set(r.id, obj);
      return obj;
    };
    const servers = message.servers.map((server): ir.Server => {
      const table = new Map<number, object>();
      perServer.set(server.name, table);
      const vhost = (v: EncodedVirtualHost): ir.VirtualHost => ({
        hostname: v.hostname,
        entries: v.entries.map((e) => ({ rule: e.rule, match: resolve(table, e.match, (m: ir.Match) => m) })),
      });
      return {
        ...server,
        listeners: server.listeners.map((l) => ({
          ...l,
          rules: l.rules.map((r) => resolve(table, r, (x: ir.Rule) => x)),
          virtualHosts: l.virtualHosts.map((v) => resolve(table, v, vhost)),
        })),
      };
    });
    return {
      servers,
      commit: (names) => keepHeld(this.#held, perServer, names),
    };
  }

  #lookup(id: number): object | undefined {
    for (const table of this.#held.values()) {
      const obj = table.get(id);
      if (obj !== undefined) return obj;
    }
    return undefined;
  }
}
