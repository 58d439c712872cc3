/**
 * Error codes of the data plane. Callers branch on `code`, never on the message.
 *
 * The HTTP status a client sees for each request-level code is fixed here, so every answer the
 * gateway makes up itself is decided in one place.
 */

/** Every code the data plane produces. */
export const GW_ERR = {
  /** No listener, virtual host or route matched the request (404). */
  NO_ROUTE: 'GW_ERR_NO_ROUTE',
  /** The chosen backend cannot be used (unresolved, not permitted, bad kind) (500). */
  INVALID_BACKEND: 'GW_ERR_INVALID_BACKEND',
  /** The chosen backend has no ready endpoints (503). */
  NO_ENDPOINTS: 'GW_ERR_NO_ENDPOINTS',
  /** Connecting to the endpoint failed, or it reset the connection before answering (502). */
  UPSTREAM_CONNECT: 'GW_ERR_UPSTREAM_CONNECT',
  /** Retries were exhausted on connection failures (503, as Envoy-style gateways answer). */
  UPSTREAM_EXHAUSTED: 'GW_ERR_UPSTREAM_EXHAUSTED',
  /** The backend (per attempt) or the whole request took too long (504). */
  UPSTREAM_TIMEOUT: 'GW_ERR_UPSTREAM_TIMEOUT',
  /** Any other failure while talking to the backend (502). */
  UPSTREAM_PROTOCOL: 'GW_ERR_UPSTREAM_PROTOCOL',
  /** The client went away; nothing is answered. */
  CLIENT_ABORTED: 'GW_ERR_CLIENT_ABORTED',
  /** A bug of ours while handling one request (500 for that request only). */
  INTERNAL: 'GW_ERR_INTERNAL',
  /** The config could not be compiled (a regex did not compile, ...): nothing was swapped in. */
  INVALID_CONFIG: 'GW_ERR_INVALID_CONFIG',
  /** A server socket could not be bound. */
  BIND: 'GW_ERR_BIND',
  /** A server's protocol is not served by the HTTP data plane (HTTPS, TLS, TCP, UDP). */
  PROTOCOL_UNSUPPORTED: 'GW_ERR_PROTOCOL_UNSUPPORTED',
  /** The data plane has been closed. */
  CLOSED: 'GW_ERR_CLOSED',
} as const;

/** One of the `GW_ERR_*` strings. */
export type ErrorCode = (typeof GW_ERR)[keyof typeof GW_ERR];

/** An error with a stable code; `status` is the HTTP answer when it ends a request. */
export class DataPlaneError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DataPlaneError';
    this.code = code;
    this.status = options?.status ?? defaultStatus(code);
  }
}

/** The HTTP status for a code when the gateway answers the request itself. */
export function defaultStatus(code: ErrorCode): number {
  switch (code) {
    case GW_ERR.NO_ROUTE:
      return 404;
    case GW_ERR.NO_ENDPOINTS:
    case GW_ERR.UPSTREAM_EXHAUSTED:
      return 503;
    case GW_ERR.UPSTREAM_CONNECT:
    case GW_ERR.UPSTREAM_PROTOCOL:
      return 502;
    case GW_ERR.UPSTREAM_TIMEOUT:
      return 504;
    default:
      return 500;
  }
}

/** Short plain-text bodies for answers the gateway makes itself. */
export function statusText(status: number): string {
  switch (status) {
    case 400:
      return 'bad request';
    case 404:
      return 'no route';
    case 500:
      return 'internal error';
    case 502:
      return 'bad gateway';
    case 503:
      return 'service unavailable';
    case 504:
      return 'gateway timeout';
    default:
      return 'error';
  }
}
