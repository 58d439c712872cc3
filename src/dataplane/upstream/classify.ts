/**
 * Classification of upstream failures into `DataPlaneError` codes (connect errors are retryable,
 * timeouts become 504, anything else a protocol error).
 */
import { DataPlaneError, GW_ERR } from '../errors.js';

/** Errors that mean "the request never got an answer from the backend's application". */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_HTTP2_STREAM_CANCEL',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_INVALID_SESSION',
  'ERR_HTTP2_ERROR',
]);

/**
 * Maps an error of an attempt to a `DataPlaneError`. An abort keeps the `DataPlaneError` its
 * signal was aborted with (request deadline or client gone).
 */
export function classifyUpstreamError(err: unknown, signal: AbortSignal | null): DataPlaneError {
  if (signal !== null && signal.aborted && signal.reason instanceof DataPlaneError) return signal.reason;
  if (err instanceof DataPlaneError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new DataPlaneError(GW_ERR.UPSTREAM_TIMEOUT, 'backend did not answer in time', { cause: err });
  }
  if (typeof code === 'string' && CONNECT_CODES.has(code)) {
    return new DataPlaneError(GW_ERR.UPSTREAM_CONNECT, `backend connection failed (${code})`, { cause: err });
  }
  return new DataPlaneError(GW_ERR.UPSTREAM_PROTOCOL, `backend request failed (${String(code ?? (err as Error)?.message)})`, {
    cause: err,
  });
}
