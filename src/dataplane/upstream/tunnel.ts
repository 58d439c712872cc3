/**
 * Upgrade requests (WebSocket and any other `Upgrade:`): routed and filtered like any request,
 * then tunnelled over a raw TCP connection to one endpoint of the chosen backend. The request
 * line and headers are written as rebuilt by the plan (plus `Connection: Upgrade` and the
 * original `Upgrade`), then bytes are piped both ways. The backend's `101` and everything after
 * it pass through untouched, so response filters do not apply to upgraded connections.
 */
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { statusText } from '../errors.js';
import type { HeaderMap } from '../headers.js';
import type { ForwardPlan } from '../plan.js';
import { nextEndpoint } from './balancer.js';
import { backendTLSConnectOptions } from './tls.js';

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, headers: HeaderMap | null, body: string | null): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = body ?? `${statusText(status)}\n`;
  let head = `HTTP/1.1 ${status} ${statusText(status)}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\n`;
  if (headers !== null) {
    for (const name in headers) {
      if (name === 'content-length' || name === 'content-type' || name === 'connection') continue;
      const v = headers[name] as string | string[];
      if (typeof v === 'string') head += `${name}: ${v}\r\n`;
      else for (const one of v) head += `${name}: ${one}\r\n`;
    }
  }
  socket.end(`${head}\r\n${text}`);
}

function requestHead(plan: ForwardPlan, upgrade: string): string {
  let head = `${plan.method} ${plan.target} HTTP/1.1\r\n`;
  const h = plan.headers;
  for (const name in h) {
    const v = h[name] as string | string[];
    if (typeof v === 'string') head += `${name}: ${v}\r\n`;
    else for (const one of v) head += `${name}: ${one}\r\n`;
  }
  return `${head}connection: Upgrade\r\nupgrade: ${upgrade}\r\n\r\n`;
}

/**
 * Opens the tunnel. `onEnd` runs once when both sides are closed. Connection failures before
 * any byte came back are answered with 502.
 */
export function tunnelUpgrade(
  plan: ForwardPlan,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  connectTimeoutMs: number,
  onEnd: () => void,
): void {
  const e = nextEndpoint(plan.backend);
  // wss: TLS to the backend when a BackendTLSPolicy applies (SNI, CA, identity, client cert).
  const t = plan.backend.tls;
  const upstream =
    t === null ? net.connect({ host: e.address, port: e.port }) : tls.connect({ host: e.address, port: e.port, ...backendTLSConnectOptions(t, ['http/1.1']) });
  let connected = false;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    upstream.destroy();
    // A socket that is still writable got (or is getting) an answer: let it flush and close.
    if (!socket.writableEnded) socket.destroy();
    onEnd();
  };
  const fail = (): void => {
    if (upstream.bytesRead === 0 && socket.writable && !socket.writableEnded) rejectUpgrade(socket, 502, null, null);
    end();
  };
  upstream.setTimeout(connectTimeoutMs, () => {
    if (!connected) fail();
  });
  upstream.once(t === null ? 'connect' : 'secureConnect', () => {
    connected = true;
    upstream.setTimeout(0);
    upstream.setNoDelay(true);
    upstream.write(requestHead(plan, req.headers.upgrade ?? 'websocket'));
    if (head.length > 0) upstream.write(head);
    socket.pipe(upstream);
    upstream.pipe(socket);
  });
  upstream.on('error', fail);
  upstream.once('close', fail);
  socket.on('error', end);
  socket.once('close', end);
}
