/**
 * Byte streams between a client and a backend: connecting to a backend endpoint (plain TCP, or
 * TLS when a BackendTLSPolicy applies), and splicing two sockets together.
 *
 * Half-close is kept: when one side ends its writing (FIN, or TLS close_notify + FIN), the
 * other side's writing is ended too, while data keeps flowing the other way until that side
 * ends as well (both sockets are created with allowHalfOpen). An error or an idle timeout on
 * either side destroys both.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type * as ir from '../../ir/types.js';
import type { L4Backend } from './compile.js';

/** Knobs for connecting to backends. */
export interface ConnectOptions {
  readonly connectTimeoutMs: number;
  /** Endpoints tried per connection when connecting fails (refused, timeout). */
  readonly maxAttempts: number;
}

/** A socket to the backend, or why there is none. */
export type ConnectResult = { readonly ok: true; readonly socket: net.Socket; readonly endpoint: ir.Endpoint } | { readonly ok: false; readonly reason: string };

/**
 * Connects to one endpoint of `backend` (round-robin), moving on to the next endpoint when
 * connecting fails, up to `maxAttempts` endpoints. Backends without endpoints fail at once.
 */
export async function connectBackend(backend: Extract<L4Backend, { kind: 'service' }>, opts: ConnectOptions): Promise<ConnectResult> {
  const eps = backend.endpoints;
  if (eps.length === 0) return { ok: false, reason: 'no ready endpoints' };
  const attempts = Math.max(1, Math.min(opts.maxAttempts, eps.length));
  let last = '';
  for (let i = 0; i < attempts; i++) {
    const idx = backend.cursor % eps.length;
    backend.cursor = idx + 1;
    const endpoint = eps[idx] as ir.Endpoint;
    try {
      const socket = await connectOnce(endpoint, backend.tls, opts.connectTimeoutMs);
      return { ok: true, socket, endpoint };
    } catch (err) {
      last = `${endpoint.address}:${endpoint.port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
  }
  return { ok: false, reason: last };
}

function connectOnce(endpoint: ir.Endpoint, backendTls: ir.BackendTLS | null, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const base = { host: endpoint.address, port: endpoint.port, allowHalfOpen: true };
    const socket: net.Socket = backendTls ? tls.connect({ ...base, ...backendTlsOptions(backendTls) }) : net.connect(base);
    const ready = backendTls ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => fail(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.removeListener(ready, ok);
      socket.destroy();
      reject(err);
    };
    const ok = (): void => {
      clearTimeout(timer);
      socket.removeListener('error', fail);
      resolve(socket);
    };
    socket.once(ready, ok);
    socket.once('error', fail);
  });
}

/**
 * TLS origination to a backend (BackendTLSPolicy): SNI = serverName; the chain is verified
 * against the policy's CAs (or the system roots); the identity is serverName unless
 * subjectAltNames are given, then only those are accepted.
 */
export function backendTlsOptions(t: ir.BackendTLS): tls.ConnectionOptions {
  const opts: tls.ConnectionOptions = { servername: t.serverName, rejectUnauthorized: true, ALPNProtocols: [] };
  if (t.caPems !== 'system') opts.ca = [...t.caPems];
  if (t.clientCertificate) {
    opts.cert = t.clientCertificate.certPem;
    opts.key = t.clientCertificate.keyPem;
  }
  const sans = t.subjectAltNames;
  if (sans.length > 0) {
    opts.checkServerIdentity = (_host, cert) => {
      const alt = (cert.subjectaltname ?? '').split(',').map((s) => s.trim());
      for (const want of sans) {
        if (want.type === 'URI' && alt.includes(`URI:${want.value}`)) return undefined;
        if (want.type === 'Hostname' && tls.checkServerIdentity(want.value, cert) === undefined) return undefined;
      }
      return new Error(`backend certificate matches none of the subjectAltNames ${sans.map((s) => s.value).join(', ')}`);
    };
  } else {
    opts.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(t.serverName, cert);
  }
  return opts;
}

/**
 * Splices `client` and `upstream`: bytes both ways with backpressure, half-close propagated,
 * everything torn down on an error or after `idleTimeoutMs` without traffic on either socket.
 * `onClose` runs once when both are closed.
 */
export function splice(client: Duplex, upstream: net.Socket, idleTimeoutMs: number, onClose: () => void): void {
  let closed = 0;
  const done = (): void => {
    if (++closed === 2) onClose();
  };
  const kill = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', kill);
  upstream.on('error', kill);
  client.once('close', () => {
    done();
    // The client is gone for good: nothing more can be delivered upstream's answers to.
    if (!upstream.destroyed && upstream.writableEnded) upstream.destroy();
  });
  upstream.once('close', () => {
    done();
    if (!client.destroyed && client.writableEnded) client.destroy();
  });
  // end() on the other side when one side finishes writing: half-close both ways.
  client.pipe(upstream, { end: true });
  upstream.pipe(client, { end: true });
  if (idleTimeoutMs > 0) {
    const onIdle = (): void => kill();
    upstream.setTimeout(idleTimeoutMs, onIdle);
    if (client instanceof net.Socket) client.setTimeout(idleTimeoutMs, onIdle);
  }
}
