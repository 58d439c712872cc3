/**
 * Answers the gateway writes itself on the forwarding path: short plain-text replies, and error
 * answers (gRPC calls get Trailers-Only gRPC statuses instead, grpc/status.ts).
 */
import type { ServerResponse } from 'node:http';
import { statusText, type DataPlaneError } from '../errors.js';
import { isGrpcReply, toGrpcReplyHeaders, writeGrpcReply } from '../grpc/status.js';
import { emptyHeaders, type HeaderMap } from '../headers.js';
import { decorateResponse, type ForwardPlan } from '../plan.js';

/** Writes a short plain-text answer made by the gateway, unless the client is gone. */
export function writeReply(res: ServerResponse, status: number, headers: HeaderMap, body: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  // gRPC statuses made by the plan (grpc/status.ts) go out as Trailers-Only answers.
  if (isGrpcReply(status, headers)) {
    writeGrpcReply(res, headers);
    return;
  }
  if (body !== '') {
    headers['content-type'] ??= 'text/plain; charset=utf-8';
    headers['content-length'] = String(Buffer.byteLength(body));
  } else if (status !== 204 && status !== 304) {
    headers['content-length'] = '0';
  }
  res.writeHead(status, headers);
  res.end(body);
}

/** Answers a failed forward with the error's status (response filters applied). */
export function replyError(res: ServerResponse, plan: ForwardPlan, err: DataPlaneError): void {
  const headers = emptyHeaders();
  decorateResponse(headers, plan.rule, plan.backend, plan.origin);
  if (plan.grpc) {
    writeGrpcReply(res, toGrpcReplyHeaders(err.status, err.code, headers));
    return;
  }
  writeReply(res, err.status, headers, `${statusText(err.status)}\n`);
}
