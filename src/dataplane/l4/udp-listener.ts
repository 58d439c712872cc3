/**
 * One UDP socket of the L4 data plane (an ir.Server with protocol UDP).
 *
 * UDP has no connections, so the gateway keeps a session per client address:port: the first
 * datagram picks a backend by weight (UDPRoute BackendRefs: an invalid backend's share of
 * traffic is dropped) and opens a socket to one of its endpoints; later datagrams of
 * that client go the same way, and every reply of the backend is sent back to the client from
 * the listener's own socket, so the client sees answers from the address it talked to.
 * Sessions expire after `sessionIdleMs` without a datagram either way. The table is bounded:
 * when full, the least recently used session is closed to make room.
 *
 * The backend and endpoint are chosen from a hash of the client address:port, not at random:
 * with several worker processes sharing the socket, a client's datagrams may reach different
 * workers, and each picks the same backend for it (given the same config), so a session stays
 * on one backend. Across clients the hash spreads sessions by weight.
 *
 * A new table applies to new sessions; existing sessions keep their backend until they expire
 * — unless their backend endpoint is no longer in the config, then they are closed at once so
 * the client's next datagram opens a session elsewhere.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { bindSocket, boundPortOf } from '../bind.js';
import { pickBackend, selectListener, selectRoute, type CompiledStreamServer } from './compile.js';
import type { StreamContext, StreamCounters } from './stream-listener.js';

/** Limits of UDP sessions. */
export interface UdpLimits {
  /** A session without a datagram either way for this long is closed. */
  readonly sessionIdleMs: number;
  /** Most sessions open at once per server (least recently used evicted beyond). */
  readonly maxSessions: number;
}

interface Session {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  /** null: the session's share is dropped (invalid backend or none). */
  readonly upstream: dgram.Socket | null;
  /** `address|port` of the backend endpoint, null when dropped. */
  readonly endpoint: string | null;
  readonly to: { readonly address: string; readonly port: number } | null;
  lastSeen: number;
}

/** A bound UDP server for one address:port. */
export class UdpListener {
  table: CompiledStreamServer;
  readonly counters: StreamCounters = { connections: 0, totalConnections: 0, rejected: 0 };
  readonly #socket: dgram.Socket;
  readonly #ctx: StreamContext;
  readonly #limits: UdpLimits;
  /** Sessions by `address|port`, least recently used first (Map order, refreshed on use). */
  readonly #sessions = new Map<string, Session>();
  readonly #sweeper: NodeJS.Timeout;
  #draining = false;
  #closed: Promise<void> | null = null;

  constructor(table: CompiledStreamServer, ctx: StreamContext, limits: UdpLimits) {
    this.table = table;
    this.#ctx = ctx;
    this.#limits = limits;
    this.#socket = dgram.createSocket({ type: net.isIPv6(table.address) ? 'udp6' : 'udp4', reuseAddr: false });
    this.#socket.on('message', this.#onMessage);
    // One coarse timer for every session: expiry is accurate to a quarter of the idle time.
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(50, Math.floor(limits.sessionIdleMs / 4)));
    this.#sweeper.unref();
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Open sessions (for tests and stats). */
  get sessions(): number {
    return this.#sessions.size;
  }

  boundPort(): number | null {
    return boundPortOf(this.#socket);
  }

  listen(): Promise<void> {
    const { address, port } = this.table;
    return bindSocket(this.#socket, {
      start: () => this.#socket.bind({ address, port, exclusive: false }),
      what: `udp ${address}:${port}`,
      errorMessage: 'udp socket error',
      server: () => this.table.name,
      log: this.#ctx.log,
      onFail: () => clearInterval(this.#sweeper),
    });
  }

  /**
   * Applies a new table: closes the sessions whose backend endpoint the new table no longer
   * has (their next datagram opens a new session), keeps the others.
   */
  swap(table: CompiledStreamServer, liveEndpoints: ReadonlySet<string>): void {
    this.table = table;
    for (const s of [...this.#sessions.values()]) {
      if (s.endpoint !== null && !liveEndpoints.has(s.endpoint)) this.#close(s);
    }
  }

  /** Stops receiving; sessions stay up to `graceMs` for late replies, then everything closes. */
  drain(graceMs: number): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    this.#draining = true;
    this.#closed = new Promise<void>((resolve) => {
      const finish = (): void => {
        clearInterval(this.#sweeper);
        for (const s of [...this.#sessions.values()]) this.#close(s);
        try {
          this.#socket.close(() => resolve());
        } catch {
          resolve();
        }
      };
      if (this.#sessions.size === 0) finish();
      else setTimeout(finish, Math.min(graceMs, this.#limits.sessionIdleMs)).unref();
    });
    return this.#closed;
  }

  readonly #onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    if (this.#draining) return;
    const key = `${rinfo.address}|${rinfo.port}`;
    let s = this.#sessions.get(key);
    if (s === undefined) s = this.#open(key, rinfo);
    else {
      this.#sessions.delete(key); // refresh LRU position
      this.#sessions.set(key, s);
    }
    s.lastSeen = Date.now();
    if (s.upstream === null) {
      this.counters.rejected++;
      return;
    }
    s.upstream.send(msg, s.to!.port, s.to!.address);
  };

  #open(key: string, rinfo: dgram.RemoteInfo): Session {
    while (this.#sessions.size >= this.#limits.maxSessions) {
      const oldest = this.#sessions.values().next().value as Session | undefined;
      if (!oldest) break;
      this.#close(oldest);
    }
    const table = this.table;
    const listener = selectListener(table, null);
    const route = listener === null ? null : selectRoute(listener, null);
    const h = hashKey(key);
    const backend = route === null ? null : pickBackend(route, () => h / 2 ** 32);
    let upstream: dgram.Socket | null = null;
    let endpoint: string | null = null;
    let to: Session['to'] = null;
    if (backend !== null && backend.kind === 'service' && backend.endpoints.length > 0) {
      const ep = backend.endpoints[hashKey(`${key}#endpoint`) % backend.endpoints.length]!;
      endpoint = `${ep.address}|${ep.port}`;
      to = { address: ep.address, port: ep.port };
      const sock = dgram.createSocket(net.isIPv6(ep.address) ? 'udp6' : 'udp4');
      sock.on('error', () => {
        const cur = this.#sessions.get(key);
        if (cur && cur.upstream === sock) this.#close(cur);
      });
      sock.on('message', (reply: Buffer, from: dgram.RemoteInfo) => {
        if (from.port !== ep.port) return; // only the endpoint's answers
        const cur = this.#sessions.get(key);
        if (cur) cur.lastSeen = Date.now();
        this.#socket.send(reply, rinfo.port, rinfo.address);
      });
      upstream = sock;
    } else {
      this.#ctx.log('debug', 'udp session dropped', { server: table.name, client: key, backend: backend?.name ?? null });
    }
    const s: Session = { key, address: rinfo.address, port: rinfo.port, upstream, endpoint, to, lastSeen: Date.now() };
    this.#sessions.set(key, s);
    this.counters.connections++;
    this.counters.totalConnections++;
    return s;
  }

  #close(s: Session): void {
    if (this.#sessions.get(s.key) !== s) return;
    this.#sessions.delete(s.key);
    this.counters.connections--;
    if (s.upstream) {
      try {
        s.upstream.close();
      } catch {
        // already closed
      }
    }
  }

  #sweep(): void {
    const cutoff = Date.now() - this.#limits.sessionIdleMs;
    for (const s of [...this.#sessions.values()]) if (s.lastSeen <= cutoff) this.#close(s);
  }
}

/** A well-mixed 32-bit hash of a string (FNV-1a, then the murmur3 finalizer). */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
