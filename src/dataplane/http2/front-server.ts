/**
 * The client-facing sockets of one server: which protocol handles each connection.
 *
 * - HTTP servers: a strict node:http server listens; the first bytes of each connection decide
 *   between HTTP/1.1 (the http server's own connection handling) and h2c with prior knowledge
 *   (an unbound node:http2 server gets the socket, see preface.ts).
 * - HTTPS servers: a node:https server listens with ALPN `h2`, `http/1.1`; connections that
 *   negotiated `h2` go to the HTTP/2 server, the rest stay HTTP/1.1. SNI picks the listener's
 *   certificate through a context table that `setTLS` swaps atomically: new handshakes use the
 *   new certificates at once, established connections keep theirs (certificate rotation without
 *   a restart or a dropped connection).
 *
 * HTTP/2 requests reach the same request handler as HTTP/1.1 ones, through the compatibility
 * API (http2.Http2ServerRequest / Http2ServerResponse duck-type IncomingMessage / ServerResponse
 * for what the data plane uses).
 */
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { admitConnection, selectCertificate, selectTLSListener, type ServerTLS } from '../tls/server-tls.js';
import { sniffPreface } from './preface.js';

/** Connection-level limits the front server applies. */
export interface FrontLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
}

/** The HTTP/1.1 handlers of the listening server (HTTP/2 requests reuse `request`). */
export interface FrontHandlers {
  readonly request: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  readonly upgrade: (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void;
  readonly clientError: (err: NodeJS.ErrnoException, socket: import('node:stream').Duplex) => void;
  /** Every accepted TCP connection, before any protocol runs on it. */
  readonly connection: (socket: Socket) => void;
}

type Log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** HTTP/2 settings for client sessions. */
const H2_SETTINGS: http2.Settings = { maxConcurrentStreams: 250, maxHeaderListSize: 16384, enableConnectProtocol: false };
/** Time a TLS client gets to finish its handshake. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** How often node:http sweeps connections for header/request timeouts: a quarter of the shorter one, 50 ms..1 s. */
export function checkingIntervalMs(limits: Pick<FrontLimits, 'headersTimeoutMs' | 'requestTimeoutMs'>): number {
  const shortest = Math.min(limits.headersTimeoutMs > 0 ? limits.headersTimeoutMs : Infinity, limits.requestTimeoutMs > 0 ? limits.requestTimeoutMs : Infinity);
  return Number.isFinite(shortest) ? Math.min(1_000, Math.max(50, Math.floor(shortest / 4))) : 1_000;
}

/** The listening server of an ir.Server plus its HTTP/2 side. */
export class FrontServer {
  /** The listening server (http.Server, or https.Server for HTTPS). */
  readonly server: http.Server;
  readonly #h2: http2.Http2Server;
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  readonly #log: Log;
  #tls: ServerTLS | null;

  constructor(tlsTable: ServerTLS | null, limits: FrontLimits, handlers: FrontHandlers, log: Log) {
    this.#log = log;
    this.#tls = tlsTable;
    const httpOptions: http.ServerOptions = {
      insecureHTTPParser: false,
      requireHostHeader: true,
      keepAlive: true,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // node:http enforces headersTimeout/requestTimeout only when it sweeps its connections,
      // every 30 s by default: a slow-headers client would keep its socket up to 30 s too long.
      connectionsCheckingInterval: checkingIntervalMs(limits),
    };
    const server =
      tlsTable === null
        ? http.createServer(httpOptions)
        : https.createServer({
            ...httpOptions,
            ALPNProtocols: ['h2', 'http/1.1'],
            SNICallback: this.#sniCallback,
            handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
            requestCert: false,
            rejectUnauthorized: false,
          });
    this.server = server;
    server.maxConnections = limits.maxConnections;
    server.timeout = limits.idleTimeoutMs;
    server.on('request', handlers.request);
    server.on('upgrade', handlers.upgrade);
    server.on('clientError', handlers.clientError);

    const h2 = http2.createServer({ settings: H2_SETTINGS, maxSessionMemory: 32 });
    if (limits.idleTimeoutMs > 0) h2.setTimeout(limits.idleTimeoutMs); // idle sessions are closed
    h2.on('request', handlers.request as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
    h2.on('session', (session: http2.ServerHttp2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      session.on('error', (err) => this.#log('debug', 'http2 session error', { code: (err as NodeJS.ErrnoException).code }));
    });
    this.#h2 = h2;

    if (tlsTable === null) {
      // Take over the http server's connection handling: sniff first, then hand on.
      const httpConnection = server.listeners('connection') as ((socket: Socket) => void)[];
      server.removeAllListeners('connection');
      server.on('connection', (socket: Socket) => {
        handlers.connection(socket);
        sniffPreface(socket, limits.headersTimeoutMs, (isHttp2) => {
          if (isHttp2) {
            h2.emit('connection', socket);
            return; // the session reads what was put back on the next tick
          }
          for (const l of httpConnection) l.call(server, socket);
          socket.resume();
        });
      });
    } else {
      server.on('connection', handlers.connection);
      // https hands every secure connection to its HTTP/1.1 handling; route h2 ones away.
      const httpSecure = server.listeners('secureConnection') as ((socket: TLSSocket) => void)[];
      server.removeAllListeners('secureConnection');
      server.on('secureConnection', (socket: TLSSocket) => {
        const t = this.#tls;
        if (t === null || !admitConnection(selectTLSListener(t, (socket as TLSSocket & { servername?: string | false }).servername), socket.authorized, socket.getProtocol())) {
          socket.destroy();
          return;
        }
        if (socket.alpnProtocol === 'h2') h2.emit('connection', socket);
        else for (const l of httpSecure) l.call(server, socket);
      });
      server.on('tlsClientError', (err: NodeJS.ErrnoException) => this.#log('debug', 'TLS handshake failed', { code: err.code, error: err.message }));
      this.setTLS(tlsTable);
    }
  }

  /** Swaps the certificate table: the next handshake uses it. */
  setTLS(t: ServerTLS): void {
    this.#tls = t;
    const server = this.server as unknown as https.Server & { requestCert: boolean; rejectUnauthorized: boolean };
    // Read by node:tls for each new connection.
    server.requestCert = t.requestCert;
    server.rejectUnauthorized = t.rejectUnauthorized;
    if (t.defaultOptions !== null) server.setSecureContext(t.defaultOptions);
  }

  readonly #sniCallback = (servername: string, cb: (err: Error | null, ctx?: import('node:tls').SecureContext) => void): void => {
    const t = this.#tls;
    const entry = t === null ? null : selectTLSListener(t, servername);
    const cert = entry === null ? null : selectCertificate(entry, servername);
    if (cert === null) {
      cb(new Error(`no listener or certificate for server name ${servername}`));
      return;
    }
    cb(null, cert.context);
  };

  /** Asks HTTP/2 clients to finish (GOAWAY): streams in flight complete, new ones go elsewhere. */
  closeSessions(): void {
    for (const s of this.#sessions) s.close();
  }

  /** Destroys every HTTP/2 session left. */
  destroySessions(): void {
    for (const s of this.#sessions) s.destroy();
  }
}
