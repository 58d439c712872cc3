/**
 * One TCP socket of the L4 data plane (an ir.Server with protocol TLS or TCP).
 *
 * TCP: every connection goes to the oldest route of the listener; a backend is chosen by weight
 * per connection. TLS: the ClientHello is read (not consumed: it is replayed) and its SNI
 * selects the listener (most specific hostname first) and, among its routes, the one whose
 * hostnames match (exact, else the longest wildcard). Passthrough listeners then connect to
 * the backend and replay the raw bytes — the backend terminates TLS and sees the client's SNI;
 * Terminate listeners complete the handshake with the listener's certificate and forward the
 * plaintext stream.
 *
 * TCPRoute/TLSRoute BackendRefs: "If […] a BackendRef is invalid, the connection MUST be
 * rejected" (proportionally to weight). A rejected connection is reset; so is one with no
 * matching listener or route, or no usable endpoint. The table can be swapped at any time;
 * a connection reads it once when it starts.
 */
import net from 'node:net';
import tls from 'node:tls';
import { boundPortOf, listenServer } from '../bind.js';
import type { LogFn } from '../upstream/forward.js';
import {
  pickBackend,
  selectContext,
  selectListener,
  selectRoute,
  type CompiledStreamListener,
  type CompiledStreamServer,
} from './compile.js';
import { peekClientHello, replayingDuplex } from './peek.js';
import { connectBackend, splice } from './splice.js';

/** Limits and timeouts of L4 connections. */
export interface StreamLimits {
  /** Open client connections per server; more are refused. */
  readonly maxConnections: number;
  /** Time to connect to a backend endpoint. */
  readonly connectTimeoutMs: number;
  /** Endpoints tried per connection when connecting fails. */
  readonly connectAttempts: number;
  /** A connection with no traffic either way for this long is closed (0: never). */
  readonly idleTimeoutMs: number;
  /** Time for the client to send its ClientHello (TLS), and to finish a terminated handshake. */
  readonly handshakeTimeoutMs: number;
  /** Largest ClientHello read (TLS). */
  readonly maxClientHelloBytes: number;
}

/** What a stream server needs from the data plane. */
export interface StreamContext {
  readonly log: LogFn;
  readonly random: () => number;
}

/** Counters of one L4 server (connections, or UDP sessions). */
export interface StreamCounters {
  connections: number;
  totalConnections: number;
  /** Connections (or datagrams) rejected: no listener/route, invalid backend, no endpoint. */
  rejected: number;
}

/** A bound (or binding) TCP/TLS server for one address:port. */
export class StreamListener {
  table: CompiledStreamServer;
  readonly counters: StreamCounters = { connections: 0, totalConnections: 0, rejected: 0 };
  readonly #server: net.Server;
  readonly #ctx: StreamContext;
  readonly #limits: StreamLimits;
  readonly #sockets = new Set<net.Socket>();
  #draining = false;
  #closed: Promise<void> | null = null;

  constructor(table: CompiledStreamServer, ctx: StreamContext, limits: StreamLimits) {
    this.table = table;
    this.#ctx = ctx;
    this.#limits = limits;
    this.#server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, this.#onConnection);
    this.#server.maxConnections = limits.maxConnections;
  }

  get draining(): boolean {
    return this.#draining;
  }

  boundPort(): number | null {
    return boundPortOf(this.#server);
  }

  /** Binds the socket. Rejects with GW_ERR_BIND on failure. */
  listen(): Promise<void> {
    const { address, port } = this.table;
    return listenServer(this.#server, address, port, () => this.table.name, this.#ctx.log);
  }


  /** Stops accepting; open connections may finish for `graceMs`, then are cut. */
  drain(graceMs: number): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    this.#draining = true;
    this.#closed = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const s of this.#sockets) s.destroy();
      }, graceMs);
      timer.unref();
      this.#server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      if (this.#sockets.size === 0) clearTimeout(timer);
    });
    return this.#closed;
  }

  readonly #onConnection = (socket: net.Socket): void => {
    const table = this.table; // the table this connection lives on
    this.counters.connections++;
    this.counters.totalConnections++;
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.counters.connections--;
      this.#sockets.delete(socket);
    });
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    if (table.protocol === 'TCP') {
      const listener = selectListener(table, null);
      this.#forward(socket, socket, listener, null, null).catch((err: unknown) => this.#failed(socket, err, table));
      return;
    }
    this.#onTls(socket, table).catch((err: unknown) => this.#failed(socket, err, table));
  };

  /** A bug of ours while handling one connection: log it and close that connection only. */
  #failed(socket: net.Socket, err: unknown, table: CompiledStreamServer): void {
    this.#ctx.log('error', 'connection handling failed', { server: table.name, error: err instanceof Error ? err.message : String(err) });
    this.counters.rejected++;
    if (!socket.destroyed) socket.resetAndDestroy();
  }

  async #onTls(socket: net.Socket, table: CompiledStreamServer): Promise<void> {
    const hello = await peekClientHello(socket, this.#limits.maxClientHelloBytes, this.#limits.handshakeTimeoutMs);
    if (!hello.ok) {
      this.#reject(socket, hello.reason, table);
      return;
    }
    const listener = selectListener(table, hello.sni);
    if (listener === null || listener.mode === 'passthrough') {
      await this.#forward(socket, socket, listener, hello.sni, hello.head);
      return;
    }
    // Terminate: decide the backend first (an invalid share is rejected before the handshake),
    // then complete the handshake with the listener's certificate and forward plaintext.
    const context = selectContext(listener, hello.sni);
    if (context === null) {
      this.#reject(socket, 'no certificate', table);
      return;
    }
    // Frontend client-certificate validation: AllowValidOnly fails handshakes without a valid
    // client certificate; AllowInsecureFallback asks for one but takes any.
    const validation = listener.clientValidation;
    const secure = new tls.TLSSocket(replayingDuplex(socket, hello.head), {
      isServer: true,
      secureContext: context,
      ALPNProtocols: [],
      ...(validation !== null ? { requestCert: true, rejectUnauthorized: validation.mode === 'AllowValidOnly' } : {}),
    });
    const timer = setTimeout(() => secure.destroy(), this.#limits.handshakeTimeoutMs);
    secure.on('error', () => {
      clearTimeout(timer);
      secure.destroy();
      socket.destroy();
    });
    secure.once('secure', () => {
      clearTimeout(timer);
      this.#forward(socket, secure, listener, hello.sni, null).catch((err: unknown) => {
        secure.destroy();
        this.#failed(socket, err, this.table);
      });
    });
  }

  /**
   * Picks the route and backend for a connection and splices it to the backend. `client` is
   * what bytes are read from and written to (the socket, or the TLS socket over it); `head`
   * is replayed to the backend first (passthrough).
   */
  async #forward(
    socket: net.Socket,
    client: net.Socket,
    listener: CompiledStreamListener | null,
    sni: string | null,
    head: Buffer | null,
  ): Promise<void> {
    const table = this.table;
    const route = listener === null ? null : selectRoute(listener, sni);
    const backend = route === null ? null : pickBackend(route, this.#ctx.random);
    if (backend === null || backend.kind === 'invalid') {
      const why = listener === null ? 'no listener' : route === null ? 'no route' : backend === null ? 'no backend' : `invalid backend ${backend.name}`;
      this.#reject(socket, why, table, sni);
      return;
    }
    const up = await connectBackend(backend, { connectTimeoutMs: this.#limits.connectTimeoutMs, maxAttempts: this.#limits.connectAttempts });
    if (!up.ok) {
      this.#reject(socket, `backend ${backend.name}: ${up.reason}`, table, sni);
      return;
    }
    if (socket.destroyed) {
      up.socket.destroy();
      return;
    }
    up.socket.setNoDelay(true);
    if (head !== null) up.socket.write(head);
    splice(client, up.socket, this.#limits.idleTimeoutMs, () => undefined);
    client.resume();
    if (client !== socket) socket.resume();
  }

  #reject(socket: net.Socket, reason: string, table: CompiledStreamServer, sni: string | null = null): void {
    this.counters.rejected++;
    this.#ctx.log('debug', 'connection rejected', { server: table.name, sni, reason });
    if (!socket.destroyed) socket.resetAndDestroy();
  }
}
