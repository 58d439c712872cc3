/**
 * Sending the conformance requests: HTTP/1.1 (node:http with an explicit Host and the path
 * sent raw), HTTPS with SNI, h2c and HTTP/2 over TLS (node:http2), WebSocket (ws). gRPC, TCP,
 * TLS-stream and UDP probes are a seam (`sendOther`) filled in with their own issue.
 */
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import WebSocket from 'ws';
import { parseEcho, type Captured } from './expect.js';
import type { WsFrame } from './types.js';

/** Everything needed to send one HTTP-family request. */
export interface Outgoing {
  /** Gateway address (IP) and port to connect to. */
  address: string;
  port: number;
  protocol: string;
  scheme: string;
  /** Host header / :authority. */
  host: string;
  method: string;
  /** Path with query, sent as is. */
  path: string;
  headers: Record<string, string>;
  /** TLS: SNI, trusted CA, client certificate. */
  sni?: string;
  ca?: string;
  cert?: string;
  key?: string;
  timeoutMs: number;
}

function lowerHeaders(h: http.IncomingHttpHeaders | http2.IncomingHttpHeaders): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(':') || v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.map(String) : [String(v)];
  }
  return out;
}

function tlsOptions(o: Outgoing): Record<string, unknown> {
  const servername = o.sni ?? (/^[\d.]+$|:/.test(o.host) ? undefined : o.host.replace(/:\d+$/, ''));
  return {
    ...(servername ? { servername } : {}),
    ...(o.ca ? { ca: o.ca } : {}),
    ...(o.cert && o.key ? { cert: o.cert, key: o.key } : {}),
    // Chain verification against the trusted CA only: the conformance certificates carry
    // SANs such as `*` that Node's hostname check refuses; the suite selects by SNI anyway.
    rejectUnauthorized: o.ca !== undefined,
    checkServerIdentity: () => undefined,
    minVersion: 'TLSv1.2',
  };
}

/** Sends one HTTP/1.1 request (http or https) and captures the response. */
export function sendHttp1(o: Outgoing): Promise<Captured> {
  return new Promise((resolve) => {
    const mod = o.scheme === 'https' ? https : http;
    const headers: Record<string, string> = { Host: o.host, ...o.headers };
    const req = mod.request({
      host: o.address,
      port: o.port,
      method: o.method,
      path: o.path,
      headers,
      setHost: false,
      agent: false,
      timeout: o.timeoutMs,
      ...(o.scheme === 'https' ? tlsOptions(o) : {}),
    });
    let settled = false;
    const done = (c: Captured): void => {
      if (settled) return;
      settled = true;
      resolve(c);
    };
    req.on('timeout', () => {
      req.destroy(new Error(`no response within ${o.timeoutMs} ms`));
    });
    req.on('error', (err) => done({ error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim(), headers: {}, body: '' }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => done({ error: err.message, headers: {}, body: '' }));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const echo = parseEcho(body);
        done({ status: res.statusCode ?? 0, headers: lowerHeaders(res.headers), body, ...(echo ? { echo } : {}) });
      });
    });
    req.end();
  });
}

/** Sends one HTTP/2 request (h2c with prior knowledge, or h2 over TLS). */
export function sendHttp2(o: Outgoing): Promise<Captured> {
  return new Promise((resolve) => {
    const tls = o.scheme === 'https';
    const authority = `${tls ? 'https' : 'http'}://${o.address.includes(':') ? `[${o.address}]` : o.address}:${o.port}`;
    let settled = false;
    const session = http2.connect(authority, tls ? { ...tlsOptions(o), ALPNProtocols: ['h2'] } : {});
    const timer = setTimeout(() => done({ error: `no response within ${o.timeoutMs} ms`, headers: {}, body: '' }), o.timeoutMs);
    const done = (c: Captured): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.close();
      session.destroy();
      resolve(c);
    };
    session.on('error', (err) => done({ error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim(), headers: {}, body: '' }));
    const headers: http2.OutgoingHttpHeaders = { ':method': o.method, ':path': o.path, ':authority': o.host, ':scheme': tls ? 'https' : 'http' };
    for (const [k, v] of Object.entries(o.headers)) {
      const lower = k.toLowerCase();
      if (lower === 'host' || lower === 'connection') continue;
      headers[lower] = v;
    }
    const stream = session.request(headers, { endStream: true });
    let status = 0;
    let resHeaders: Record<string, string[]> = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      status = Number(h[':status'] ?? 0);
      resHeaders = lowerHeaders(h);
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', (err) => done({ error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim(), headers: {}, body: '' }));
    stream.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const echo = parseEcho(body);
      if (status === 0) done({ error: 'stream ended without a response', headers: {}, body: '' });
      else done({ status, headers: resHeaders, body, ...(echo ? { echo } : {}) });
    });
  });
}

/** The result of a WebSocket exchange: the frames echoed back, or an error. */
export interface WsResult {
  error?: string;
  frames: WsFrame[];
}

/** Dials a WebSocket, sends frames one by one and collects the answer to each. */
export function sendWebSocket(o: Outgoing & { origin?: string; subprotocol?: string; frames: WsFrame[] }): Promise<WsResult> {
  return new Promise((resolve) => {
    const url = `${o.scheme === 'wss' ? 'wss' : 'ws'}://${o.address}:${o.port}${o.path}`;
    const ws = new WebSocket(url, o.subprotocol ? [o.subprotocol] : [], {
      headers: { Host: o.host },
      ...(o.origin ? { origin: o.origin } : {}),
      handshakeTimeout: o.timeoutMs,
    });
    const got: WsFrame[] = [];
    let settled = false;
    const timer = setTimeout(() => done(`no echo within ${o.timeoutMs} ms`), o.timeoutMs);
    const done = (error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(error ? { error, frames: got } : { frames: got });
    };
    const sendNext = (): void => {
      const f = o.frames[got.length];
      if (!f) return done();
      if (f.type === 'text') ws.send(String(f.data));
      else ws.send(Buffer.from(f.data as number[]), { binary: true });
    };
    ws.on('open', sendNext);
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      got.push(isBinary ? { type: 'binary', data: [...buf] } : { type: 'text', data: buf.toString() });
      sendNext();
    });
    ws.on('unexpected-response', (_req, res) => done(`handshake answered HTTP ${res.statusCode}`));
    ws.on('error', (err) => done(err.message));
  });
}

/** Dispatches an HTTP-family request by protocol. */
export function sendRequest(o: Outgoing): Promise<Captured> {
  switch (o.protocol) {
    case 'HTTP/2':
    case 'H2':
    case 'h2c':
    case 'H2C_PRIOR_KNOWLEDGE':
      return sendHttp2(o);
    case 'HTTP/1.1':
    case '':
      return sendHttp1(o);
    default:
      return sendOther(o);
  }
}

/** Seam for gRPC, TCP, TLS-stream and UDP probes (their own issue). */
export async function sendOther(o: Outgoing): Promise<Captured> {
  return { error: `the runner does not speak ${o.protocol} yet`, headers: {}, body: '' };
}
