/**
 * Helpers of the L4 e2e tests: TCP, TLS and UDP backends on 127.0.0.1:0, IR builders, and a
 * data plane with deterministic randomness.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { createDataPlane, type HttpDataPlane } from '../../src/dataplane/index.js';
import type { StreamLimitOptions } from '../../src/dataplane/index.js';
import type * as ir from '../../src/ir/types.js';

/** A running backend. */
export interface L4Backend {
  readonly name: string;
  readonly endpoint: ir.Endpoint;
  /** Connections (or datagrams) it got. */
  hits: number;
  close(): Promise<void>;
}

/**
 * A TCP backend: greets with `<name>\n`, answers each line `X` with `<name>:X\n`; when the
 * client half-closes it sends `<name>:bye\n` and ends its side too.
 */
export async function startTcpBackend(name: string): Promise<L4Backend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    b.hits++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    s.write(`${name}\n`);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        s.write(`${name}:${buf.slice(0, i)}\n`);
        buf = buf.slice(i + 1);
      }
    });
    s.on('end', () => s.end(`${name}:bye\n`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const b: L4Backend = {
    name,
    endpoint: { address: '127.0.0.1', port: (server.address() as net.AddressInfo).port },
    hits: 0,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  return b;
}

/** A TLS backend: after the handshake writes `{"name","sni"}\n` (the SNI it saw) and closes. */
export async function startTlsBackend(name: string, cert: { cert: string; key: string }): Promise<L4Backend> {
  const server = tls.createServer({ cert: cert.cert, key: cert.key }, (s) => {
    b.hits++;
    s.on('error', () => s.destroy());
    const sni = (s as tls.TLSSocket & { servername?: string | false }).servername;
    s.end(`${JSON.stringify({ name, sni: typeof sni === 'string' ? sni : null })}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const b: L4Backend = {
    name,
    endpoint: { address: '127.0.0.1', port: (server.address() as net.AddressInfo).port },
    hits: 0,
    close: () => new Promise((r) => server.close(() => r())),
  };
  return b;
}

/** A UDP backend answering each datagram `X` with `<name>:X`. */
export async function startUdpBackend(name: string): Promise<L4Backend> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    b.hits++;
    sock.send(`${name}:${msg.toString()}`, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const b: L4Backend = {
    name,
    endpoint: { address: '127.0.0.1', port: sock.address().port },
    hits: 0,
    close: () => new Promise((r) => sock.close(() => r())),
  };
  return b;
}

/** An IR service backend. */
export function svc(b: L4Backend | { name: string; endpoint: ir.Endpoint }, weight = 1, endpoints?: ir.Endpoint[]): ir.Backend {
  return {
    kind: 'service',
    name: `default/${b.name}:1`,
    weight,
    protocol: 'http1',
    tls: null,
    endpoints: endpoints ?? [b.endpoint],
    requestFilters: [],
    redirect: null,
    responseHeaders: null,
  };
}

/** An IR invalid backend. */
export function invalid(name: string, weight = 1): ir.Backend {
  return { kind: 'invalid', name, weight, status: 500, reason: 'BackendNotFound' };
}

/** A stream route. */
export function route(name: string, backends: ir.Backend[], hostnames: string[] = []): ir.StreamRoute {
  return { name: `tcproute/default/${name}/rule/0`, route: `default/${name}`, hostnames, backends };
}

/** A one-server config on 127.0.0.1:0. */
export function config(protocol: 'TLS' | 'TCP' | 'UDP', listeners: ir.StreamListener[]): ir.Config {
  return {
    version: 1,
    servers: [{ name: `default/gw/127.0.0.1:0${protocol === 'UDP' ? '/udp' : ''}`, gateway: 'default/gw', address: '127.0.0.1', port: 0, protocol, listeners: [], streamListeners: listeners }],
  };
}

/** A stream listener. */
export function listener(
  name: string,
  mode: ir.StreamListener['mode'],
  routes: ir.StreamRoute[],
  opts: { hostname?: string; tls?: ir.ListenerTLS } = {},
): ir.StreamListener {
  return { name: `default/gw/${name}`, hostname: opts.hostname ?? null, port: 0, mode, tls: opts.tls ?? null, routes };
}

/** A deterministic random source (a small LCG), so weight tests do not flake. */
export function seededRandom(seed = 42): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** A data plane for L4 tests and the port its only server is bound on. */
export async function startGateway(cfg: ir.Config, stream: StreamLimitOptions = {}, random = seededRandom()): Promise<{ dp: HttpDataPlane; port: () => number }> {
  const dp = createDataPlane({ random, stream, drainGraceMs: 200 });
  const res = await dp.apply(cfg);
  if (res.errors.length > 0) throw new Error(`bind failed: ${JSON.stringify(res.errors)}`);
  const port = (): number => {
    const s = dp.stats().servers.find((x) => x.state === 'serving');
    if (!s?.boundPort) throw new Error('no bound server');
    return s.boundPort;
  };
  return { dp, port };
}

/** Opens a TCP connection, reads the first line (the greeting), closes. Resolves the line or `error: …`. */
export function tcpGreeting(port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (v: string): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done('error: timeout'), timeoutMs);
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) done(buf.slice(0, i));
    });
    s.on('error', (e: NodeJS.ErrnoException) => done(`error: ${e.code ?? e.message}`));
    s.on('end', () => done(`error: EOF ${buf}`));
  });
}

/** Sends one datagram from `sock` and waits for one reply (or `error: timeout`). */
export function udpExchange(sock: dgram.Socket, port: number, msg: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const onMsg = (m: Buffer): void => {
      clearTimeout(timer);
      sock.off('message', onMsg);
      resolve(m.toString());
    };
    const timer = setTimeout(() => {
      sock.off('message', onMsg);
      resolve('error: timeout');
    }, timeoutMs);
    sock.on('message', onMsg);
    sock.send(msg, port, '127.0.0.1');
  });
}

/** Counts values. */
export function tally(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
