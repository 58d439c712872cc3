/**
 * Relaying an HTTP/2 backend's answer to an HTTP/2 client with its trailers: what gRPC needs
 * (grpc-status and grpc-message travel in trailers), streamed in both directions with
 * backpressure (`pipe` pauses the backend stream while the client's window is full, and HTTP/2
 * flow control does the rest), never buffered.
 *
 * - Trailers-Only answers (the backend put grpc-status in its only HEADERS frame): relayed as
 *   one HEADERS frame with END_STREAM (writeGrpcReply), or clients would not see the status.
 * - Otherwise headers first, then DATA as it comes, then the backend's trailers.
 * - The backend stream failing after the answer started: a gRPC call ends with an UNAVAILABLE
 *   (or, after its deadline, DEADLINE_EXCEEDED) status in the trailers rather than a reset, so
 *   the client sees why; other responses are reset.
 */
import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '../errors.js';
import { GW_ERR } from '../errors.js';
import { type HeaderMap } from '../headers.js';
import type { UpstreamResponse } from '../upstream/attempt.js';
import { endWithGrpcStatus, writeGrpcReply } from './status.js';

/** True when the client side of `res` is HTTP/2 (it can carry trailers). */
export function isHttp2Response(res: ServerResponse): boolean {
  const s = (res as unknown as { stream?: { respond?: unknown } }).stream;
  return s !== undefined && s !== null && typeof s.respond === 'function';
}

/** Trailers safe to relay: no pseudo-headers, no connection-specific fields. */
function relayableTrailers(t: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in t) {
    const v = t[name];
    if (v === undefined || name.charCodeAt(0) === 58 /* ':' */) continue;
    const lower = name.toLowerCase();
    if (lower === 'connection' || lower === 'transfer-encoding' || lower === 'content-length') continue;
    out[lower] = v;
  }
  return out;
}

/** What the relay needs to know about the call. */
export interface RelayOptions {
  /** The request is a gRPC call: failures mid-stream end with a gRPC status. */
  readonly grpc: boolean;
  /** Why the call was aborted, when it was (deadline, client gone). */
  readonly abortReason: () => ErrorCode | null;
}

/**
 * Streams `up` to `res` with `headers` (already filtered and decorated) and the trailers.
 * Calls `done` exactly once, when the answer is complete or abandoned.
 */
export function relayHttp2(up: UpstreamResponse, res: ServerResponse, headers: HeaderMap, opts: RelayOptions, done: () => void): void {
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    done();
  };
  if (headers['grpc-status'] !== undefined) {
    // Trailers-Only from the backend.
    writeGrpcReply(res, headers);
    up.body.on('error', () => undefined);
    up.body.resume();
    finish();
    return;
  }
  res.writeHead(up.status, headers);
  const body = up.body;
  const onEnd = (): void => {
    if (!res.writableEnded && !res.destroyed) {
      if (up.trailers !== null) res.addTrailers(relayableTrailers(up.trailers));
      res.end();
    }
    cleanup();
    finish();
  };
  const onError = (): void => {
    body.unpipe(res);
    if (!res.writableEnded && !res.destroyed) {
      if (opts.grpc) {
        const reason = opts.abortReason();
        if (reason === GW_ERR.CLIENT_ABORTED) res.destroy();
        else endWithGrpcStatus(res, reason === GW_ERR.UPSTREAM_TIMEOUT ? 504 : 502, reason ?? GW_ERR.UPSTREAM_PROTOCOL);
      } else res.destroy();
    }
    cleanup();
    finish();
  };
  const onClientClose = (): void => {
    // The client went away (or the answer is complete): stop reading from the backend.
    if (!body.readableEnded) body.destroy();
    cleanup();
    finish();
  };
  const cleanup = (): void => {
    body.removeListener('end', onEnd);
    body.removeListener('error', onError);
    body.removeListener('close', onPrematureClose);
    res.removeListener('close', onClientClose);
  };
  // A stream reset by the backend may close without 'error' (RST_STREAM NO_ERROR): treat a
  // close before 'end' as a failure.
  const onPrematureClose = (): void => {
    if (!body.readableEnded) onError();
  };
  body.once('end', onEnd);
  body.once('error', onError);
  body.once('close', onPrematureClose);
  res.once('close', onClientClose);
  body.pipe(res, { end: false });
}
