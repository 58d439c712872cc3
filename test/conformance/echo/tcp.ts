/**
 * The echo backend's TCP mode (TCP_ECHO_SERVER), after upstream echo-basic's tcpserver: a plain
 * port (TCP_PORT, default 3000) and, when TLS_SERVER_CERT/TLS_SERVER_PRIV_KEY are set, a TLS
 * port (TLS_PORT, default 8443). Each connection is greeted with `Gateway API Test TCP Server\n`,
 * then every line is answered: `TEST` → one JSON line with the pod context, `isTLS` and (on
 * TLS) the handshake facts; `IS_TLS` → `true`/`false`; `PING` → `PONG`; anything else nothing.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { EchoPodSpec } from './echo.js';

/** The greeting upstream's TCP server sends first. */
export const TCP_WELCOME = 'Gateway API Test TCP Server\n';

/** The JSON the TCP echo answers `TEST` with. */
export interface TcpAssertions {
  namespace: string;
  ingress: string;
  service: string;
  pod: string;
  tcpport: string;
  tlsport?: string;
  isTLS: boolean;
  tls?: { version: string; serverName: string; negotiatedProtocol?: string; cipherSuite: string };
}

/** A running L4 echo (closes its sockets on `close`). */
export interface L4Echo {
  readonly ports: Record<string, number>;
  close(): Promise<void>;
}

/** Starts the TCP (and TLS) echo of one pod on its IP. */
export async function startTcpEcho(spec: EchoPodSpec, log: (line: string) => void): Promise<L4Echo> {
  const env = spec.env;
  const tcpPort = Number(env['TCP_PORT'] || '3000');
  const tlsPort = Number(env['TLS_PORT'] || '8443');
  const certFile = env['TLS_SERVER_CERT'];
  const keyFile = env['TLS_SERVER_PRIV_KEY'] || env['TLS_SERVER_PRIVKEY'];
  const context = { namespace: env['NAMESPACE'] ?? '', ingress: env['INGRESS_NAME'] ?? '', service: env['SERVICE_NAME'] ?? '', pod: env['POD_NAME'] ?? '' };
  const sockets = new Set<net.Socket>();
  const servers: net.Server[] = [];
  const ports: Record<string, number> = {};

  const serve = (socket: net.Socket, secure: tls.TLSSocket | null): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const assertions: TcpAssertions = { ...context, tcpport: String(ports['tcp'] ?? tcpPort), isTLS: secure !== null };
    if (ports['tls'] !== undefined) assertions.tlsport = String(ports['tls']);
    if (secure) {
      const sn = (secure as tls.TLSSocket & { servername?: string | false }).servername;
      assertions.tls = {
        version: secure.getProtocol() ?? '',
        serverName: typeof sn === 'string' ? sn : '',
        ...(typeof secure.alpnProtocol === 'string' ? { negotiatedProtocol: secure.alpnProtocol } : {}),
        cipherSuite: secure.getCipher()?.standardName ?? '',
      };
    }
    socket.write(TCP_WELCOME);
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        if (line === 'TEST') socket.write(`${JSON.stringify(assertions)}\n`);
        else if (line === 'IS_TLS') socket.write(`${secure !== null}\n`);
        else if (line === 'PING') socket.write('PONG\n');
      }
      if (buf.length > 64 * 1024) socket.destroy();
    });
    socket.on('end', () => socket.end());
  };

  const listen = (server: net.Server, port: number, name: string): Promise<void> =>
    new Promise((resolve, reject) => {
      servers.push(server);
      server.once('error', reject);
      server.listen({ host: spec.ip, port }, () => {
        server.off('error', reject);
        ports[name] = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });

  await listen(net.createServer((s) => serve(s, null)), tcpPort, 'tcp');
  log(`Starting server (tcp) protocol=tcp port=${ports['tcp']}`);
  if (certFile && keyFile) {
    const server = tls.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' }, (s) => serve(s, s));
    server.on('tlsClientError', () => undefined);
    await listen(server, tlsPort, 'tls');
    log(`Starting server (tcp) protocol=tls port=${ports['tls']}`);
  }
  return {
    ports,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
