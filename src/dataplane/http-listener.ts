/**
 * One listening socket of the HTTP data plane (one `ir.Server`): a strict node:http server whose
 * compiled routing table can be swapped at any time. A request reads the table once when it
 * starts and finishes on it, whatever is swapped in meanwhile.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { boundPortOf, listenServer } from './bind.js';
import { FrontServer } from './http2/front-server.js';
import { requestAuthority, withoutPseudoHeaders } from './http2/request.js';
import { emptyHeaders, firstHeader } from './headers.js';
import { isMisdirected } from './tls/misdirected.js';
import { planRequest, type IncomingRequest } from './plan.js';
import type { CompiledServer } from './router/types.js';
import { forwardRequest, type ForwardContext } from './upstream/forward.js';
import { writeReply } from './upstream/reply.js';
import { rejectUpgrade, tunnelUpgrade } from './upstream/tunnel.js';

/** Limits and timeouts of client connections. */
export interface ServerLimits {
  /** Time allowed to receive the request headers. */
  readonly headersTimeoutMs: number;
  /** Time allowed to receive the whole request (0: none). */
  readonly requestTimeoutMs: number;
  /** Idle time of a keep-alive connection between requests. */
  readonly keepAliveTimeoutMs: number;
  /** Inactivity on a socket after which it is closed (0: none). */
  readonly idleTimeoutMs: number;
  /** Open connections per server; more are refused. */
  readonly maxConnections: number;
  /** Connect timeout for upgrade tunnels. */
  readonly connectTimeoutMs: number;
}

/** Counters of one server. */
export interface ServerCounters {
  connections: number;
  totalConnections: number;
  inFlight: number;
  totalRequests: number;
}

function clientIp(socket: Socket): string {
  const a = socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: 12\r\n\r\nbad request\n';
const TOO_LARGE = 'HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';
const TIMEOUT = 'HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';

/** A bound (or binding) HTTP server for one address:port. */
export class HttpListener {
  #table: CompiledServer;
  readonly counters: ServerCounters = { connections: 0, totalConnections: 0, inFlight: 0, totalRequests: 0 };
  readonly #server: http.Server;
  readonly #front: FrontServer;
  readonly #ctx: ForwardContext;
  readonly #limits: ServerLimits;
  readonly #tunnels = new Set<Duplex>();
  #draining = false;
  #closed: Promise<void> | null = null;

  constructor(table: CompiledServer, ctx: ForwardContext, limits: ServerLimits) {
    this.#table = table;
    this.#ctx = ctx;
    this.#limits = limits;
    // HTTP/1.1, h2c with prior knowledge, or TLS with ALPN h2/http1.1 (http2/front-server.ts).
    this.#front = new FrontServer(
      table.tls ?? null,
      limits,
      { request: this.#onRequest, upgrade: this.#onUpgrade, clientError: this.#onClientError, connection: this.#onConnection },
      ctx.log,
    );
    this.#server = this.#front.server;
    this.#warnTLS(table);
  }

  /** The table new requests use. */
  get table(): CompiledServer {
    return this.#table;
  }

  /** Swaps the table (and for HTTPS the certificates new handshakes use). */
  set table(table: CompiledServer) {
    this.#table = table;
    if (table.tls) {
      this.#front.setTLS(table.tls);
      this.#warnTLS(table);
    }
  }

  #warnTLS(table: CompiledServer): void {
    if (table.tls && table.tls.problems.length > 0) {
      this.#ctx.log('warn', 'TLS material not used', { server: table.name, problems: table.tls.problems });
    }
  }

  /** True once `drain` has begun. */
  get draining(): boolean {
    return this.#draining;
  }

  /** The bound port (useful when the IR asked for port 0), or null before binding. */
  boundPort(): number | null {
    return boundPortOf(this.#server);
  }

  /** Binds the socket. Rejects with `GW_ERR_BIND` (and leaves nothing open) on failure. */
  listen(): Promise<void> {
    const { address, port } = this.table;
    return listenServer(this.#server, address, port, () => this.table.name, this.#ctx.log);
  }

  /**
   * Stops accepting, closes idle keep-alive connections, lets requests in flight finish (their
   * connections close after the answer), and after `graceMs` closes whatever is left.
   */
  drain(graceMs: number): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    this.#draining = true;
    const server = this.#server;
    this.#closed = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#front.destroySessions();
        server.closeAllConnections();
        for (const s of this.#tunnels) s.destroy();
      }, graceMs);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
      this.#front.closeSessions();
    });
    return this.#closed;
  }

  readonly #onConnection = (socket: Socket): void => {
    this.counters.connections++;
    this.counters.totalConnections++;
    socket.once('close', this.#onSocketClose);
  };

  readonly #onSocketClose = (): void => {
    this.counters.connections--;
  };

  readonly #onClientError = (err: NodeJS.ErrnoException, socket: Duplex): void => {
    // Malformed requests, oversized headers and slow clients end here: answer once, close.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const answer =
      err.code === 'HPE_HEADER_OVERFLOW' ? TOO_LARGE : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? TIMEOUT : BAD_REQUEST;
    socket.end(answer);
  };

  readonly #onRequestDone = (): void => {
    this.counters.inFlight--;
    if (this.#draining) this.#server.closeIdleConnections();
  };

  readonly #onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const table = this.table; // the table this request lives on, whatever is swapped in later
    this.counters.inFlight++;
    this.counters.totalRequests++;
    res.once('close', this.#onRequestDone);
    if (this.#draining) res.shouldKeepAlive = false;
    try {
      const incoming = this.#incoming(req);
      if (table.tls && isMisdirected(table.listeners, (req.socket as TLSSocket & { servername?: string | false }).servername, incoming.host)) {
        req.resume();
        writeReply(res, 421, emptyHeaders(), 'misdirected request\n');
        return;
      }
      const plan = planRequest(table, incoming, this.#ctx.random);
      if (plan.kind === 'reply') {
        // Answered without reading the body: drain it so keep-alive stays usable.
        req.resume();
        writeReply(res, plan.status, plan.headers, plan.body);
        return;
      }
      forwardRequest(this.#ctx, plan, req, res);
    } catch (err) {
      this.#internalError(res, err);
    }
  };

  readonly #onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const table = this.table;
    this.counters.inFlight++;
    this.counters.totalRequests++;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.#tunnels.delete(socket);
      this.counters.inFlight--;
    };
    socket.once('close', finish);
    socket.on('error', () => socket.destroy());
    this.#tunnels.add(socket);
    // A tunnel with no traffic either way for idleTimeoutMs is closed (writes count as activity
    // too); node:http dropped its own timeout handling from the upgraded socket.
    if ('setTimeout' in socket && typeof socket.setTimeout === 'function') {
      const idleMs = this.#limits.idleTimeoutMs;
      if (idleMs > 0) (socket as Socket).setTimeout(idleMs, () => socket.destroy());
      else (socket as Socket).setTimeout(0);
    }
    try {
      const plan = planRequest(table, this.#incoming(req), this.#ctx.random);
      if (plan.kind === 'reply') {
        rejectUpgrade(socket, plan.status, plan.headers, plan.body);
        return;
      }
      tunnelUpgrade(plan, req, socket, head, this.#limits.connectTimeoutMs, finish);
    } catch (err) {
      this.#ctx.log('error', 'upgrade failed', { server: table.name, error: (err as Error).message });
      rejectUpgrade(socket, 500, null, null);
    }
  };

  #incoming(req: http.IncomingMessage): IncomingRequest {
    const h2 = req.httpVersionMajor === 2;
    return {
      method: req.method ?? 'GET',
      target: req.url ?? '/',
      rawHeaders: h2 ? withoutPseudoHeaders(req.rawHeaders) : req.rawHeaders,
      host: h2 ? requestAuthority(req.headers) : (firstHeader(req.rawHeaders, 'host') ?? ''),
      clientIp: clientIp(req.socket),
    };
  }

  #internalError(res: http.ServerResponse, err: unknown): void {
    this.#ctx.log('error', 'request handling failed', { server: this.table.name, error: (err as Error)?.message });
    writeReply(res, 500, emptyHeaders(), 'internal error\n');
  }
}
