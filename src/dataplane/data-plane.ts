/**
 * The HTTP data plane: owns the server sockets and the upstream pools, applies configs.
 *
 * apply(): compile everything first (a config that does not compile changes nothing), bind the
 * servers that are new, swap the tables of the servers that stay in one synchronous pass (no
 * request can see half a config), then drain the servers that went away and close the pools of
 * endpoints no longer referenced. A server keeps its socket as long as its address, port and
 * protocol stay the same. Calls are serialized.
 */
import type * as ir from '../ir/types.js';
import { DataPlaneError, GW_ERR } from './errors.js';
import { ServerSet } from './server-set.js';
import { HttpListener, type ServerLimits } from './http-listener.js';
import type {
  ApplyResult,
  DataPlaneOptions,
  DataPlaneStats,
  HttpDataPlane,
  ServerStats,
} from './index.js';
import { CompileCache, compileServer } from './router/compile.js';
import { hostTableValues } from './router/host-table.js';
import type { CompiledServer } from './router/types.js';
import type { ForwardContext, LogFn } from './upstream/forward.js';
import { UpstreamPools } from './upstream/pools.js';
import { isStreamServer, StreamServers } from './l4/stream-servers.js';

const EMPTY: ir.Config = { version: 1, servers: [] };

/** How long after an apply the pools of endpoints no longer referenced are closed. */
const RETAIN_DELAY_MS = 1_000;

function serverKey(s: { readonly address: string; readonly port: number }): string {
  return `${s.address}|${s.port}`;
}

/** The pool keys the rules of `servers` use (each listener counts its own, compile.ts). */
function endpointsOf(servers: readonly CompiledServer[]): Set<string> {
  const keys = new Set<string>();
  for (const s of servers) for (const l of hostTableValues(s.listeners)) for (const k of l.endpoints.keys()) keys.add(k);
  return keys;
}

class HttpDataPlaneImpl implements HttpDataPlane {
  readonly #log: LogFn;
  readonly #pools: UpstreamPools;
  readonly #ctx: ForwardContext;
  readonly #limits: ServerLimits;
  readonly #drainGraceMs: number;
  /** Serving listeners by address|port, and the ones draining. */
  readonly #servers: ServerSet<CompiledServer, HttpListener>;
  /** TLS (passthrough/terminate), TCP and UDP servers (l4/). */
  readonly #streams: StreamServers;
  #config: ir.Config = EMPTY;
  /** Compiled tables by IR server object, so an unchanged server is not compiled again. */
  #compiled = new WeakMap<ir.Server, CompiledServer>();
  /**
   * Compiled rules, matches and virtual hosts by IR object, and each server's last listener
   * compiles (the next compile edits them), so a changed server recompiles only what changed.
   */
  readonly #compileCache = new CompileCache();
  #generation = 0;
  /** The compiled servers of the config being served, and the pending pool clean-up. */
  #serving: readonly CompiledServer[] = [];
  #retainTimer: NodeJS.Timeout | null = null;
  #unsupported: string[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(opts: DataPlaneOptions) {
    this.#log = opts.log ?? (() => undefined);
    const up = opts.upstream ?? {};
    this.#pools = new UpstreamPools({
      connectionsPerEndpoint: up.connectionsPerEndpoint ?? null,
      keepAliveTimeoutMs: up.keepAliveTimeoutMs ?? 4_000,
      connectTimeoutMs: up.connectTimeoutMs ?? 5_000,
      headersTimeoutMs: up.headersTimeoutMs ?? 300_000,
      bodyTimeoutMs: up.bodyTimeoutMs ?? 300_000,
    });
    this.#ctx = { pools: this.#pools, log: this.#log, random: opts.random ?? Math.random };
    const s = opts.server ?? {};
    this.#limits = {
      headersTimeoutMs: s.headersTimeoutMs ?? 60_000,
      requestTimeoutMs: s.requestTimeoutMs ?? 300_000,
      keepAliveTimeoutMs: s.keepAliveTimeoutMs ?? 5_000,
      idleTimeoutMs: s.idleTimeoutMs ?? 120_000,
      maxConnections: s.maxConnections ?? 10_000,
      connectTimeoutMs: up.connectTimeoutMs ?? 5_000,
    };
    this.#drainGraceMs = opts.drainGraceMs ?? 30_000;
    this.#servers = new ServerSet<CompiledServer, HttpListener>(
      {
        create: (table) => new HttpListener(table, this.#ctx, this.#limits),
        // HTTP <-> HTTPS on one address:port: the socket changes kind.
        mustReplace: (l, table) => l.table.protocol !== table.protocol,
      },
      this.#log,
      this.#drainGraceMs,
    );
    this.#streams = new StreamServers({ log: this.#log, random: this.#ctx.random }, opts.stream ?? {}, this.#drainGraceMs);
  }

  apply(config: ir.Config): Promise<ApplyResult> {
    const run = this.#queue.then(() => this.#apply(config));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply(config: ir.Config): Promise<ApplyResult> {
    if (this.#closed) throw new DataPlaneError(GW_ERR.CLOSED, 'data plane is closed');
    // 1. Compile everything beside the current tables; any failure leaves the old config serving.
    const unsupported: string[] = [];
    const compiled: CompiledServer[] = [];
    const swapStreams = this.#streams.prepare(config.servers);
    for (const s of config.servers) {
      if (isStreamServer(s)) continue;
      if (s.protocol !== 'HTTP' && s.protocol !== 'HTTPS') {
        unsupported.push(s.name);
        continue;
      }
      // The controller hands out the very same server object while it is unchanged.
      let c = this.#compiled.get(s);
      if (c === undefined) {
        c = compileServer(s, this.#compileCache);
        this.#compiled.set(s, c);
      }
      compiled.push(c);
    }
    this.#compileCache.retainServers(new Set(compiled.map((c) => c.name)));
    const wanted = new Map<string, CompiledServer>();
    for (const c of compiled) if (!wanted.has(serverKey(c))) wanted.set(serverKey(c), c);

    // 2-4. Bind new servers, swap the tables of the ones that stay, drain the ones that went away.
    const errors = await this.#servers.apply(wanted, (l, table) => {
      l.table = table;
    });

    // L4 servers: bind the new ones, swap, drain the ones that went away (same rules).
    errors.push(...(await swapStreams()));

    // 5. Close pools of endpoints nothing references any more — soon, not in every apply: an
    // idle pool costs nothing meanwhile. Listeners count their pool keys as they are compiled
    // (compile.ts), so this walks keys per listener, not every rule.
    this.#serving = compiled;
    this.#scheduleRetain();

    if (unsupported.length > 0 && unsupported.join() !== this.#unsupported.join()) {
      this.#log('warn', 'servers with a protocol other than HTTP are not served', { servers: unsupported });
    }
    this.#unsupported = unsupported;
    this.#config = config;
    this.#generation++;
    errors.sort((a, b) => (a.server < b.server ? -1 : a.server > b.server ? 1 : 0));
    this.#log('debug', 'config applied', { generation: this.#generation, servers: this.#servers.size, errors: errors.length });
    return { errors };
  }

  current(): ir.Config {
    return this.#config;
  }

  #scheduleRetain(): void {
    if (this.#retainTimer !== null) return;
    this.#retainTimer = setTimeout(() => {
      this.#retainTimer = null;
      if (!this.#closed) this.#pools.retain(endpointsOf(this.#serving));
    }, RETAIN_DELAY_MS);
    this.#retainTimer.unref();
  }

  async close(graceMs = 10_000): Promise<void> {
    if (this.#closed) return;
    await this.#queue;
    this.#closed = true;
    if (this.#retainTimer !== null) clearTimeout(this.#retainTimer);
    await Promise.all([this.#servers.close(graceMs), this.#streams.close(graceMs)]);
    await this.#pools.close(graceMs);
  }

  stats(): DataPlaneStats {
    const servers: ServerStats[] = [];
    const add = (l: HttpListener): void => {
      const t = l.table;
      const c = l.counters;
      servers.push({
        name: t.name,
        gateway: t.gateway,
        address: t.address,
        port: t.port,
        boundPort: l.boundPort(),
        state: l.draining ? 'draining' : 'serving',
        connections: c.connections,
        totalConnections: c.totalConnections,
        inFlight: c.inFlight,
        totalRequests: c.totalRequests,
      });
    };
    for (const l of this.#servers.listeners()) add(l);
    for (const s of this.#streams.stats()) {
      const { protocol: _protocol, rejected: _rejected, ...rest } = s;
      servers.push({ ...rest, inFlight: s.connections, totalRequests: s.totalConnections });
    }
    let connections = 0;
    let inFlight = 0;
    let requests = 0;
    for (const s of servers) {
      connections += s.connections;
      inFlight += s.inFlight;
      requests += s.totalRequests;
    }
    const pools = this.#pools.size();
    return {
      generation: this.#generation,
      irVersion: this.#config.version,
      servers,
      unsupported: [...this.#unsupported],
      totals: { connections, inFlight, requests },
      upstream: { pools: pools.pools, h2cSessions: pools.sessions },
    };
  }
}

/** Creates the HTTP data plane. Nothing listens until the first `apply`. */
export function createDataPlane(opts: DataPlaneOptions = {}): HttpDataPlane {
  return new HttpDataPlaneImpl(opts);
}
