/**
 * gRPC probes of the conformance runner (`protocol: gRPC` requests), after the upstream suite's
 * gRPC helper (conformance/utils/grpc): one unary call of `fullMethod` on the GrpcEcho service
 * over h2c to the gateway, with the case's metadata and `:authority`, then the comparison the
 * upstream helper makes — the gRPC code; for OK also the fully qualified method the backend
 * saw, the backend's namespace and its pod-name prefix. `failure: grpc-non-OK` wants any code
 * but OK. (Response metadata declared by some cases is not asserted upstream either:
 * `unassertedResponseHeaders`.)
 */
import * as grpc from '@grpc/grpc-js';
import type { Captured } from './expect.js';
import { loadGrpcEcho, type GrpcEchoResponse } from './echo/grpc.js';
import type { RequestCase } from './types.js';

/** What a gRPC probe needs from the runner. */
export interface GrpcProbeContext {
  /** The gateway address and port for this case. */
  resolve(): Promise<{ address: string; port: number }>;
  timeoutMs: number;
}

/** gRPC status names as the expectations spell them (`grpcCode`). */
export const GRPC_CODE_NAMES: Record<string, number> = {
  OK: 0,
  Canceled: 1,
  Cancelled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
};

/** The outcome of one call. */
export interface GrpcResult {
  code: number;
  details: string;
  response?: GrpcEchoResponse;
  /** Response metadata (headers), lower-case names. */
  headers: Record<string, string[]>;
}

let Service: grpc.ServiceClientConstructor | undefined;

/** Sends one unary call of `fullMethod` (`/<service>/<method>`). */
export function sendGrpc(target: { address: string; port: number }, fullMethod: string, metadata: Record<string, string>, authority: string, timeoutMs: number): Promise<GrpcResult> {
  Service ??= loadGrpcEcho();
  const host = target.address.includes(':') ? `[${target.address}]` : target.address;
  const client = new grpc.Client(`${host}:${target.port}`, grpc.credentials.createInsecure(), authority ? { 'grpc.default_authority': authority } : {});
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k.toLowerCase(), v);
  const method = Object.values(Service.service).find((d) => d.path === fullMethod);
  const serialize = method ? method.requestSerialize : () => Buffer.alloc(0);
  const deserialize = method ? (b: Buffer) => method.responseDeserialize(b) as GrpcEchoResponse : () => ({}) as GrpcEchoResponse;
  return new Promise((resolve) => {
    const headers: Record<string, string[]> = {};
    const call = client.makeUnaryRequest(fullMethod, serialize, deserialize, {}, md, { deadline: Date.now() + timeoutMs }, (err, res) => {
      client.close();
      const result: GrpcResult = { code: err ? err.code : 0, details: err ? err.details : '', headers };
      if (res) result.response = res;
      resolve(result);
    });
    call.on('metadata', (m: grpc.Metadata) => {
      for (const [k, v] of Object.entries(m.getMap())) (headers[k.toLowerCase()] ??= []).push(Buffer.isBuffer(v) ? v.toString('base64') : String(v));
    });
  });
}

/** Compares a call's outcome with the case's expectation; null when it holds. */
export function compareGrpc(rc: RequestCase, got: GrpcResult): string | null {
  const expect = rc.expect;
  const r = rc.request as { fullMethod?: string };
  if (expect.failure === 'grpc-non-OK') return got.code !== 0 ? null : 'expected a non-OK gRPC status, got OK';
  const wantName = (expect['grpcCode'] as string | undefined) ?? 'OK';
  const want = GRPC_CODE_NAMES[wantName];
  if (want === undefined) return `unknown grpcCode ${wantName}`;
  if (got.code !== want) return `expected gRPC ${wantName} (${want}), got ${got.code}${got.details ? ` (${got.details})` : ''}`;
  if (want !== 0) return null;
  const a = got.response?.assertions;
  if (r.fullMethod && a?.fully_qualified_method !== r.fullMethod) return `expected the backend to see ${r.fullMethod}, got ${JSON.stringify(a?.fully_qualified_method ?? '')}`;
  const ns = a?.context?.namespace ?? '';
  // Upstream's weight test expects only OK (no namespace, no backend).
  if (expect.namespace !== undefined && expect.namespace !== ns) return `expected namespace ${JSON.stringify(expect.namespace ?? '')}, got ${JSON.stringify(ns)}`;
  const pod = a?.context?.pod ?? '';
  if (expect.backend && !pod.startsWith(expect.backend)) return `expected pod name to start with ${expect.backend}, got ${JSON.stringify(pod)}`;
  return null;
}

/**
 * Runs one gRPC case once. The captured result carries the backend's pod and namespace as an
 * echo body, so the runner's weighted-distribution counting works unchanged.
 */
export async function probeGrpc(rc: RequestCase, ctx: GrpcProbeContext): Promise<{ error: string | null; captured?: Captured }> {
  let t: { address: string; port: number };
  try {
    t = await ctx.resolve();
  } catch (err) {
    return { error: (err as Error).message };
  }
  const r = rc.request as { fullMethod?: string; metadata?: Record<string, string>; authority?: string; jitter?: boolean };
  const fullMethod = r.fullMethod ?? '/';
  const metadata = { ...(r.metadata ?? {}) };
  // Upstream's weight test sends half of the calls with a random x-jitter value.
  if (r.jitter && Math.random() < 0.5) metadata['x-jitter'] = String(Math.floor(Math.random() * 10000));
  const got = await sendGrpc(t, fullMethod, metadata, r.authority ?? '', ctx.timeoutMs);
  const error = compareGrpc(rc, got);
  const ctxt = got.response?.assertions?.context;
  const captured: Captured = { status: got.code === 0 ? 200 : 0, headers: got.headers, body: '' };
  if (ctxt?.pod) {
    captured.echo = {
      path: fullMethod, host: got.response?.assertions?.authority ?? '', method: 'POST', proto: 'HTTP/2.0', headers: {},
      namespace: ctxt.namespace ?? '', ingress: ctxt.ingress ?? '', service: ctxt.service_name ?? '', pod: ctxt.pod, httpPort: '', sni: '',
    };
  }
  const where = `gRPC ${fullMethod} to ${t.address}:${t.port}${r.authority ? ` (authority ${r.authority})` : ''}`;
  return { error: error === null ? null : `${where}: ${error}`, captured };
}
