/**
 * Sending IR servers to a peer that already holds most of them (a data plane worker process,
 * a provisioned proxy): rules, virtual hosts and matches the peer received before travel as
 * numeric ids, new ones as `{ id, value }`. The peer resolves the ids to the very objects it
 * decoded earlier, so its data plane, which caches compiled tables by IR object
 * (router/compile.ts CompileCache), only compiles what changed — and the message is as big as
 * the change, not as the server.
 *
 *   encoder.encodeConfig(servers) → message ──▶ decoder.decodeConfig(message) → servers
 *   peer applied it:  encoder: commit()              decoder: commit()
 *   peer failed:      encoder: abort() (next message says `reset`; the decoder starts over)
 *
 * Both sides remember, per server name, the objects they exchanged for it (an id table) and the
 * last committed server. A listener's rules and virtual hosts are sent as an edit of that
 * server's listener of the same name — positions removed, and refs inserted at positions
 * (ir/identity-diff.ts lines the lists up) — so a change costs what changed on both sides, at
 * 5k routes too. The tables only grow between passes (both sides add the same entries); when
 * a server's table is more than twice what it uses, the server is sent `fresh`: whole lists
 * and a new table, on both sides. A server that is not re-sent keeps its table while its name is
 * still in the config. Plain data only (structured clone or JSON).
 *
 * A whole config travels as `encodeConfig` / `decodeConfig`: every server name, and only the
 * servers that are not the very object last committed encoded (the others are named only).
 */
import { alignByIdentity, changeBudget } from './identity-diff.js';
import type * as ir from './types.js';

/** An object the peer holds (its id) or a new one (defined with its id). */
export type Ref<T> = number | { readonly id: number; readonly value: T };

export interface EncodedVirtualHost {
  readonly hostname: string;
  readonly entries: readonly { readonly rule: number; readonly match: Ref<ir.Match> }[];
}

/**
 * A list, whole; or an edit of the peer's list in the same place of its last committed server
 * (same server and listener name): drop the old positions `removed`, then put `refs[k]` at new
 * position `at[k]` (both ascending); the other positions keep the old elements in order.
 */
export type EncodedList<E> =
  | readonly Ref<E>[]
  | { readonly length: number; readonly removed: readonly number[]; readonly at: readonly number[]; readonly refs: readonly Ref<E>[] };

export interface EncodedListener extends Omit<ir.Listener, 'rules' | 'virtualHosts'> {
  readonly rules: EncodedList<ir.Rule>;
  readonly virtualHosts: EncodedList<EncodedVirtualHost>;
}

export interface EncodedServer extends Omit<ir.Server, 'listeners'> {
  /** The peer starts this server's id table over, and its lists are whole. */
  readonly fresh: boolean;
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
   * object last committed under their name (all of them after a reset). `commit()` once the
   * peer applied it, else `abort()`.
   */
  encodeConfig(servers: readonly ir.Server[]): { names: string[]; changed: EncodedServers; commit(): void; abort(): void } {
    const names = servers.map((s) => s.name);
    // After a reset the peer holds no table, so every server is sent again: one it kept would
    // hold objects that the peer can no longer name, and would decode twice.
    const e = this.encode(servers.filter((s) => this.#reset || this.#servers.get(s.name) !== s));
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
      const held = this.#held.get(server.name);
      const base = this.#reset ? undefined : this.#servers.get(server.name);
      const fresh = held === undefined || base === undefined || outgrown(held, server);
      // A table that is kept grows in place (an abort resets everything anyway).
      const table = fresh ? new Map<object, number>() : held;
      perServer.set(server.name, table);
      const match = (m: ir.Match): Ref<ir.Match> => ref(table, m, (x) => x);
      const rule = (r: ir.Rule): Ref<ir.Rule> => ref(table, r, (x) => x);
      const vhost = (vh: ir.VirtualHost): Ref<EncodedVirtualHost> =>
        ref(table, vh, (v) => ({ hostname: v.hostname, entries: v.entries.map((e) => ({ rule: e.rule, match: match(e.match) })) }));
      return {
        fresh,
        ...server,
        listeners: server.listeners.map((l) => {
          const before = fresh ? undefined : base.listeners.find((b) => b.name === l.name);
          return { ...l, rules: encodeList(before?.rules, l.rules, rule), virtualHosts: encodeList(before?.virtualHosts, l.virtualHosts, vhost) };
        }),
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
      const held = this.#held.get(server.name);
      const base = message.reset ? undefined : this.#servers.get(server.name);
      if (!server.fresh && (held === undefined || base === undefined)) throw new Error(`IR delta: server ${server.name} was sent as an edit of nothing held`);
      const table = server.fresh ? new Map<number, object>() : held!;
      perServer.set(server.name, table);
      const rule = (r: Ref<ir.Rule>): ir.Rule => resolve(table, r, (x: ir.Rule) => x);
      const vhost = (r: Ref<EncodedVirtualHost>): ir.VirtualHost =>
        resolve(table, r, (v: EncodedVirtualHost) => ({
          hostname: v.hostname,
          entries: v.entries.map((e) => ({ rule: e.rule, match: resolve(table, e.match, (m: ir.Match) => m) })),
        }));
      const { fresh: _fresh, ...rest } = server;
      return {
        ...rest,
        listeners: server.listeners.map((l) => {
          const before = server.fresh ? undefined : base!.listeners.find((b) => b.name === l.name);
          return { ...l, rules: decodeList(before?.rules, l.rules, rule), virtualHosts: decodeList(before?.virtualHosts, l.virtualHosts, vhost) };
        }),
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

/**
 * Whether `table` holds more than twice what `server` uses (rules, virtual hosts and at most
 * one match per entry), plus some slack: then the server goes `fresh`.
 */
function outgrown(table: ReadonlyMap<object, number>, server: ir.Server): boolean {
  let live = 0;
  for (const l of server.listeners) {
    live += l.rules.length + l.virtualHosts.length;
    for (const v of l.virtualHosts) live += v.entries.length;
  }
  return table.size > 2 * live + 1024;
}

/** `next` as an edit of `before` (the peer's list in the same place), or whole. */
function encodeList<T extends object, E>(before: readonly T[] | undefined, next: readonly T[], ref: (o: T) => Ref<E>): EncodedList<E> {
  if (before === undefined) return next.map(ref);
  const diff = before === next ? NO_CHANGE : alignByIdentity(before, next, changeBudget(next.length));
  if (diff === null) return next.map(ref);
  return { length: next.length, removed: diff.removed, at: diff.inserted, refs: diff.inserted.map((j) => ref(next[j]!)) };
}

const NO_CHANGE = { removed: [], inserted: [] } as const;

/** The list an EncodedList describes, given the peer-side `before` it edits. */
function decodeList<E, T>(before: readonly T[] | undefined, list: EncodedList<E>, resolve: (r: Ref<E>) => T): readonly T[] {
  if (Array.isArray(list)) return (list as readonly Ref<E>[]).map(resolve);
  const edit = list as Exclude<EncodedList<E>, readonly Ref<E>[]>;
  if (before === undefined) throw new Error('IR delta: a list edit for a listener the peer does not hold');
  if (edit.length !== before.length - edit.removed.length + edit.at.length) throw new Error('IR delta: a list edit that does not fit the list held');
  if (edit.removed.length === 0 && edit.at.length === 0) return before as T[]; // unchanged: the very list held
  const out = new Array<T>(edit.length);
  let i = 0; // position in `before`
  let r = 0; // next of `removed`
  let k = 0; // next of `at`
  for (let j = 0; j < edit.length; j++) {
    if (k < edit.at.length && edit.at[k] === j) {
      out[j] = resolve(edit.refs[k++]!);
      continue;
    }
    while (r < edit.removed.length && edit.removed[r] === i) {
      r++;
      i++;
    }
    out[j] = before[i++]!;
  }
  return out;
}
