/** Shared helpers of the data-plane e2e tests: in-test backends, a data plane on port 0, a client. */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { createDataPlane, type HttpDataPlane } from '../../../src/dataplane/index.js';
import type * as ir from '../../../src/ir/types.js';
import { fillConfig } from '../../golden/dataplane/ir-defaults.js';

/** What an echo backend saw. */
export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** An in-test node:http backend on 127.0.0.1:0. */
export interface Backend {
  readonly name: string;
  readonly port: number;
  readonly endpoint: ir.Endpoint;
  readonly seen: Seen[];
  /** Sockets ever accepted (keep-alive reuse shows as few). */
  connections: number;
  readonly server: http.Server;
  close(): Promise<void>;
}

/** Starts a backend; the default handler echoes {name, method, url, headers} as JSON. */
export async function startBackend(
  name: string,
  handler?: (req: http.IncomingMessage, res: http.ServerResponse, b: Backend) => void,
): Promise<Backend> {
  const sockets = new Set<Socket>();
  const server = http.createServer();
  const b: Backend = {
    name,
    port: 0,
    endpoint: { address: '127.0.0.1', port: 0 },
    seen: [],
    connections: 0,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (s: Socket) => {
    b.connections++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    b.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (handler) return handler(req, res, b);
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(b, { port, endpoint: { address: '127.0.0.1', port } });
}

/** A backend in its own process (echo-backend.ts). */
export async function spawnBackend(name: string): Promise<{ endpoint: ir.Endpoint; child: ChildProcess; stop(): Promise<void> }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'echo-backend.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, name], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('backend process did not start')), 15_000);
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /PORT (\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', () => reject(new Error('backend process exited')));
  });
  return {
    endpoint: { address: '127.0.0.1', port },
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin?.end();
        setTimeout(() => child.kill(), 2_000).unref();
      }),
  };
}

/** A running data plane and the port its first server got. */
export interface Running {
  readonly dp: HttpDataPlane;
  readonly port: number;
  readonly base: string;
  portOf(serverName: string): number;
}

/** Creates a data plane and applies a partial config (see ir-defaults.ts). */
export async function startDataPlane(partial: unknown, opts: Parameters<typeof createDataPlane>[0] = {}): Promise<Running> {
  const dp = createDataPlane(opts);
  const res = await dp.apply(fillConfig(partial));
  if (res.errors.length > 0) throw new Error(`bind failed: ${JSON.stringify(res.errors)}`);
  const portOf = (name: string): number => {
    const s = dp.stats().servers.find((x) => x.name === name && x.state === 'serving');
    if (s?.boundPort == null) throw new Error(`no server ${name}`);
    return s.boundPort;
  };
  const first = dp.stats().servers[0];
  const port = first?.boundPort ?? 0;
  return { dp, port, base: `http://127.0.0.1:${port}`, portOf };
}

/** A keep-alive client shared by a test file. */
export const client = new Agent({ keepAliveTimeout: 2_000, connections: 64 });

/** Sends a request and reads the whole answer as text. */
export async function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const res = await request(url, {
    method: (init.method ?? 'GET') as 'GET',
    headers: init.headers ?? {},
    body: init.body ?? null,
    dispatcher: client,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

/** A one-rule config: PathPrefix `/` to `backends` (partial backends) plus rule extras. */
export function oneRule(backends: unknown[], extra: Record<string, unknown> = {}, address = '127.0.0.1'): unknown {
  return { servers: [{ address, port: 0, listeners: [{ rules: [{ name: 'r', backends, ...extra }] }] }] };
}
