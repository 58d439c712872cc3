/**
 * Request bodies: streamed once by default, buffered only when small and needed more than once.
 *
 * Retries and mirrors need the body again. A body is buffered when its Content-Length is known
 * and at most `REPLAY_BODY_CAP` bytes (64 KiB) and the rule retries or mirrors; otherwise it is
 * streamed to the chosen backend with backpressure, the request is not retried once sent, and
 * mirrors get the method, target and headers without the body (Content-Length: 0).
 */
import type { IncomingMessage } from 'node:http';
import { firstHeader } from '../headers.js';

/** Largest body kept in memory for retries and mirrors. */
export const REPLAY_BODY_CAP = 64 * 1024;

/** How a request body travels upstream. */
export interface BodyPlan {
  /** null: no body; Buffer: replayable; the request stream itself: one shot. */
  readonly body: Buffer | IncomingMessage | null;
  readonly replayable: boolean;
}

const NO_BODY: BodyPlan = { body: null, replayable: true };

/** True when the request carries a body (Content-Length > 0 or Transfer-Encoding). */
export function hasBody(req: IncomingMessage): boolean {
  // HTTP/2 (compatibility API): a body follows unless the HEADERS frame ended the stream.
  const stream = (req as { stream?: { endAfterHeaders?: unknown } }).stream;
  if (stream !== undefined && typeof stream.endAfterHeaders === 'boolean') {
    const cl = req.headers['content-length'];
    return cl !== undefined ? cl !== '0' : !stream.endAfterHeaders;
  }
  // HTTP/1.1: from the raw list (reading `req.headers` would build the header object).
  const cl = firstHeader(req.rawHeaders, 'content-length');
  if (cl !== null) return cl !== '0';
  return firstHeader(req.rawHeaders, 'transfer-encoding') !== null;
}

function readAll(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.destroy(new Error('body larger than announced'));
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
    req.once('aborted', () => reject(new Error('client aborted')));
  });
}

/** The body plan when nothing needs the body twice: streamed once (no promise, no read). */
export function streamedBody(req: IncomingMessage): BodyPlan {
  return hasBody(req) ? { body: req, replayable: false } : NO_BODY;
}

/** Decides (and for small replayable bodies, reads) how the body is sent. */
export async function planBody(req: IncomingMessage, needReplay: boolean): Promise<BodyPlan> {
  if (!hasBody(req)) return NO_BODY;
  const cl = req.headers['content-length'];
  const length = cl === undefined ? -1 : Number(cl);
  if (needReplay && length >= 0 && length <= REPLAY_BODY_CAP) {
    return { body: await readAll(req, REPLAY_BODY_CAP), replayable: true };
  }
  return { body: req, replayable: false };
}
