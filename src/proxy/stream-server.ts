/**
 * The config stream, controller side. `GET /v2/config?gateway=ns/name` with
 * `Authorization: Bearer <token>` (token.ts) answers a never-ending stream of newline-delimited
 * JSON: `{"version":n,"names":[…],"changed":<EncodedServers>}` whenever that Gateway's config
 * changes (the current one first), and `{}` as a heartbeat every `heartbeatMs`. `names` are the
 * Gateway's servers in order; those that changed since the previous line on this connection are
 * in `changed`, encoded by src/ir/delta.ts (rules, virtual hosts and matches the proxy already
 * holds travel as ids), the others are the servers of the previous line. The first line of a
 * connection carries everything. Each config holds that Gateway's servers only, hence only the
 * certificates it needs. Served over HTTPS when a certificate is given (the Helm chart makes
 * one), plain HTTP otherwise (tests, development).
 *
 * Limits on every connection (defaults in STREAM_SERVER_DEFAULTS, flags in `waygate controller
 * --help`, docs/kubernetes.md "Limits"):
 * - at most `maxConnections` open connections; a request on a connection over the cap gets 503
 *   (`Retry-After`, connection closed) and a warning; beyond twice the cap Node closes new
 *   connections at once, without an answer;
 * - the TLS handshake and the request head must arrive within `headerTimeoutMs` (Node answers
 *   408 and closes): a client that connects and sends nothing, or a head a byte at a time, is
 *   dropped;
 * - a connection with no traffic either way for `idleTimeoutMs` is closed. Subscriptions are
 *   never idle: the heartbeat (`{}` every `heartbeatMs`, which must be shorter) keeps them open,
 *   and lets the proxy tell a silent controller from a dead one;
 * - backpressure: a subscriber that still has more than `maxBufferedBytes` unsent when its next
 *   line is due, or whose socket has not drained a write within `drainTimeoutMs`, is dropped
 *   with a warning instead of queuing configs in memory (so memory per subscriber stays under
 *   the bound plus one line). It reconnects and gets the current config first.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { IrEncoder } from '../ir/delta.js';
import type * as ir from '../ir/types.js';
import { IR_VERSION } from '../ir/types.js';
import { silentLogger, type Logger } from '../log.js';
import { verifyStreamToken } from './token.js';

/** Defaults of the limits in StreamServerOptions. */
export const STREAM_SERVER_DEFAULTS = {
  heartbeatMs: 15_000,
  maxConnections: 1024,
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  /** Well above one 10k-route config line (about 6 MB). */
  maxBufferedBytes: 64 * 1024 * 1024,
  drainTimeoutMs: 30_000,
} as const;

export interface StreamServerOptions {
  readonly host: string;
  readonly port: number;
  /** HMAC key of the tokens. */
  readonly tokenKey: string | Buffer;
  /** PEM certificate and key; both null: plain HTTP. */
  readonly tls: { cert: string; key: string } | null;
  /** Interval of the `{}` heartbeat line; shorter than `idleTimeoutMs`. */
  readonly heartbeatMs?: number;
  /** Open connections allowed; a request on one more is answered 503. */
  readonly maxConnections?: number;
  /** Time for the TLS handshake and the request head. */
  readonly headerTimeoutMs?: number;
  /** A connection with no traffic either way this long is closed (default: 60 s, at least 3 heartbeats). */
  readonly idleTimeoutMs?: number;
  /** Unsent bytes a subscriber may still have queued when its next line is due. */
  readonly maxBufferedBytes?: number;
  /** Time a subscriber's socket may take to drain a write before it is dropped. */
  readonly drainTimeoutMs?: number;
  readonly log?: Logger;
}

/** One subscribed proxy. */
interface Subscriber {
  readonly gateway: string;
  readonly res: http.ServerResponse;
  readonly remote: string;
  heartbeat: NodeJS.Timeout | null;
  /** What this proxy holds: the servers of the last line, and their rules etc. (delta.ts). */
  readonly encoder: IrEncoder;
  /** Armed while a write waits for 'drain'. */
  drain: NodeJS.Timeout | null;
}

/** Refusals over the connection cap are logged at most this often (with a count). */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

/** One Gateway's config as sent. */
export interface StreamMessage {
  readonly version: number;
  readonly config: ir.Config;
}

/** The servers of one Gateway. Pure. */
export function configForGateway(config: ir.Config, gateway: string): ir.Config {
  return { version: IR_VERSION, servers: config.servers.filter((s) => s.gateway === gateway) };
}

/** Serves configs to proxies. `publish()` after every translation. */
export class ConfigStreamServer {
  readonly #o: StreamServerOptions;
  readonly #log: Logger;
  readonly #limits: { -readonly [K in keyof typeof STREAM_SERVER_DEFAULTS]: number };
  readonly #server: http.Server;
  /** Each Gateway's servers as last published, and how many times they changed. */
  readonly #current = new Map<string, { servers: readonly ir.Server[]; version: number }>();
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  /** Open connections (the sockets requests arrive on), and those opened over the cap. */
  readonly #open = new Set<Socket>();
  readonly #overCap = new WeakSet<Socket>();
  #refused = 0;
  #refusalLoggedAt = -Infinity;
  #all: ir.Config = { version: IR_VERSION, servers: [] };
  #published = false;
  url = '';

  constructor(options: StreamServerOptions) {
    this.#o = options;
    this.#log = options.log ?? silentLogger;
    const d = STREAM_SERVER_DEFAULTS;
    const heartbeatMs = options.heartbeatMs ?? d.heartbeatMs;
    const l = {
      heartbeatMs,
      maxConnections: options.maxConnections ?? d.maxConnections,
      headerTimeoutMs: options.headerTimeoutMs ?? d.headerTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs ?? Math.max(d.idleTimeoutMs, 3 * heartbeatMs),
      maxBufferedBytes: options.maxBufferedBytes ?? d.maxBufferedBytes,
      drainTimeoutMs: options.drainTimeoutMs ?? d.drainTimeoutMs,
    };
    for (const [k, v] of Object.entries(l)) if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`stream server: ${k} must be a positive integer, not ${v}`);
    if (l.heartbeatMs >= l.idleTimeoutMs) throw new RangeError(`stream server: heartbeatMs (${l.heartbeatMs}) must be shorter than idleTimeoutMs (${l.idleTimeoutMs})`);
    this.#limits = l;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.#handle(req, res);
    const common: http.ServerOptions = {
      // The request is its head (a GET); Node checks these every connectionsCheckingInterval.
      headersTimeout: l.headerTimeoutMs,
      requestTimeout: l.headerTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, l.headerTimeoutMs),
      keepAliveTimeout: Math.min(5000, l.idleTimeoutMs),
    };
    this.#server = options.tls
      ? https.createServer({ ...common, cert: options.tls.cert, key: options.tls.key, handshakeTimeout: l.headerTimeoutMs }, handler)
      : http.createServer(common, handler);
    // Socket inactivity (reads and writes both count): heartbeats keep subscriptions active.
    this.#server.timeout = l.idleTimeoutMs;
    // Backstop for floods: past twice the cap, Node closes new connections without a word.
    this.#server.maxConnections = 2 * l.maxConnections;
    this.#server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => this.#track(socket));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host: this.#o.host, port: this.#o.port }, resolve);
    });
    const a = this.#server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.url = `${this.#o.tls ? 'https' : 'http'}://${host}:${a.port}`;
  }

  /** Number of connected proxies. */
  get connections(): number {
    let n = 0;
    for (const s of this.#subscribers.values()) n += s.size;
    return n;
  }

  /**
   * Takes a new full IR; sends each Gateway whose servers changed its new config. A server is
   * unchanged while it is the same object (translate hands out the previous object when equal).
   */
  publish(config: ir.Config): void {
    this.#all = config;
    this.#published = true;
    const gateways = new Set([...config.servers.map((s) => s.gateway), ...this.#current.keys(), ...this.#subscribers.keys()]);
    for (const gw of gateways) {
      const servers = configForGateway(config, gw).servers;
      const prev = this.#current.get(gw);
      if (prev !== undefined && sameItems(prev.servers, servers)) continue;
      const entry = { servers, version: (prev?.version ?? 0) + 1 };
      this.#current.set(gw, entry);
      for (const sub of [...(this.#subscribers.get(gw) ?? [])]) this.#sendConfig(sub, entry);
    }
  }

  /** Sends a subscriber its Gateway's config as a delta against what it holds. */
  #sendConfig(sub: Subscriber, entry: { readonly servers: readonly ir.Server[]; readonly version: number }): void {
    const encoding = sub.encoder.encodeConfig(entry.servers);
    this.#send(sub, `${JSON.stringify({ version: entry.version, names: encoding.names, changed: encoding.changed })}\n`);
    // Lines arrive in order on one connection, and a new connection starts over: no ack needed.
    encoding.commit();
  }

  async close(): Promise<void> {
    for (const set of this.#subscribers.values()) for (const sub of set) sub.res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #track(socket: Socket): void {
    this.#open.add(socket);
    socket.once('close', () => this.#open.delete(socket));
    if (this.#open.size > this.#limits.maxConnections) this.#overCap.add(socket);
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.#overCap.has(req.socket)) {
      this.#refuse(req);
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5', connection: 'close' }).end('too many connections\n');
      return;
    }
    // The target is the client's: an unparsable one (`GET http://[/ ...`) makes URL throw,
    // and a throw in a request handler would end the process. Answer 400 instead.
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' }).end('bad request\n');
      return;
    }
    if (req.method !== 'GET' || url.pathname !== '/v2/config') {
      res.writeHead(404).end();
      return;
    }
    const gateway = url.searchParams.get('gateway') ?? '';
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!gateway || !verifyStreamToken(this.#o.tokenKey, gateway, token)) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.flushHeaders(); // a proxy connected before the first publish learns at once that it is subscribed
    const set = this.#subscribers.get(gateway) ?? new Set();
    this.#subscribers.set(gateway, set);
    const sub: Subscriber = {
      gateway, res, remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`, heartbeat: null, drain: null,
      encoder: new IrEncoder(),
    };
    set.add(sub);
    res.on('close', () => {
      if (sub.heartbeat) clearInterval(sub.heartbeat);
      if (sub.drain) clearTimeout(sub.drain);
      set.delete(sub);
    });
    res.on('drain', () => {
      if (sub.drain) clearTimeout(sub.drain);
      sub.drain = null;
    });
    if (this.#published) {
      if (!this.#current.has(gateway)) this.#current.set(gateway, { servers: configForGateway(this.#all, gateway).servers, version: 1 });
      this.#sendConfig(sub, this.#current.get(gateway)!);
    }
    // A heartbeat behind unsent data would tell the proxy nothing new: only on an empty buffer.
    sub.heartbeat = setInterval(() => {
      if (res.writableLength === 0) this.#send(sub, '{}\n');
    }, this.#limits.heartbeatMs);
  }

  /**
   * Writes one line to a subscriber, or drops the subscriber when it cannot keep up: when the
   * data still unsent from earlier lines is over the bound (so one line bigger than the bound
   * still goes to a subscriber that keeps up), or when a write has not drained in time.
   */
  #send(sub: Subscriber, line: string): void {
    if (sub.res.destroyed) return;
    const buffered = sub.res.writableLength;
    if (buffered > this.#limits.maxBufferedBytes) {
      this.#drop(sub, `more than ${this.#limits.maxBufferedBytes} bytes unsent`, buffered);
      return;
    }
    if (!sub.res.write(line) && !sub.drain) {
      sub.drain = setTimeout(() => this.#drop(sub, `a write not drained within ${this.#limits.drainTimeoutMs} ms`, sub.res.writableLength), this.#limits.drainTimeoutMs);
    }
  }

  #drop(sub: Subscriber, reason: string, buffered: number): void {
    if (sub.res.destroyed) return;
    this.#log.warn('config stream subscriber too slow, dropped (it reconnects for the current config)', { gateway: sub.gateway, remote: sub.remote, reason, bufferedBytes: buffered });
    sub.res.destroy();
  }

  #refuse(req: http.IncomingMessage): void {
    this.#refused++;
    const now = Date.now();
    if (now - this.#refusalLoggedAt < REFUSAL_LOG_INTERVAL_MS) return;
    this.#log.warn('config stream connection refused: too many connections', {
      maxConnections: this.#limits.maxConnections, open: this.#open.size, refused: this.#refused, remote: req.socket.remoteAddress ?? null,
    });
    this.#refusalLoggedAt = now;
    this.#refused = 0;
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
