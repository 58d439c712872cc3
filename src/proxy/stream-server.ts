/**
 * The config stream, controller side. `GET /v1/config?gateway=ns/name` with
 * `Authorization: Bearer <token>` (token.ts) answers a never-ending stream of newline-delimited
 * JSON: `{"version":n,"config":<ir.Config>}` whenever that Gateway's config changes (the
 * current one first), and `{}` as a heartbeat every `heartbeatMs`. Each config holds that
 * Gateway's servers only, hence only the certificates it needs. Served over HTTPS when a
 * certificate is given (the Helm chart makes one), plain HTTP otherwise (tests, development).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type * as ir from '../ir/types.js';
import { IR_VERSION } from '../ir/types.js';
import { verifyStreamToken } from './token.js';

export interface StreamServerOptions {
  readonly host: string;
  readonly port: number;
  /** HMAC key of the tokens. */
  readonly tokenKey: string | Buffer;
  /** PEM certificate and key; both null: plain HTTP. */
  readonly tls: { cert: string; key: string } | null;
  readonly heartbeatMs?: number;
}

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
  readonly #server: http.Server;
  readonly #current = new Map<string, { json: string; version: number }>();
  readonly #subscribers = new Map<string, Set<http.ServerResponse>>();
  #all: ir.Config = { version: IR_VERSION, servers: [] };
  #published = false;
  url = '';

  constructor(options: StreamServerOptions) {
    this.#o = options;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.#handle(req, res);
    this.#server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler) : http.createServer(handler);
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

  /** Takes a new full IR; sends each Gateway whose servers changed its new config. */
  publish(config: ir.Config): void {
    this.#all = config;
    this.#published = true;
    const gateways = new Set([...config.servers.map((s) => s.gateway), ...this.#current.keys(), ...this.#subscribers.keys()]);
    for (const gw of gateways) {
      const json = JSON.stringify(configForGateway(config, gw));
      const prev = this.#current.get(gw);
      if (prev?.json === json) continue;
      const entry = { json, version: (prev?.version ?? 0) + 1 };
      this.#current.set(gw, entry);
      for (const res of this.#subscribers.get(gw) ?? []) res.write(`{"version":${entry.version},"config":${json}}\n`);
    }
  }

  async close(): Promise<void> {
    for (const set of this.#subscribers.values()) for (const res of set) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    // The target is the client's: an unparsable one (`GET http://[/ ...`) makes URL throw,
    // and a throw in a request handler would end the process. Answer 400 instead.
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' }).end('bad request\n');
      return;
    }
    if (req.method !== 'GET' || url.pathname !== '/v1/config') {
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
    set.add(res);
    if (this.#published) {
      if (!this.#current.has(gateway)) this.#current.set(gateway, { json: JSON.stringify(configForGateway(this.#all, gateway)), version: 1 });
      const entry = this.#current.get(gateway)!;
      res.write(`{"version":${entry.version},"config":${entry.json}}\n`);
    }
    const heartbeat = setInterval(() => res.write('{}\n'), this.#o.heartbeatMs ?? 15_000);
    res.on('close', () => {
      clearInterval(heartbeat);
      set.delete(res);
    });
  }
}
