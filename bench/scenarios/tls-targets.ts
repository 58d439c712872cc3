/**
 * The servers of the `tls` scenario: a self-signed ECDSA P-256 certificate (openssl CLI), nginx
 * terminating TLS 1.3 with HTTP/2 and HTTP/1.1 (ALPN) in front of the shared backend, and
 * waygate with an HTTPS listener (min version 1.3) whose certificate is the same key pair in a
 * `kubernetes.io/tls` Secret. Both proxy to the backend over plain HTTP/1.1 keep-alive.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { BenchContext, Target } from '../lib/context.js';
import { NGINX_PROXY_LOCATION, nginxConf, nginxUpstream } from '../lib/configs.js';
import { baseManifests, NAMESPACE, routeManifest, serviceManifest, yamlStream } from '../lib/manifests.js';
import { freePort } from '../lib/ports.js';
import { sleep, waitForPort } from '../lib/processes.js';
import { httpGet } from '../lib/http-get.js';
import { logTail, startWaygate } from '../lib/waygate.js';

/** Loopback address of the bench's HTTPS Gateway (the others use 127.0.9.1–4). */
export const TLS_GATEWAY_ADDRESS = '127.0.9.5';
/** Name in the certificate and the Host/SNI the load generators send. */
export const TLS_HOST = 'bench.test';

export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Writes a self-signed ECDSA P-256 certificate for TLS_HOST and 127.0.0.1/TLS_GATEWAY_ADDRESS. */
export function makeCertificate(dir: string): CertFiles {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${TLS_HOST}`,
    '-addext', `subjectAltName=DNS:${TLS_HOST},IP:127.0.0.1,IP:${TLS_GATEWAY_ADDRESS}`,
  ], { stdio: 'ignore', timeout: 20_000 });
  return { certFile, keyFile };
}

/** nginx as the TLS-terminating proxy: the http1 reference config plus `ssl http2`, TLS 1.3 only. */
export function nginxTlsConf(o: { listen: string; upstream: string; cert: CertFiles }): string {
  return nginxConf({
    http: ['http2_max_requests 1000000;', nginxUpstream(o.upstream)],
    server: [
      `listen ${o.listen} ssl http2 backlog=4096;`,
      `ssl_certificate ${o.cert.certFile};`,
      `ssl_certificate_key ${o.cert.keyFile};`,
      'ssl_protocols TLSv1.3;',
      'ssl_session_cache shared:SSL:1m;',
      ...NGINX_PROXY_LOCATION,
    ],
  });
}

/** Starts nginx with TLS on the proxy core. */
export async function startNginxTls(ctx: BenchContext, cert: CertFiles): Promise<Target> {
  const { port: bport } = await ctx.backend();
  const port = await freePort();
  const prefix = ctx.dir('nginx-tls');
  writeFileSync(join(prefix, 'nginx.conf'), nginxTlsConf({ listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${bport}`, cert }));
  const m = ctx.pm.start({
    name: 'nginx-tls',
    argv: [ctx.tools.paths['nginx']!, '-e', 'stderr', '-p', prefix, '-c', 'nginx.conf', '-g', 'daemon off;'],
    cpu: ctx.cpus.proxy,
    logFile: join(prefix, 'nginx.log'),
  });
  await waitForPort('127.0.0.1', port, 10_000, m);
  return { name: 'nginx', address: '127.0.0.1', port, host: `127.0.0.1:${port}`, pids: [m.pid] };
}

/** The HTTPS Gateway: one listener with the certificate, TLS 1.3 minimum. */
function tlsGatewayManifests(address: string, port: number, cert: CertFiles): string {
  const b64 = (f: string): string => readFileSync(f).toString('base64');
  const gateway = baseManifests({ address, port })
    .replace('  - name: http\n    protocol: HTTP\n', `  - name: https
    protocol: HTTPS
    tls:
      mode: Terminate
      certificateRefs:
      - name: bench-tls
      options:
        waygate.dev/min-version: "1.3"
`);
  return `${gateway}---
apiVersion: v1
kind: Secret
metadata:
  name: bench-tls
  namespace: ${NAMESPACE}
type: kubernetes.io/tls
data:
  tls.crt: ${b64(cert.certFile)}
  tls.key: ${b64(cert.keyFile)}
`;
}

/** One bounded HTTPS GET (certificate not verified): the status, or 0. */
function httpsStatus(address: string, port: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path: '/', servername: TLS_HOST, headers: { host: TLS_HOST }, rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Starts waygate with the HTTPS Gateway on the proxy core; ready once a request through it answers 200. */
export async function startWaygateTls(ctx: BenchContext, cert: CertFiles, timeoutMs = 30_000): Promise<Target> {
  const { port: bport } = await ctx.backend();
  const address = TLS_GATEWAY_ADDRESS;
  const dir = ctx.dir('waygate-tls', 'config');
  const port = await freePort(address);
  writeFileSync(join(dir, '00-base.yaml'), yamlStream([
    tlsGatewayManifests(address, port, cert),
    serviceManifest({ name: 'backend', addresses: ['127.0.0.1'], targetPort: bport }),
    routeManifest({ name: 'catch-all', hostname: null, pathPrefix: '/', service: 'backend' }),
  ]));
  const w = await startWaygate({
    pm: ctx.pm, repoRoot: ctx.repoRoot, dir, address, port, cpu: ctx.cpus.proxy,
    logFile: join(ctx.workDir, 'waygate-tls', 'waygate.log'), name: 'waygate-tls',
  });
  const end = Date.now() + timeoutMs;
  let exit: number | string | null = null;
  void w.managed.exited.then((c) => (exit = c));
  while (Date.now() < end) {
    if (exit !== null) throw new Error(`waygate exited (${exit}): ${logTail(w.logFile)}`);
    const ready = await httpGet({ address: '127.0.0.1', port: w.adminPort, path: '/readyz', timeoutMs: 1000 });
    if (ready.status === 200 && (await httpsStatus(address, port, 1000)) === 200) {
      return { name: 'waygate', address, port, host: `${address}:${port}`, pids: [w.managed.pid] };
    }
    await sleep(50);
  }
  await ctx.pm.stop(w.managed);
  throw new Error(`waygate (HTTPS) not serving after ${timeoutMs} ms; log: ${logTail(w.logFile)}`);
}
