/**
 * gRPC answers made by the gateway itself, and how gateway errors map to gRPC status codes.
 *
 * gRPC over HTTP/2 (PROTOCOL-HTTP2.md): a call that fails before any message is answered
 * "Trailers-Only": one HEADERS frame with `:status 200`, `content-type: application/grpc`,
 * `grpc-status` and `grpc-message`, with END_STREAM set. Clients read the status from that
 * frame only when END_STREAM is on it, so the answer must not be split into headers and an
 * empty body.
 *
 * Spec: unmatched gRPC traffic → `Unimplemented` (gateway_types.go, GRPCRoute); invalid or
 * missing backends → `UNAVAILABLE` (GRPCRouteRule.BackendRefs); a deadline that expires →
 * DEADLINE_EXCEEDED.
 */
import type { ServerResponse } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import { GW_ERR, type ErrorCode } from '../errors.js';
import type { HeaderMap } from '../headers.js';

/** The gRPC status codes the gateway produces. */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/**
 * True for a gRPC request's content type: `application/grpc`, `application/grpc+proto`,
 * `application/grpc;…`. gRPC-Web (`application/grpc-web…`) is a different wire format and is
 * plain HTTP to the gateway.
 */
export function isGrpcContentType(contentType: string | null): boolean {
  if (contentType === null || contentType.length < 16) return false;
  if (contentType.slice(0, 16).toLowerCase() !== 'application/grpc') return false;
  if (contentType.length === 16) return true;
  const c = contentType.charCodeAt(16);
  return c === 43 /* + */ || c === 59 /* ; */ || c === 32 /* space */;
}

/** The gRPC status for an answer the gateway makes in place of an HTTP status. */
export function grpcStatusFor(httpStatus: number, code: ErrorCode | null): number {
  if (code === GW_ERR.NO_ROUTE || httpStatus === 404) return GRPC_STATUS.UNIMPLEMENTED;
  if (code === GW_ERR.UPSTREAM_TIMEOUT || httpStatus === 504 || httpStatus === 408) return GRPC_STATUS.DEADLINE_EXCEEDED;
  if (code === GW_ERR.INTERNAL) return GRPC_STATUS.INTERNAL;
  // Invalid backend (500), no endpoints (503), connect failure (502), retries exhausted, a
  // backend protocol error: the service is not available through this gateway.
  return GRPC_STATUS.UNAVAILABLE;
}

/** Short messages for the statuses the gateway makes up. */
function messageFor(grpcStatus: number, code: ErrorCode | null): string {
  switch (grpcStatus) {
    case GRPC_STATUS.UNIMPLEMENTED:
      return 'no route for this method';
    case GRPC_STATUS.DEADLINE_EXCEEDED:
      return 'deadline exceeded';
    case GRPC_STATUS.INTERNAL:
      return 'internal error';
    default:
      return code === GW_ERR.NO_ENDPOINTS ? 'no healthy upstream' : code === GW_ERR.INVALID_BACKEND ? 'backend not available' : 'upstream unavailable';
  }
}

/**
 * grpc-message is percent-encoded: "Percent-Encoded: any byte outside %x20-%x7E (and `%`
 * itself) as %XX". Only ASCII is ever produced here, but encode defensively.
 */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  const bytes = Buffer.from(message, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Turns an answer the gateway was about to give (status, code, response headers from the
 * rule's filters) into a gRPC Trailers-Only answer: HTTP 200 with the gRPC status in the
 * headers. The result is recognised by `isGrpcReply` and written by `writeGrpcReply`.
 */
export function toGrpcReplyHeaders(httpStatus: number, code: ErrorCode | null, headers: HeaderMap): HeaderMap {
  const grpcStatus = grpcStatusFor(httpStatus, code);
  delete headers['content-length'];
  headers['content-type'] = 'application/grpc';
  headers['grpc-status'] = String(grpcStatus);
  headers['grpc-message'] = encodeGrpcMessage(messageFor(grpcStatus, code));
  return headers;
}

/** True when a reply's headers carry a gRPC status (a Trailers-Only answer). */
export function isGrpcReply(status: number, headers: HeaderMap): boolean {
  return status === 200 && headers['grpc-status'] !== undefined;
}

/** The HTTP/2 stream behind a compatibility-API response, when there is one. */
function h2Stream(res: ServerResponse): ServerHttp2Stream | null {
  const s = (res as unknown as { stream?: ServerHttp2Stream }).stream;
  return s !== undefined && s !== null && typeof s.respond === 'function' ? s : null;
}

/** The `grpc-*` status fields of a header map: they belong in trailers. */
const STATUS_FIELDS = ['grpc-status', 'grpc-message', 'grpc-status-details-bin'];

/**
 * Writes a Trailers-Only answer: on HTTP/2 one HEADERS frame with END_STREAM; where that is
 * not possible (headers already sent, not an HTTP/2 response), the status goes in trailers
 * after whatever was sent.
 */
export function writeGrpcReply(res: ServerResponse, headers: HeaderMap): void {
  if (res.destroyed || res.writableEnded) return;
  const stream = h2Stream(res);
  if (!res.headersSent && stream !== null && !stream.headersSent && !stream.destroyed) {
    const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
    for (const name in headers) out[name] = headers[name] as string | string[];
    out[':status'] = '200';
    try {
      stream.respond(out, { endStream: true });
      return;
    } catch {
      // fall through to the compatibility API
    }
  }
  const trailers: Record<string, string> = {};
  if (!res.headersSent) {
    const head: Record<string, string | string[]> = {};
    for (const name in headers) {
      if (STATUS_FIELDS.includes(name)) trailers[name] = String(headers[name]);
      else head[name] = headers[name] as string | string[];
    }
    res.writeHead(200, head);
  } else {
    for (const f of STATUS_FIELDS) if (headers[f] !== undefined) trailers[f] = String(headers[f]);
  }
  res.addTrailers(trailers);
  res.end();
}

/** Ends a call whose response has started with a gateway-made status in the trailers. */
export function endWithGrpcStatus(res: ServerResponse, httpStatus: number, code: ErrorCode | null): void {
  const headers = toGrpcReplyHeaders(httpStatus, code, Object.create(null) as HeaderMap);
  writeGrpcReply(res, headers);
}
