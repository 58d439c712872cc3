/**
 * One attempt of a request to one endpoint over HTTP/2 (node:http2 session, h2c or TLS), with
 * every failure classified into a `DataPlaneError` code. HTTP/1.1 attempts: h1-exchange.ts.
 */
import http2 from 'node:http2';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import type * as ir from '../../ir/types.js';
import { DataPlaneError, GW_ERR } from '../errors.js';
import type { HeaderMap } from '../headers.js';
import { classifyUpstreamError } from './classify.js';
import type { UpstreamPools } from './pools.js';

/** A backend's answer; `body` must be consumed or destroyed. */
export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Readable;
  /**
   * HTTP/2 trailers (gRPC's grpc-status, grpc-message), set when they arrive — before `body`
   * ends; null until then and always for HTTP/1.1. Captured as soon as the response starts, as
   * the trailers may arrive in the same read as the headers.
   */
  trailers: Record<string, string | string[] | undefined> | null;
}

/** What one attempt sends. */
export interface AttemptRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: HeaderMap;
  /** null: no body; Buffer: replayable; Readable: streamed once. */
  readonly body: Buffer | Readable | null;
  readonly signal: AbortSignal | null;
  /** Time allowed until the response headers arrive (null: the pool default). */
  readonly timeoutMs: number | null;
  /** TLS to the backend (BackendTLSPolicy); null or absent: plaintext. */
  readonly tls?: ir.BackendTLS | null;
}

/** HTTP/2 forbids connection-specific headers; `host` becomes `:authority`. */
function toH2Headers(r: AttemptRequest): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = Object.create(null) as http2.OutgoingHttpHeaders;
  out[':method'] = r.method;
  out[':path'] = r.target;
  out[':scheme'] = r.tls ? 'https' : 'http';
  for (const name in r.headers) {
    if (name === 'host') out[':authority'] = r.headers[name] as string;
    else out[name] = r.headers[name];
  }
  return out;
}

/** Sends over the endpoint's shared h2c session (HTTP/2 with prior knowledge). */
export function sendH2c(pools: UpstreamPools, e: ir.Endpoint, r: AttemptRequest): Promise<UpstreamResponse> {
  return new Promise<UpstreamResponse>((resolve, reject) => {
    if (r.signal?.aborted === true) {
      reject(classifyUpstreamError(r.signal.reason, r.signal));
      return;
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = pools.session(e, r.tls ?? null).request(toH2Headers(r), { endStream: r.body === null, ...(r.signal ? { signal: r.signal } : {}) });
    } catch (err) {
      reject(classifyUpstreamError(err, r.signal));
      return;
    }
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      stream.setTimeout(0);
      reject(classifyUpstreamError(err, r.signal));
      stream.close(http2.constants.NGHTTP2_CANCEL);
    };
    stream.once('error', fail);
    stream.once('close', () => fail(Object.assign(new Error('stream closed before response'), { code: 'ERR_HTTP2_STREAM_CANCEL' })));
    if (r.timeoutMs !== null) {
      stream.setTimeout(r.timeoutMs, () => fail(new DataPlaneError(GW_ERR.UPSTREAM_TIMEOUT, 'backend did not answer in time')));
    }
    stream.once('response', (headers) => {
      if (settled) return;
      settled = true;
      stream.setTimeout(0);
      stream.removeListener('error', fail);
      // Later stream errors surface through the body's consumer (pipeline).
      const up: UpstreamResponse = { status: Number(headers[':status'] ?? 502), headers, body: stream, trailers: null };
      stream.once('trailers', (t) => {
        up.trailers = t;
      });
      resolve(up);
    });
    if (r.body instanceof Buffer) stream.end(r.body);
    else if (r.body !== null) pipeline(r.body, stream, () => undefined);
  });
}
