/**
 * Keep-alive connection pools to backend endpoints: one undici `Pool` per endpoint (HTTP/1.1,
 * `pipelining: 1`) and one HTTP/2 session per h2c endpoint. Created lazily on first use, kept
 * across config swaps while the endpoint is still referenced, closed when a new config no longer
 * references it (gracefully: requests in flight on it finish first). Backends reached over TLS
 * (BackendTLSPolicy) get pools of their own, keyed by endpoint and TLS identity (poolKey, tls.ts).
 */
import http2 from 'node:http2';
import { Pool } from 'undici';
import type * as ir from '../../ir/types.js';
import { backendTLSConnectOptions, tlsIdentity } from './tls.js';

/** Tuning for the upstream side. */
export interface UpstreamOptions {
  /** Max connections per endpoint pool (null: unlimited). */
  readonly connectionsPerEndpoint: number | null;
  /** Idle keep-alive time of upstream connections. */
  readonly keepAliveTimeoutMs: number;
  /** TCP connect timeout. */
  readonly connectTimeoutMs: number;
  /** Default time to wait for response headers when the route sets no timeout. */
  readonly headersTimeoutMs: number;
  /** Default max inactivity while streaming a body. */
  readonly bodyTimeoutMs: number;
}

/**
 * Socket options of plaintext backend connections. undici's read high-water mark is 64 KiB, the
 * size of one socket read, so every read that fills it stops the socket's reads until the parser
 * has taken the data, and starts them again: two `epoll_ctl` calls for every answer of 64 KiB
 * or more (strace of the 64 KiB benchmark). At 128 KiB the reads of one answer run on. TLS
 * sockets keep undici's 16 KiB (a TLS record is at most 16 KiB).
 */
const PLAIN_CONNECT = { highWaterMark: 128 * 1024 } as NonNullable<Pool.Options['connect']>;

/** `host:port` with brackets for IPv6. */
export function endpointKey(e: ir.Endpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** The pool of an endpoint: one per endpoint and TLS identity (a policy change = new pool). */
export function poolKey(e: ir.Endpoint, tls: ir.BackendTLS | null): string {
  return tls === null ? endpointKey(e) : `${endpointKey(e)}|tls:${tlsIdentity(tls)}`;
}

/** Lazily created pools and h2c sessions keyed by endpoint. */
export class UpstreamPools {
  readonly #opts: UpstreamOptions;
  readonly #pools = new Map<string, Pool>();
  readonly #sessions = new Map<string, http2.ClientHttp2Session>();
  /** Per-request shortcut: endpoint object (and TLS object) → its pool, without building the key. */
  #byEndpoint = new WeakMap<ir.Endpoint, { readonly tls: ir.BackendTLS | null; readonly pool: Pool }>();
  #closed = false;

  constructor(opts: UpstreamOptions) {
    this.#opts = opts;
  }

  /** The options pools were built with. */
  get options(): UpstreamOptions {
    return this.#opts;
  }

  /** The HTTP/1.1 pool for an endpoint (over TLS when `tls` is set), created on first use. */
  pool(e: ir.Endpoint, tls: ir.BackendTLS | null = null): Pool {
    const hit = this.#byEndpoint.get(e);
    if (hit !== undefined && hit.tls === tls) return hit.pool;
    const key = poolKey(e, tls);
    let p = this.#pools.get(key);
    if (p === undefined) {
      p = new Pool(`${tls === null ? 'http' : 'https'}://${endpointKey(e)}`, {
        connect: tls === null ? PLAIN_CONNECT : (backendTLSConnectOptions(tls, ['http/1.1']) as NonNullable<Pool.Options['connect']>),
        connections: this.#opts.connectionsPerEndpoint,
        pipelining: 1,
        keepAliveTimeout: this.#opts.keepAliveTimeoutMs,
        connectTimeout: this.#opts.connectTimeoutMs,
        headersTimeout: this.#opts.headersTimeoutMs,
        bodyTimeout: this.#opts.bodyTimeoutMs,
      });
      this.#pools.set(key, p);
    }
    this.#byEndpoint.set(e, { tls, pool: p });
    return p;
  }

  /**
   * The shared HTTP/2 session for an endpoint, reconnected when closed: prior knowledge (h2c),
   * or over TLS with ALPN h2 when `tls` is set.
   */
  session(e: ir.Endpoint, tls: ir.BackendTLS | null = null): http2.ClientHttp2Session {
    const key = poolKey(e, tls);
    const s = this.#sessions.get(key);
    if (s !== undefined && !s.closed && !s.destroyed) return s;
    const session =
      tls === null ? http2.connect(`http://${key}`) : http2.connect(`https://${endpointKey(e)}`, backendTLSConnectOptions(tls, ['h2']));
    session.on('error', () => {
      // Stream-level callers see their own errors; a dead session is just dropped.
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    });
    session.on('close', () => {
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    });
    session.on('goaway', () => {
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    });
    // Idle sessions must not keep the process alive.
    session.unref();
    session.setTimeout(this.#opts.keepAliveTimeoutMs * 15, () => session.close());
    this.#sessions.set(key, session);
    return session;
  }

  /** Closes pools and sessions whose key (poolKey) is not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const [key, p] of this.#pools) {
      if (keep.has(key)) continue;
      this.#pools.delete(key);
      this.#byEndpoint = new WeakMap(); // no shortcut may lead to a closed pool
      void p.close().catch(() => undefined);
    }
    for (const [key, s] of this.#sessions) {
      if (keep.has(key)) continue;
      this.#sessions.delete(key);
      s.close();
    }
  }

  /** Number of live pools and sessions (for stats and tests). */
  size(): { pools: number; sessions: number } {
    return { pools: this.#pools.size, sessions: this.#sessions.size };
  }

  /** Closes everything; waits for requests in flight up to `graceMs`, then destroys. */
  async close(graceMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pools = [...this.#pools.values()];
    const sessions = [...this.#sessions.values()];
    this.#pools.clear();
    this.#sessions.clear();
    this.#byEndpoint = new WeakMap();
    for (const s of sessions) s.close();
    const graceful = Promise.all(pools.map((p) => p.close().catch(() => undefined)));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), graceMs);
    });
    const outcome = await Promise.race([graceful.then(() => 'done' as const), expired]);
    clearTimeout(timer);
    if (outcome === 'expired') {
      await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
      for (const s of sessions) s.destroy();
    }
  }
}
