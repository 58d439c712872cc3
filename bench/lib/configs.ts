/**
 * Configurations of the reference servers, following the method of
 * /work/shared/docs/performance-notes.md (appendix `mkconf.sh`): one worker/thread each,
 * upstream keep-alive everywhere, no access logs, nginx's per-connection request cap lifted.
 */

/** The fixed bodies every backend serves. */
export const SMALL_PATH = '/';
export const SMALL_BODY = 'ok\n';
export const LARGE_PATH = '/64k';
export const LARGE_BODY_BYTES = 64 * 1024;

/**
 * One nginx configuration: `workers` worker processes, no access log, keep-alive requests
 * uncapped, and one server block. Every nginx the harness starts (backend, proxy, TLS proxy)
 * is this preamble plus its own `http` and `server` lines.
 */
export function nginxConf(o: { workers?: number; http?: readonly string[]; server: readonly string[] }): string {
  const indent = (lines: readonly string[], pad: string): string => lines.map((l) => `${pad}${l}\n`).join('');
  return `worker_processes ${o.workers ?? 1};
pid nginx.pid;
error_log stderr warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 65s;
${indent(o.http ?? [], '  ')}  server {
${indent(o.server, '    ')}  }
}
`;
}

/** The proxy side shared by the plain and TLS reference proxies: pooled upstream keep-alive. */
export const NGINX_PROXY_LOCATION: readonly string[] = [
  // buffers large enough for the 64 KiB body: nginx's defaults (8 × 4k) would spill it to a temp file
  'proxy_buffer_size 16k;',
  'proxy_buffers 8 16k;',
  'location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; }',
];

/** The upstream block of the reference proxies. */
export function nginxUpstream(upstream: string): string {
  return `upstream be { server ${upstream}; keepalive 64; keepalive_requests 1000000; }`;
}

/**
 * nginx as the backend: `return 200 "ok\n"` on `/`, a 64 KiB static file on `/64k`, plus any
 * `locations` a scenario adds.
 */
export function nginxBackendConf(o: { listen: readonly string[]; wwwDir: string; locations?: readonly string[] }): string {
  return nginxConf({
    server: [
      ...o.listen.map((l) => `listen ${l} reuseport backlog=4096;`),
      `location = ${LARGE_PATH} { default_type application/octet-stream; alias ${o.wwwDir}/64k.bin; }`,
      ...(o.locations ?? []),
      'location / { default_type text/plain; return 200 "ok\\n"; }',
    ],
  });
}

/** Size of the soak scenario's large body. */
export const SOAK_BODY_BYTES = 2 * 1024 * 1024;
export const SOAK_BIG_PATH = '/big';
/** The same body, sent by the backend at {@link SOAK_SLOW_RATE} (a slow upstream). */
export const SOAK_SLOW_PATH = '/slow';
export const SOAK_SLOW_RATE = '512k';

/**
 * The soak scenario's backend: the usual `/` (3 B), plus a 2 MiB file on `/big` at full speed
 * and on `/slow` streamed at 512 KiB/s (`limit_rate`).
 */
export function nginxSoakBackendConf(o: { listen: string; wwwDir: string }): string {
  return nginxBackendConf({
    listen: [o.listen],
    wwwDir: o.wwwDir,
    locations: [
      `location = ${SOAK_BIG_PATH} { default_type application/octet-stream; alias ${o.wwwDir}/big.bin; }`,
      `location = ${SOAK_SLOW_PATH} { default_type application/octet-stream; alias ${o.wwwDir}/big.bin; limit_rate ${SOAK_SLOW_RATE}; }`,
    ],
  });
}

/** nginx as the reverse proxy under test, pooling upstream connections. */
export function nginxProxyConf(o: { listen: string; upstream: string; workers?: number }): string {
  return nginxConf({
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    http: [nginxUpstream(o.upstream)],
    server: [`listen ${o.listen} backlog=4096;`, ...NGINX_PROXY_LOCATION],
  });
}

/** HAProxy as the reverse proxy under test: one thread, connection reuse always. */
export function haproxyConf(o: { listen: string; upstream: string }): string {
  return `global
  nbthread 1
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 65s
  timeout server 65s
  option http-keep-alive
  http-reuse always
frontend fe
  bind ${o.listen}
  default_backend be
backend be
  server s1 ${o.upstream} maxconn 1000
`;
}
