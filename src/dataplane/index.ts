/**
 * The data plane's public face. It knows only the IR.
 *
 * `createDataPlane(opts)` returns the HTTP data plane: one strict node:http server per
 * `ir.Server` with protocol HTTP, routing tables compiled from the IR and swapped atomically on
 * `apply`, undici keep-alive pools (and h2c sessions) to backend endpoints.
 */
import type * as ir from '../ir/types.js';

export interface ServerError {
  /** ir.Server name */
  readonly server: string;
  readonly address: string;
  readonly port: number;
  readonly code: string;
  readonly message: string;
}

export interface ApplyResult {
  /** Servers that could not be bound; everything else is serving the new config. */
  readonly errors: readonly ServerError[];
}

/** Limits of client-facing connections; every field optional (defaults in parentheses). */
export interface ServerLimitOptions {
  /** Time to receive request headers (60 000 ms). */
  readonly headersTimeoutMs?: number;
  /** Time to receive the whole request body (300 000 ms; 0 disables). */
  readonly requestTimeoutMs?: number;
  /** Keep-alive idle time between requests (5 000 ms). */
  readonly keepAliveTimeoutMs?: number;
  /** Socket inactivity timeout (120 000 ms; 0 disables). */
  readonly idleTimeoutMs?: number;
  /** Open connections per server (10 000). */
  readonly maxConnections?: number;
}

/** Tuning of backend connections; every field optional (defaults in parentheses). */
export interface UpstreamLimitOptions {
  /** Connections per endpoint (unlimited). */
  readonly connectionsPerEndpoint?: number | null;
  /** Idle keep-alive time of backend connections (4 000 ms). */
  readonly keepAliveTimeoutMs?: number;
  /** TCP connect timeout (5 000 ms). */
  readonly connectTimeoutMs?: number;
  /** Wait for response headers when the route sets no timeout (300 000 ms). */
  readonly headersTimeoutMs?: number;
  /** Max inactivity while streaming a response body (300 000 ms). */
  readonly bodyTimeoutMs?: number;
}

export interface DataPlaneOptions {
  /** Structured log sink; the data plane never writes to stdout itself. */
  readonly log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /** Client connection limits. */
  readonly server?: ServerLimitOptions;
  /** Backend connection tuning. */
  readonly upstream?: UpstreamLimitOptions;
  /** Time removed servers get to finish requests in flight before connections are cut (30 000 ms). */
  readonly drainGraceMs?: number;
  /** Random source in [0,1) for weights, mirrors and jitter (Math.random); for tests. */
  readonly random?: () => number;
  /** TLS passthrough/terminate, TCP and UDP limits and timeouts (docs/l4.md). */
  readonly stream?: StreamLimitOptions;
}

/** L4 knobs; every field optional (defaults in docs/l4.md and l4/stream-servers.ts). */
export interface StreamLimitOptions {
  /** Open client connections per TCP/TLS server (10 000). */
  readonly maxConnections?: number;
  /** Time to connect to a backend endpoint (5 000 ms). */
  readonly connectTimeoutMs?: number;
  /** Endpoints tried per connection when connecting fails (3). */
  readonly connectAttempts?: number;
  /** Close a TCP/TLS connection idle both ways this long (3 600 000 ms; 0 never). */
  readonly idleTimeoutMs?: number;
  /** Time to receive the ClientHello, and to finish a terminated handshake (10 000 ms). */
  readonly handshakeTimeoutMs?: number;
  /** Largest ClientHello read (16 384 bytes). */
  readonly maxClientHelloBytes?: number;
  /** A UDP session idle this long expires (60 000 ms). */
  readonly sessionIdleMs?: number;
  /** UDP sessions per server; the least recently used is evicted beyond (10 000). */
  readonly maxSessions?: number;
}

/** Counters of one server socket. */
export interface ServerStats {
  readonly name: string;
  readonly gateway: string;
  readonly address: string;
  /** The port asked for in the IR. */
  readonly port: number;
  /** The port actually bound (differs when the IR asked for 0), null when not bound. */
  readonly boundPort: number | null;
  /** `serving`; `draining` after removal until its last connection closes. */
  readonly state: 'serving' | 'draining';
  readonly connections: number;
  readonly totalConnections: number;
  readonly inFlight: number;
  readonly totalRequests: number;
}

/** What `/readyz` and the admin endpoint show. */
export interface DataPlaneStats {
  /** Number of configs applied successfully so far (0: none yet). */
  readonly generation: number;
  /** `version` of the IR currently served. */
  readonly irVersion: number;
  readonly servers: readonly ServerStats[];
  /** IR servers not served because the data plane does not serve their protocol (names). */
  readonly unsupported: readonly string[];
  readonly totals: { readonly connections: number; readonly inFlight: number; readonly requests: number };
  readonly upstream: { readonly pools: number; readonly h2cSessions: number };
}

export interface DataPlane {
  /**
   * Compiles `config` beside the current one and swaps it in atomically. Never drops requests in
   * flight. Rejects (with a `GW_ERR_INVALID_CONFIG` DataPlaneError) without changing anything
   * when the config cannot be compiled.
   */
  apply(config: ir.Config): Promise<ApplyResult>;
  /** The config currently served. */
  current(): ir.Config;
  /** Stops listening, lets requests in flight finish (up to `graceMs`), closes upstream pools. */
  close(graceMs?: number): Promise<void>;
}

/**
 * What `createDataPlane` returns: a DataPlane with live counters. (A separate interface so fakes
 * implementing `DataPlane` elsewhere need not grow a `stats` method.)
 */
export interface HttpDataPlane extends DataPlane {
  /** Live counters for /readyz and the admin endpoint. */
  stats(): DataPlaneStats;
}

export { createDataPlane } from './data-plane.js';
export { DataPlaneError, GW_ERR, type ErrorCode } from './errors.js';
