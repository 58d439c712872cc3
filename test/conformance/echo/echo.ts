/**
 * The conformance echo backend, rebuilt in Node after the upstream `echo-basic` image
 * (see /work/shared/conformance/README.md "The echo backends"). One `EchoPod` is one emulated
 * pod: it listens on its own loopback IP with the ports the image uses and answers exactly as
 * the image does, so the gateway under test cannot tell the difference.
 *
 * Modes: HTTP (default; HTTP/1.1 on HTTP_PORT, h2c on H2C_PORT, HTTPS + h2 on HTTPS_PORT when a
 * server certificate is configured). GRPC_ECHO_SERVER / TCP_ECHO_SERVER / UDP_ECHO_SERVER
 * select other modes; those are a seam (`startOtherMode`) filled in by their own issue.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import { replayingDuplex as replayHead } from '../../../src/dataplane/l4/peek.js';
import { canonicalHeaderKey, parseGoDuration, sleep } from '../util.js';
import { startGrpcEcho } from './grpc.js';
import { startTcpEcho, type L4Echo } from './tcp.js';
import { startUdpEcho } from './udp.js';

/** What the runner tells the echo process about one pod. */
export interface EchoPodSpec {
  /** Pod name (POD_NAME is normally the same). */
  name: string;
  namespace: string;
  /** The pod IP: a loopback address the pod binds all its ports on. */
  ip: string;
  /** The container environment, valueFrom already resolved, file paths already real. */
  env: Record<string, string>;
}

/** The JSON body the echo backend answers with (echo-basic's RequestAssertions). */
export interface EchoBody {
  path: string;
  host: string;
  method: string;
  proto: string;
  headers: Record<string, string[]>;
  namespace: string;
  ingress: string;
  service: string;
  pod: string;
  httpPort: string;
  sni: string;
  tls?: {
    version: string;
    serverName: string;
    negotiatedProtocol: string;
    cipherSuite: string;
    peerCertificates?: string[];
  };
}

/** Which server a pod's environment asks for. */
export type EchoMode = 'http' | 'grpc' | 'tcp' | 'udp';

/** Reads the mode from the environment, as the image does. */
export function echoMode(env: Record<string, string>): EchoMode {
  if (env['GRPC_ECHO_SERVER']) return 'grpc';
  if (env['TCP_ECHO_SERVER']) return 'tcp';
  if (env['UDP_ECHO_SERVER']) return 'udp';
  return 'http';
}

type AnyReq = http.IncomingMessage | http2.Http2ServerRequest;
type AnyRes = http.ServerResponse | http2.Http2ServerResponse;

/** Shared per-uuid attempt counters of the retry simulator, kept per pod. */
type RetryCounters = Map<string, number>;

/** A running emulated pod. */
export class EchoPod {
  readonly spec: EchoPodSpec;
  readonly #log: (line: string) => void;
  readonly #servers: Array<net.Server> = [];
  readonly #sockets = new Set<net.Socket>();
  readonly #retries: RetryCounters = new Map();
  /** TCP/UDP echoes (tcp.ts, udp.ts) started by the other modes. */
  readonly #l4: L4Echo[] = [];
  /** Ports actually bound (useful with port 0 in tests). */
  readonly ports: { http?: number; h2c?: number; https?: number } = {};

  private constructor(spec: EchoPodSpec, log: (line: string) => void) {
    this.spec = spec;
    this.#log = log;
  }

  /** Starts a pod; resolves once every port is listening. */
  static async start(spec: EchoPodSpec, log: (line: string) => void): Promise<EchoPod> {
    const pod = new EchoPod(spec, log);
    try {
      await pod.#start();
    } catch (err) {
      await pod.close();
      throw err;
    }
    return pod;
  }

  async #start(): Promise<void> {
    const mode = echoMode(this.spec.env);
    if (mode !== 'http') {
      await this.#startOtherMode(mode);
      return;
    }
    const env = this.spec.env;
    const httpPort = Number(env['HTTP_PORT'] || '3000');
    const h2cPort = Number(env['H2C_PORT'] || '3001');
    const httpsPort = Number(env['HTTPS_PORT'] || '8443');

    // HTTP/1.1 port, with the WebSocket echo at /ws.
    const h1 = http.createServer((req, res) => void this.#handle(req, res, String(this.ports.http)));
    const wss = new WebSocketServer({ noServer: true });
    wss.on('connection', (ws) => {
      this.#log(`established websocket connection ${this.spec.ip}`);
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('error', () => ws.terminate());
    });
    h1.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/ws' || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
        socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    this.ports.http = await this.#listen(h1, httpPort);

    // h2c port: HTTP/2 with prior knowledge, or an HTTP/1.1 request carrying `Upgrade: h2c`;
    // anything else gets 400, as the image does. We answer an upgrade request without
    // switching protocols, which RFC 9113 §3.1/RFC 7230 §6.7 allow a server to do.
    const h2 = http2.createServer((req, res) => void this.#h2cHandle(req, res));
    const h2cHttp1 = http.createServer((req, res) => void this.#h2cHandle(req, res));
    const h2cFront = net.createServer((socket) => {
      socket.once('data', (chunk: Buffer) => {
        const preface = 'PRI * HTTP/2.0';
        const head = chunk.subarray(0, preface.length).toString('latin1');
        const target = preface.startsWith(head) || head.startsWith(preface) ? h2 : h2cHttp1;
        target.emit('connection', replayingDuplex(socket, chunk));
      });
      socket.on('error', () => socket.destroy());
    });
    this.ports.h2c = await this.#listen(h2cFront, h2cPort);

    const certFile = env['TLS_SERVER_CERT'];
    const keyFile = env['TLS_SERVER_PRIVKEY'] || env['TLS_SERVER_PRIV_KEY'];
    if (certFile && keyFile) {
      const caFile = env['TLS_CLIENT_CACERTS'] || env['CA_CERT'];
      const secure = http2.createSecureServer(
        {
          cert: readFileSync(certFile),
          key: readFileSync(keyFile),
          allowHTTP1: true,
          ...(caFile ? { ca: readFileSync(caFile), requestCert: true, rejectUnauthorized: false } : {}),
        },
        (req, res) => void this.#handle(req, res, String(this.ports.https)),
      );
      if (caFile) {
        // VerifyClientCertIfGiven: a certificate that is offered must verify; none is fine.
        secure.on('secureConnection', (sock: TLSSocket) => {
          const peer = sock.getPeerCertificate();
          if (peer && Object.keys(peer).length > 0 && !sock.authorized) sock.destroy();
        });
      }
      this.ports.https = await this.#listen(secure, httpsPort);
    }
  }

  /** Seam for the gRPC, TCP and UDP echo modes (their own issue). */
  async #startOtherMode(mode: EchoMode): Promise<void> {
    if (mode === 'grpc') {
      this.#l4.push(await startGrpcEcho(this.spec, this.#log));
      return;
    }
    if (mode === 'tcp' || mode === 'udp') {
      this.#l4.push(await (mode === 'tcp' ? startTcpEcho : startUdpEcho)(this.spec, this.#log));
      return;
    }
    this.#log(`echo mode ${mode} is not implemented yet; pod ${this.spec.name} serves nothing`);
  }

  #listen(server: net.Server, port: number): Promise<number> {
    this.#servers.push(server);
    server.on('connection', (s: net.Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.spec.ip, port }, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  async #h2cHandle(req: AnyReq, res: AnyRes): Promise<void> {
    const isH2 = req.httpVersionMajor === 2;
    const upgrade = String(req.headers['upgrade'] ?? '').toLowerCase();
    if (!isH2 && upgrade !== 'h2c') {
      res.writeHead(400);
      res.end('Expected h2c request');
      return;
    }
    await this.#handle(req, res, String(this.ports.h2c));
  }

  async #handle(req: AnyReq, res: AnyRes, port: string): Promise<void> {
    try {
      await this.#serve(req, res, port);
    } catch (err) {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: String(err) }));
      }
    }
  }

  async #serve(req: AnyReq, res: AnyRes, port: string): Promise<void> {
    const uri = req.url ?? '/';
    const [rawPath = '/', query = ''] = splitOnce(uri, '?');
    const path = rawPath.replaceAll('//', '/');
    const params = new URLSearchParams(query);
    const remote = `${req.socket?.remoteAddress ?? ''}:${req.socket?.remotePort ?? ''}`;
    // Drain any request body so keep-alive connections stay usable.
    req.resume();

    if (path === '/health') {
      res.writeHead(200);
      res.end('OK');
      return;
    }
    if (path.startsWith('/status/')) {
      const m = /^\/status\/(\d\d\d)$/.exec(uri);
      res.writeHead(m?.[1] ? Number(m[1]) : 400);
      res.end();
      return;
    }

    this.#log(`Echoing back request made to ${uri} to client (${remote})`);

    const delay = params.get('delay');
    if (delay) {
      let ms: number;
      try {
        ms = parseGoDuration(delay);
      } catch (err) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: (err as Error).message }));
        return;
      }
      await sleep(Math.max(0, ms));
    }

    if (path.startsWith('/retry')) {
      const failed = await this.#simulateRetry(params, req, res);
      if (failed) return;
    }

    const body = this.echoBody(req, port);
    const headers: Record<string, string> = {};
    for (const [name, value] of echoSetHeaders(req)) {
      headers[name] = headers[name] === undefined ? value : `${headers[name]},${value.trim()}`;
    }
    headers['Content-Type'] = 'application/json';
    headers['X-Content-Type-Options'] = 'nosniff';
    res.writeHead(200, headers);
    res.end(JSON.stringify(body, null, 1));
  }

  /**
   * The retry simulator: for the first `succeedAfter` requests carrying a uuid it fails, with
   * `responseCode` when given, else by resetting the TCP connection, after `delayRetry`.
   * Returns true when it answered (failed) the request.
   */
  async #simulateRetry(params: URLSearchParams, req: AnyReq, res: AnyRes): Promise<boolean> {
    const id = params.get('uuid');
    const succeedAfter = Number(params.get('succeedAfter') ?? '0');
    if (!id || !Number.isFinite(succeedAfter)) return false;
    const seen = this.#retries.get(id) ?? 0;
    this.#retries.set(id, seen + 1);
    if (seen >= succeedAfter) return false;
    const delayRetry = params.get('delayRetry');
    if (delayRetry) await sleep(Math.max(0, parseGoDuration(delayRetry)));
    const code = params.get('responseCode');
    if (code) {
      res.writeHead(Number(code), { 'content-type': 'text/plain' });
      res.end(`retry simulation: attempt ${seen + 1} of ${succeedAfter} fails\n`);
      return true;
    }
    if ('stream' in req && req.stream) {
      req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    } else {
      const socket = req.socket as net.Socket;
      socket.resetAndDestroy();
    }
    return true;
  }

  /** Builds the echo JSON for a request, as echo-basic does. */
  echoBody(req: AnyReq, port: string): EchoBody {
    const headers: Record<string, string[]> = {};
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as string;
      if (name.startsWith(':')) continue;
      const lower = name.toLowerCase();
      if (lower === 'host') continue; // Go moves Host out of the header map
      const key = canonicalHeaderKey(name);
      (headers[key] ??= []).push(raw[i + 1] as string);
    }
    const host = req.httpVersionMajor === 2 ? String(req.headers[':authority'] ?? req.headers.host ?? '') : String(req.headers.host ?? '');
    const tlsSock = req.socket as Partial<TLSSocket> | undefined;
    const body: EchoBody = {
      path: req.url ?? '/',
      host,
      method: req.method ?? 'GET',
      proto: req.httpVersionMajor === 2 ? 'HTTP/2.0' : `HTTP/${req.httpVersion}`,
      headers,
      namespace: this.spec.env['NAMESPACE'] ?? '',
      ingress: this.spec.env['INGRESS_NAME'] ?? '',
      service: this.spec.env['SERVICE_NAME'] ?? '',
      pod: this.spec.env['POD_NAME'] ?? '',
      httpPort: port,
      sni: '',
    };
    if (tlsSock && tlsSock.encrypted && typeof tlsSock.getProtocol === 'function') {
      const sn = (tlsSock as { servername?: unknown }).servername;
      const servername = typeof sn === 'string' ? sn : '';
      const peer = tlsSock.getPeerCertificate?.(false);
      body.sni = servername;
      body.tls = {
        version: (tlsSock.getProtocol() ?? '').replace('TLSv1', 'TLSv1'),
        serverName: servername,
        negotiatedProtocol: typeof tlsSock.alpnProtocol === 'string' ? tlsSock.alpnProtocol : '',
        cipherSuite: tlsSock.getCipher?.()?.standardName ?? '',
        ...(peer && peer.raw ? { peerCertificates: [toPem(peer.raw)] } : {}),
      };
    }
    return body;
  }

  /** Closes every listener and connection of the pod. */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await Promise.all(this.#l4.map((e) => e.close()));
    await Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/**
 * The gateway's own replaying Duplex (the same problem: Node servers read native sockets below
 * JS, so a chunk already read must be replayed through a Duplex), plus the peer address the
 * echo body reports.
 */
function replayingDuplex(socket: net.Socket, first: Buffer): Duplex {
  const duplex = replayHead(socket, first);
  Object.assign(duplex, { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
  return duplex;
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/**
 * Parses every `X-Echo-Set-Header: Name:value, Other:value` request header into the response
 * headers the backend must add (in order; names keep their case, empty names are skipped).
 */
export function echoSetHeaders(req: { rawHeaders: string[] }): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() !== 'x-echo-set-header') continue;
    for (const kv of (raw[i + 1] as string).split(',')) {
      const [name, value] = splitOnce(kv.trim(), ':');
      if (name === '') continue;
      out.push([name, value]);
    }
  }
  return out;
}

function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}
