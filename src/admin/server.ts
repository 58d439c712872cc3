/**
 * The admin endpoint: health, readiness, status and a config dump, on a loopback address by
 * default.
 *
 *   GET /healthz      200 `ok` while the process is alive
 *   GET /readyz       200 once the first config has been applied, else 503
 *   GET /status       JSON {version, appliedAt, objects, issues, applyErrors, lastError, timings}
 *   GET /config_dump  the IR being served, secrets redacted
 *   GET /metrics      a few counters in Prometheus text format
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '../log.js';
import type { DataPlaneStats } from '../dataplane/index.js';
import type { RuntimeState } from '../runtime/standalone.js';
import { formatHostPort } from './address.js';
import { redactSecrets } from './redact.js';

/** What the admin server reads; StandaloneRuntime provides it. */
export interface AdminSource {
  readonly snapshot: RuntimeState;
  readonly ready: boolean;
  /** Live data plane counters for /metrics, if available. */
  dataPlaneStats?(): DataPlaneStats | null;
}

export interface AdminServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly source: AdminSource;
  readonly log?: Logger;
}

export interface AdminServer {
  /** The bound address (port resolved when 0 was asked for). */
  readonly host: string;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  close(): Promise<void>;
}

/** The JSON body of GET /status. */
function statusBody(state: RuntimeState): Record<string, unknown> {
  return {
    version: state.version,
    appliedAt: state.appliedAt,
    objects: state.statusObjects,
    issues: state.issues,
    applyErrors: state.applyErrors,
    lastError: state.lastError,
    timings: state.timings,
  };
}

/** Starts the admin server; resolves once it listens. */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const log = options.log ?? silentLogger;
  const server: Server = createServer((req, res) => {
    try {
      handle(options.source, req, res);
    } catch (err) {
      log.error('admin request failed', { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${formatHostPort(addr.address, addr.port)}`;
  log.info('admin endpoint listening', { url });
  return {
    host: addr.address,
    port: addr.port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function handle(source: AdminSource, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, 'text/plain', 'method not allowed\n');
    return;
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  switch (path) {
    case '/healthz':
      send(res, 200, 'text/plain', 'ok\n');
      return;
    case '/readyz':
      if (source.ready) send(res, 200, 'text/plain', 'ready\n');
      else send(res, 503, 'text/plain', 'no config applied yet\n');
      return;
    case '/status':
      sendJson(res, statusBody(source.snapshot));
      return;
    case '/config_dump':
      sendJson(res, redactSecrets(source.snapshot.ir));
      return;
    case '/metrics':
      send(res, 200, 'text/plain; version=0.0.4', metrics(source.snapshot, source.dataPlaneStats?.() ?? null));
      return;
    default:
      send(res, 404, 'text/plain', 'not found; try /healthz, /readyz, /status, /config_dump, /metrics\n');
  }
}

function metrics(s: RuntimeState, dp: DataPlaneStats | null): string {
  const lines = [
    '# HELP waygate_config_version Configs applied since start.',
    '# TYPE waygate_config_version counter',
    `waygate_config_version ${s.version}`,
    '# HELP waygate_config_passes_total Reload passes run, including no-op ones.',
    '# TYPE waygate_config_passes_total counter',
    `waygate_config_passes_total ${s.passes}`,
    '# HELP waygate_load_issues Current load issues.',
    '# TYPE waygate_load_issues gauge',
    `waygate_load_issues ${s.issues.length}`,
    '# HELP waygate_apply_errors Servers that could not be bound.',
    '# TYPE waygate_apply_errors gauge',
    `waygate_apply_errors ${s.applyErrors.length}`,
    '# HELP waygate_servers Servers (address:port sockets) in the current config.',
    '# TYPE waygate_servers gauge',
    `waygate_servers ${s.ir?.servers.length ?? 0}`,
  ];
  if (s.timings) {
    lines.push('# HELP waygate_last_pass_ms Duration of the last config pass by phase.', '# TYPE waygate_last_pass_ms gauge');
    lines.push(`waygate_last_pass_ms{phase="load"} ${s.timings.loadMs}`);
    lines.push(`waygate_last_pass_ms{phase="translate"} ${s.timings.translateMs}`);
    lines.push(`waygate_last_pass_ms{phase="apply"} ${s.timings.applyMs}`);
  }
  if (dp) {
    lines.push(
      '# HELP waygate_connections Client connections open.', '# TYPE waygate_connections gauge',
      `waygate_connections ${dp.totals.connections}`,
      '# HELP waygate_requests_in_flight Requests being served.', '# TYPE waygate_requests_in_flight gauge',
      `waygate_requests_in_flight ${dp.totals.inFlight}`,
      '# HELP waygate_requests_total Requests served since start.', '# TYPE waygate_requests_total counter',
      `waygate_requests_total ${dp.totals.requests}`,
      '# HELP waygate_upstream_pools Upstream connection pools open.', '# TYPE waygate_upstream_pools gauge',
      `waygate_upstream_pools ${dp.upstream.pools}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function sendJson(res: ServerResponse, body: unknown): void {
  send(res, 200, 'application/json', `${JSON.stringify(body, null, 2)}\n`);
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.statusCode = code;
  res.setHeader('content-type', type);
  res.setHeader('cache-control', 'no-store');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
