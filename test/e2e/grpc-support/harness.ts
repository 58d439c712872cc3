/**
 * gRPC end-to-end harness: grpc-js backends (h2c) serving test.proto, and a gateway built the
 * real way — Gateway API YAML objects → translate() → IR → data plane on 127.0.0.1:0.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { KubeObject } from '../../../src/api/types.js';
import { translate } from '../../../src/controller/translate.js';
import { createDataPlane, type HttpDataPlane } from '../../../src/dataplane/index.js';
import { buildSnapshot } from '../../../src/source/snapshot.js';

const PROTO = join(dirname(fileURLToPath(import.meta.url)), 'test.proto');

/** The message of test.proto. */
export interface Msg {
  text?: string;
  blob?: Buffer;
  count?: number;
  delayMs?: number;
  seen?: string[];
  backend?: string;
}

type Ctor = new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => grpc.Client;

/** The loaded package: service constructors and definitions. */
export function loadProto(): { Echo: Ctor & { service: grpc.ServiceDefinition }; Other: Ctor & { service: grpc.ServiceDefinition } } {
  const def = protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { waygate: { test: Record<string, Ctor & { service: grpc.ServiceDefinition }> } };
  return { Echo: pkg.waygate.test['Echo']!, Other: pkg.waygate.test['Other']! };
}

function seenOf(md: grpc.Metadata): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(md.getMap())) out.push(`${k}=${Buffer.isBuffer(v) ? v.toString('base64') : v}`);
  return out.sort();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A grpc-js backend on 127.0.0.1:0 (h2c). Every answer names `name`. */
export async function startGrpcBackend(name: string): Promise<{ port: number; stop(): Promise<void> }> {
  const { Echo, Other } = loadProto();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  server.addService(Echo.service, {
    Unary: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      const md = new grpc.Metadata();
      md.set('x-backend', name);
      call.sendMetadata(md);
      const delay = call.request.delayMs ?? 0;
      const reply = (): void => {
        if (call.cancelled) return;
        const trailer = new grpc.Metadata();
        trailer.set('x-trailer', 'done');
        // grpc-js keeps grpc-timeout out of the metadata; the deadline it set is visible here.
        const deadline = call.getDeadline();
        const seen = seenOf(call.metadata);
        if (deadline instanceof Date || (typeof deadline === 'number' && Number.isFinite(deadline))) seen.push('deadline=set');
        cb(null, { text: call.request.text ?? '', blob: call.request.blob ?? Buffer.alloc(0), seen, backend: name }, trailer);
      };
      if (delay > 0) setTimeout(reply, delay);
      else reply();
    },
    ServerStream: (call: grpc.ServerWritableStream<Msg, Msg>) => {
      void (async () => {
        const n = call.request.count ?? 0;
        for (let i = 0; i < n && !call.cancelled; i++) {
          call.write({ text: `${call.request.text ?? ''}#${i}`, backend: name });
          if ((call.request.delayMs ?? 0) > 0) await sleep(call.request.delayMs ?? 0);
        }
        if (!call.cancelled) call.end();
      })();
    },
    Bidi: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
      call.on('data', (m: Msg) => call.write({ text: `echo:${m.text ?? ''}`, backend: name }));
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
    Fail: (_call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      cb({ code: grpc.status.FAILED_PRECONDITION, details: 'nope from ' + name });
    },
  });
  server.addService(Other.service, {
    Unary: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => cb(null, { text: `other:${call.request.text ?? ''}`, backend: name }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** A Service with one h2c port and an EndpointSlice pointing at `port` on 127.0.0.1. */
export function serviceObjects(name: string, port: number, appProtocol: string | null = 'kubernetes.io/h2c'): KubeObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'default' },
      spec: { ports: [{ name: 'grpc', port: 8080, ...(appProtocol === null ? {} : { appProtocol }) }] },
    } as KubeObject,
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'grpc', port }],
      endpoints: [{ addresses: ['127.0.0.1'] }],
    } as KubeObject,
  ];
}

/** Our GatewayClass and a Gateway with one HTTP listener (port 0: any free port). */
export function gatewayObjects(): KubeObject[] {
  return [
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'waygate' }, spec: { controllerName: 'waygate.dev/gateway-controller' } } as KubeObject,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } } as KubeObject,
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'default' },
      spec: { gatewayClassName: 'waygate', listeners: [{ name: 'http', port: 0, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } }] },
    } as KubeObject,
  ];
}

/** A running gateway: the data plane and the address clients dial. */
export interface Gateway {
  readonly dp: HttpDataPlane;
  readonly target: string;
  /** Route statuses by `Kind/ns/name`. */
  readonly statuses: Record<string, Record<string, unknown>>;
  close(): Promise<void>;
}

/** Translates the objects and serves the IR on 127.0.0.1 (throws when the IR has no server). */
export async function startGateway(objects: KubeObject[]): Promise<Gateway> {
  const result = translate(buildSnapshot(objects), {
    controllerName: 'waygate.dev/gateway-controller',
    now: '2026-01-01T00:00:00Z',
    addresses: { pool: ['127.0.0.1'], assigned: {}, isUsable: () => true },
  });
  if (result.ir.servers.length === 0) throw new Error('the IR has no server');
  const dp = createDataPlane({});
  const applied = await dp.apply(result.ir);
  if (applied.errors.length > 0) throw new Error(`bind failed: ${JSON.stringify(applied.errors)}`);
  const port = dp.stats().servers[0]?.boundPort;
  if (port == null) throw new Error('no bound port');
  const statuses: Record<string, Record<string, unknown>> = {};
  for (const s of result.statuses) statuses[`${s.kind}/${s.namespace ?? ''}/${s.name}`] = s.status;
  return { dp, target: `127.0.0.1:${port}`, statuses, close: () => dp.close(500) };
}

/** Promisified unary call. */
export function unary(
  client: grpc.Client,
  method: string,
  req: Msg,
  md: grpc.Metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<{ res?: Msg; err?: grpc.ServiceError; headers?: grpc.Metadata; trailers?: grpc.Metadata }> {
  return new Promise((resolve) => {
    let headers: grpc.Metadata | undefined;
    let trailers: grpc.Metadata | undefined;
    const fn = (client as unknown as Record<string, (...a: unknown[]) => grpc.ClientUnaryCall>)[method]!.bind(client);
    const call = fn(req, md, options, (err: grpc.ServiceError | null, res?: Msg) => {
      // The 'status' event (trailers) may come right after the callback.
      setImmediate(() => resolve({ ...(err ? { err } : {}), ...(res ? { res } : {}), ...(headers ? { headers } : {}), ...(trailers ? { trailers } : {}) }));
    });
    call.on('metadata', (m: grpc.Metadata) => (headers = m));
    call.on('status', (s: grpc.StatusObject) => (trailers = s.metadata));
  });
}
