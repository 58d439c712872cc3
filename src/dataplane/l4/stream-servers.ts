/**
 * The L4 half of the data plane: the TLS/TCP and UDP sockets of every ir.Server with protocol
 * TLS, TCP or UDP, with the same apply rules as the HTTP servers (data-plane.ts): compile
 * first (a config that does not compile changes nothing), bind new sockets, swap the tables of
 * the sockets that stay in one synchronous pass, drain the sockets that went away. A socket is
 * kept while its address, port and transport stay the same. data-plane.ts serializes calls.
 */
import type * as ir from '../../ir/types.js';
import type { ServerError } from '../index.js';
import { ServerSet } from '../server-set.js';
import { compileStreamServer, type CompiledStreamServer } from './compile.js';
import { hostTableValues } from '../router/host-table.js';
import { StreamListener, type StreamContext, type StreamLimits } from './stream-listener.js';
import { UdpListener, type UdpLimits } from './udp-listener.js';

/** Every L4 knob; the defaults are in DEFAULT_STREAM_OPTIONS. */
export interface StreamOptions extends StreamLimits, UdpLimits {}

/** Defaults (documented in docs/l4.md). */
export const DEFAULT_STREAM_OPTIONS: StreamOptions = {
  maxConnections: 10_000,
  connectTimeoutMs: 5_000,
  connectAttempts: 3,
  idleTimeoutMs: 3_600_000,
  handshakeTimeoutMs: 10_000,
  maxClientHelloBytes: 16 * 1024,
  sessionIdleMs: 60_000,
  maxSessions: 10_000,
};

/** True for the server protocols this module serves. */
export function isStreamServer(s: { readonly protocol: ir.ServerProtocol }): boolean {
  return s.protocol === 'TLS' || s.protocol === 'TCP' || s.protocol === 'UDP';
}

type AnyListener = StreamListener | UdpListener;

/** Counters of one L4 server, for stats. */
export interface StreamServerStats {
  readonly name: string;
  readonly gateway: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: 'TLS' | 'TCP' | 'UDP';
  readonly boundPort: number | null;
  readonly state: 'serving' | 'draining';
  /** Open connections (TCP/TLS) or sessions (UDP). */
  readonly connections: number;
  readonly totalConnections: number;
  readonly rejected: number;
}

function keyOf(s: { readonly address: string; readonly port: number; readonly protocol: string }): string {
  return `${s.protocol === 'UDP' ? 'udp' : 'tcp'}|${s.address}|${s.port}`;
}

/** Endpoint keys (`address|port`) referenced by a compiled server. */
function endpointKeys(servers: Iterable<CompiledStreamServer>): Set<string> {
  const out = new Set<string>();
  for (const s of servers) {
    for (const l of hostTableValues(s.listeners)) {
      const routes = hostTableValues(l.routes);
      if (l.first) routes.push(l.first);
      for (const r of routes) for (const b of r.backends) if (b.kind === 'service') for (const e of b.endpoints) out.add(`${e.address}|${e.port}`);
    }
  }
  return out;
}

/** The TLS/TCP/UDP sockets of the data plane. */
export class StreamServers {
  readonly #ctx: StreamContext;
  readonly #opts: StreamOptions;
  readonly #set: ServerSet<CompiledStreamServer, AnyListener>;

  constructor(ctx: StreamContext, opts: Partial<StreamOptions> = {}, drainGraceMs = 30_000) {
    this.#ctx = ctx;
    this.#opts = { ...DEFAULT_STREAM_OPTIONS, ...opts };
    this.#set = new ServerSet<CompiledStreamServer, AnyListener>(
      {
        create: (table) => (table.protocol === 'UDP' ? new UdpListener(table, this.#ctx, this.#opts) : new StreamListener(table, this.#ctx, this.#opts)),
      },
      ctx.log,
      drainGraceMs,
    );
  }

  /**
   * Compiles the L4 servers of a config (throws GW_ERR_INVALID_CONFIG, changing nothing, when
   * one does not compile). Returns a function that binds and swaps them in.
   */
  prepare(servers: readonly ir.Server[]): () => Promise<ServerError[]> {
    const wanted = new Map<string, CompiledStreamServer>();
    for (const s of servers) {
      if (!isStreamServer(s)) continue;
      const c = compileStreamServer(s);
      for (const problem of c.problems) this.#ctx.log('warn', 'TLS material not usable', { server: c.name, problem });
      if (!wanted.has(keyOf(c))) wanted.set(keyOf(c), c);
    }
    return () => {
      const live = endpointKeys(wanted.values());
      return this.#set.apply(wanted, (l, table) => {
        if (l instanceof UdpListener) l.swap(table, live);
        else l.table = table;
      });
    };
  }

  /** Stops every socket; connections get `graceMs` to finish. */
  close(graceMs: number): Promise<void> {
    return this.#set.close(graceMs);
  }

  stats(): StreamServerStats[] {
    const out: StreamServerStats[] = [];
    const add = (l: AnyListener): void => {
      const t = l.table;
      out.push({
        name: t.name,
        gateway: t.gateway,
        address: t.address,
        port: t.port,
        protocol: t.protocol,
        boundPort: l.boundPort(),
        state: l.draining ? 'draining' : 'serving',
        connections: l.counters.connections,
        totalConnections: l.counters.totalConnections,
        rejected: l.counters.rejected,
      });
    };
    for (const l of this.#set.listeners()) add(l);
    return out;
  }
}
