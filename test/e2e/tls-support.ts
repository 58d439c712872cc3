/**
 * Helpers of the TLS e2e tests: certificates, IR with TLS listeners, TLS/h2 clients.
 */
import http2 from 'node:http2';
import tls from 'node:tls';
import type * as ir from '../../src/ir/types.js';
import { makeCert, type CertPair } from '../conformance/certs.js';
import { fillConfig } from '../golden/dataplane/ir-defaults.js';

export { makeCert, type CertPair };

/** A listener of an HTTPS test server. */
export interface TlsListenerSpec {
  readonly name: string;
  readonly hostname: string | null;
  readonly certs: readonly CertPair[];
  readonly backends: unknown[];
  readonly clientValidation?: ir.ClientValidation | null;
  readonly minVersion?: ir.ListenerTLS['minVersion'];
}

/** An IR config with one HTTPS server on 127.0.0.1:0 (listeners in the order given). */
export function httpsConfig(listeners: readonly TlsListenerSpec[]): ir.Config {
  const partial = {
    servers: [
      {
        protocol: 'HTTPS',
        listeners: listeners.map((l) => ({ name: l.name, hostname: l.hostname, scheme: 'https', rules: [{ name: `${l.name}/r`, backends: l.backends }] })),
      },
    ],
  };
  const config = fillConfig(partial);
  const server = config.servers[0]!;
  return {
    ...config,
    servers: [
      {
        ...server,
        listeners: server.listeners.map((l, i) => {
          const spec = listeners[i]!;
          return {
            ...l,
            scheme: 'https' as const,
            tls: {
              certificates: spec.certs.map((c, j) => ({ name: `test/${spec.name}-${j}`, certPem: c.cert, keyPem: c.key })),
              clientValidation: spec.clientValidation ?? null,
              minVersion: spec.minVersion ?? 'TLSv1.2',
              ciphers: null,
            },
          };
        }),
      },
    ],
  };
}

/** Handshakes with `servername` and returns the served certificate's CN (or the error). */
export function peerCN(port: number, servername: string | null, extra: tls.ConnectionOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername ? { servername } : {}), ...extra });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('handshake timeout'));
    }, 5_000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cn = socket.getPeerCertificate().subject?.CN;
      socket.end();
      resolve(Array.isArray(cn) ? cn.join(',') : (cn ?? ''));
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** One HTTP/2 request on `session`; resolves status, headers and body. */
export function h2Request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body: string | null = null,
): Promise<{ status: number; headers: http2.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === null });
    const timer = setTimeout(() => {
      stream.close();
      reject(new Error('h2 request timeout'));
    }, 5_000);
    let text = '';
    let responseHeaders: http2.IncomingHttpHeaders = {};
    stream.setEncoding('utf8');
    stream.on('response', (h) => (responseHeaders = h));
    stream.on('data', (d: string) => (text += d));
    stream.on('end', () => {
      clearTimeout(timer);
      resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, text });
    });
    stream.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (body !== null) stream.end(body);
  });
}

/** Opens an HTTP/2 session over TLS (ALPN h2) with `servername`. */
export function h2Connect(port: number, servername: string, extra: tls.ConnectionOptions = {}): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { servername, rejectUnauthorized: false, ...extra });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}
