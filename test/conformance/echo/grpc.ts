/**
 * The echo image's gRPC mode (GRPC_ECHO_SERVER), rebuilt with grpc-js after
 * /work/shared/conformance/README.md: service `GrpcEcho` of grpcecho.proto (a copy of the
 * conformance images' file, Apache-2.0, LICENSE.grpcecho) where `Echo` and `EchoTwo` answer
 * with the call's assertions — the fully qualified method, the request metadata, the
 * `:authority`, the pod context and TLS facts — and `EchoThree` is intentionally unimplemented.
 *
 * Ports: plaintext gRPC (h2c) on HTTP_PORT (default 3000); gRPC over TLS on HTTPS_PORT
 * (default 8443) when TLS_SERVER_CERT and TLS_SERVER_PRIVKEY (or TLS_SERVER_PRIV_KEY) are set.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { EchoPodSpec } from './echo.js';

/** The proto, next to this file. */
export const GRPC_ECHO_PROTO = join(dirname(fileURLToPath(import.meta.url)), 'grpcecho.proto');
/** The service's full name. */
export const GRPC_ECHO_SERVICE = 'gateway_api_conformance.echo_basic.grpcecho.GrpcEcho';

/** EchoResponse as proto-loader gives it (keepCase). */
export interface GrpcEchoResponse {
  assertions?: {
    fully_qualified_method?: string;
    headers?: Array<{ key: string; value: string }>;
    authority?: string;
    context?: { namespace?: string; ingress?: string; service_name?: string; pod?: string };
    tls_assertions?: { version?: string; negotiated_protocol?: string; server_name?: string; cipher_suite?: string; peer_certificates?: string[] };
  };
}

/** The loaded GrpcEcho service definition (client constructor with `.service`). */
export function loadGrpcEcho(): grpc.ServiceClientConstructor {
  const def = protoLoader.loadSync(GRPC_ECHO_PROTO, { keepCase: true, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    gateway_api_conformance: { echo_basic: { grpcecho: { GrpcEcho: grpc.ServiceClientConstructor } } };
  };
  return pkg.gateway_api_conformance.echo_basic.grpcecho.GrpcEcho;
}

/** A running gRPC echo. */
export interface GrpcEcho {
  readonly ports: { grpc: number; tls?: number };
  close(): Promise<void>;
}

function assertionsOf(call: grpc.ServerUnaryCall<unknown, unknown>, method: string, spec: EchoPodSpec, tls: boolean): GrpcEchoResponse {
  const env = spec.env;
  const headers: Array<{ key: string; value: string }> = [];
  for (const [key, value] of Object.entries(call.metadata.getMap())) {
    headers.push({ key, value: Buffer.isBuffer(value) ? value.toString('base64') : String(value) });
  }
  const auth = call.getAuthContext() as { sslPeerCertificate?: { raw?: Buffer } };
  return {
    assertions: {
      fully_qualified_method: `/${GRPC_ECHO_SERVICE}/${method}`,
      headers,
      authority: call.getHost(),
      context: {
        namespace: env['NAMESPACE'] ?? spec.namespace,
        ingress: env['INGRESS_NAME'] ?? '',
        service_name: env['SERVICE_NAME'] ?? '',
        pod: env['POD_NAME'] ?? spec.name,
      },
      ...(tls
        ? {
            tls_assertions: {
              version: '',
              negotiated_protocol: 'h2',
              server_name: '',
              cipher_suite: '',
              peer_certificates: auth.sslPeerCertificate?.raw ? [auth.sslPeerCertificate.raw.toString('base64')] : [],
            },
          }
        : {}),
    },
  };
}

function bind(server: grpc.Server, ip: string, port: number, creds: grpc.ServerCredentials): Promise<number> {
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return new Promise((resolve, reject) => server.bindAsync(`${host}:${port}`, creds, (err, p) => (err ? reject(err) : resolve(p))));
}

/** Starts the gRPC echo of one pod on its IP. */
export async function startGrpcEcho(spec: EchoPodSpec, log: (line: string) => void): Promise<GrpcEcho> {
  const env = spec.env;
  const Service = loadGrpcEcho();
  const servers: grpc.Server[] = [];
  const make = (tls: boolean): grpc.Server => {
    const server = new grpc.Server();
    const handler =
      (method: string) =>
      (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<GrpcEchoResponse>): void => {
        log(`Received over ${tls ? 'TLS' : 'plaintext'}: /${GRPC_ECHO_SERVICE}/${method}`);
        cb(null, { ...assertionsOf(call, method, spec, tls) });
      };
    // EchoThree is left out on purpose: grpc-js answers UNIMPLEMENTED, as the image does.
    server.addService(Service.service, { Echo: handler('Echo'), EchoTwo: handler('EchoTwo') });
    servers.push(server);
    return server;
  };
  const ports: { grpc: number; tls?: number } = { grpc: 0 };
  try {
    ports.grpc = await bind(make(false), spec.ip, Number(env['HTTP_PORT'] || '3000'), grpc.ServerCredentials.createInsecure());
    const certFile = env['TLS_SERVER_CERT'];
    const keyFile = env['TLS_SERVER_PRIVKEY'] || env['TLS_SERVER_PRIV_KEY'];
    if (certFile && keyFile) {
      const creds = grpc.ServerCredentials.createSsl(null, [{ cert_chain: readFileSync(certFile), private_key: readFileSync(keyFile) }], false);
      ports.tls = await bind(make(true), spec.ip, Number(env['HTTPS_PORT'] || '8443'), creds);
    }
  } catch (err) {
    for (const s of servers) s.forceShutdown();
    throw err;
  }
  return {
    ports,
    close: async () => {
      // Graceful first; the gateway's idle HTTP/2 sessions would hold it open, so bounded.
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              const t = setTimeout(() => {
                s.forceShutdown();
                resolve();
              }, 1000);
              s.tryShutdown(() => {
                clearTimeout(t);
                resolve();
              });
            }),
        ),
      );
    },
  };
}
