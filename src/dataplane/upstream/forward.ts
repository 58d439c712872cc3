/**
 * Forwards a planned request: body plan, mirrors, attempts with per-attempt and whole-request
 * timeouts, retries with backoff, then streams the answer back with backpressure.
 *
 * Spec (HTTPRouteRetry): "Attempts specifies the maximum number of times an individual request
 * from the gateway to a backend should be retried." ... "Backoff specifies the minimum duration
 * a Gateway should wait between retry attempts" ... "the entire duration of the retry sequence
 * ... MUST be bounded by timeouts.request: once it expires, the gateway returns a timeout
 * error". Implementations SHOULD also retry connection errors (reset, refused, timeout) when a
 * retry stanza exists. After exhausting attempts, the last response or error is returned; when
 * that is a connection error we answer 503 (conformance HTTPRouteRetryConnectionError accepts
 * 500 or 503), without a retry stanza a connection error is a 502.
 * Spec (HTTPRouteTimeouts.Request): "the gateway MUST return a timeout error" → 504.
 * Spec (HTTPRouteTimeouts.BackendRequest): per attempt; 504 on expiry (or retried).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DataPlaneError, GW_ERR, statusText, type ErrorCode } from '../errors.js';
import { endWithGrpcStatus, isGrpcReply, toGrpcReplyHeaders, writeGrpcReply } from '../grpc/status.js';
import { isHttp2Response, relayHttp2 } from '../grpc/relay.js';
import { sendMirrors } from '../filters/mirror.js';
import { emptyHeaders, responseHeadersFromUpstream, type HeaderMap } from '../headers.js';
import { decorateResponse, type ForwardPlan } from '../plan.js';
import { sendAttempt, type UpstreamResponse } from './attempt.js';
import { nextEndpoint } from './balancer.js';
import { pipeBody } from './pipe-body.js';
import { planBody } from './body.js';
import type { UpstreamPools } from './pools.js';

/** Log sink shape shared with the data plane options. */
export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** What forwarding needs besides the request. */
export interface ForwardContext {
  readonly pools: UpstreamPools;
  readonly log: LogFn;
  readonly random: () => number;
}

/** Upper bound of one backoff wait. */
const MAX_BACKOFF_MS = 10_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

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

function replyError(res: ServerResponse, plan: ForwardPlan, err: DataPlaneError): void {
  const headers = emptyHeaders();
  decorateResponse(headers, plan.rule, plan.backend, plan.origin);
  if (plan.grpc) {
    writeGrpcReply(res, toGrpcReplyHeaders(err.status, err.code, headers));
    return;
  }
  writeReply(res, err.status, headers, `${statusText(err.status)}\n`);
}

function streamResponse(
  ctx: ForwardContext,
  plan: ForwardPlan,
  up: UpstreamResponse,
  res: ServerResponse,
  signal: AbortSignal,
  done: () => void,
): void {
  const headers = responseHeadersFromUpstream(up.headers);
  decorateResponse(headers, plan.rule, plan.backend, plan.origin);
  if ((plan.backend.protocol === 'h2c' || plan.backend.protocol === 'h2') && isHttp2Response(res)) {
    // HTTP/2 end to end: trailers relayed (gRPC), Trailers-Only kept (grpc/relay.ts).
    const abortReason = (): ErrorCode | null => (signal.aborted ? ((signal.reason as DataPlaneError).code ?? null) : null);
    relayHttp2(up, res, headers, { grpc: plan.grpc || plan.grpcTimeoutMs !== null, abortReason }, done);
    return;
  }
  res.writeHead(up.status, headers);
  pipeBody(up.body, res, (err) => {
    if (err && (err as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      ctx.log('debug', 'response stream ended early', { rule: plan.rule.name, backend: plan.backend.name, code: (err as { code?: string }).code });
    }
    done();
  });
}

/**
 * Runs the forward plan to completion. Never throws: every failure becomes an answer to the
 * client (or a destroyed connection once the answer has started).
 */
export async function forwardRequest(ctx: ForwardContext, plan: ForwardPlan, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rule = plan.rule;
  const retry = rule.retry;
  const ac = new AbortController();
  const signal = ac.signal;
  // A gRPC call's grpc-timeout is its deadline too: the shorter one wins.
  const requestMs = minTimeout(rule.timeouts.requestMs, plan.grpcTimeoutMs);
  let deadline: NodeJS.Timeout | null = null;
  let finished = false;
  const onClose = (): void => {
    if (!res.writableFinished) ac.abort(new DataPlaneError(GW_ERR.CLIENT_ABORTED, 'client went away'));
  };
  const cleanup = (): void => {
    finished = true;
    if (deadline !== null) clearTimeout(deadline);
    res.removeListener('close', onClose);
  };
  res.once('close', onClose);
  if (requestMs !== null && requestMs > 0) {
    deadline = setTimeout(() => {
      ac.abort(new DataPlaneError(GW_ERR.UPSTREAM_TIMEOUT, 'request timeout'));
      // Headers already sent: the answer cannot become a 504 any more; cut it (a gRPC call on
      // HTTP/2 ends with DEADLINE_EXCEEDED in its trailers instead).
      if (res.headersSent && !finished) {
        if ((plan.grpc || plan.grpcTimeoutMs !== null) && isHttp2Response(res)) endWithGrpcStatus(res, 504, GW_ERR.UPSTREAM_TIMEOUT);
        else res.destroy();
      }
    }, requestMs);
  }

  try {
    const bodyPlan = await planBody(req, retry !== null || plan.mirrors.length > 0);
    if (plan.mirrors.length > 0) {
      const buffered = bodyPlan.body instanceof Buffer ? bodyPlan.body : null;
      sendMirrors(ctx.pools, plan.mirrors, plan.method, plan.target, plan.headers, buffered, bodyPlan.body !== null && buffered === null);
    }
    const maxRetries = retry === null ? 0 : retry.attempts;
    const timeoutMs = rule.timeouts.backendRequestMs;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw signal.reason;
      let up: UpstreamResponse;
      // Per-attempt deadline on its own timer (undici's headersTimeout is coarse, ~0.5 s ticks):
      // it covers the time until the response headers arrive.
      let attemptSignal = signal;
      let attemptTimer: NodeJS.Timeout | null = null;
      if (timeoutMs !== null && timeoutMs > 0) {
        const attemptAc = new AbortController();
        attemptTimer = setTimeout(() => attemptAc.abort(new DataPlaneError(GW_ERR.UPSTREAM_TIMEOUT, 'backend request timeout')), timeoutMs);
        attemptSignal = AbortSignal.any([signal, attemptAc.signal]);
      }
      try {
        up = await sendAttempt(ctx.pools, plan.backend.protocol, nextEndpoint(plan.backend), {
          method: plan.method,
          target: plan.target,
          headers: plan.headers,
          body: bodyPlan.body,
          signal: attemptSignal,
          timeoutMs: null,
          tls: plan.backend.tls,
        });
      } catch (e) {
        if (attemptTimer !== null) clearTimeout(attemptTimer);
        const err = e as DataPlaneError;
        if (signal.aborted) throw signal.reason;
        const retryable = err.code === GW_ERR.UPSTREAM_CONNECT || err.code === GW_ERR.UPSTREAM_TIMEOUT;
        if (retry !== null && retryable && attempt < maxRetries && bodyPlan.replayable) {
          ctx.log('debug', 'retrying after backend error', { rule: rule.name, backend: plan.backend.name, code: err.code, attempt: attempt + 1 });
          await sleep(backoff(retry.backoffMs, attempt, ctx.random), signal);
          continue;
        }
        if (retry !== null && attempt > 0 && err.code === GW_ERR.UPSTREAM_CONNECT) {
          throw new DataPlaneError(GW_ERR.UPSTREAM_EXHAUSTED, 'retries exhausted', { cause: err });
        }
        throw err;
      }
      if (attemptTimer !== null) clearTimeout(attemptTimer);
      if (retry !== null && attempt < maxRetries && bodyPlan.replayable && retry.codes.includes(up.status)) {
        up.body.on('error', () => undefined);
        up.body.resume(); // drain so the connection can be reused
        await sleep(backoff(retry.backoffMs, attempt, ctx.random), signal);
        continue;
      }
      await new Promise<void>((resolve) => streamResponse(ctx, plan, up, res, signal, resolve));
      return;
    }
  } catch (e) {
    if (signal.aborted && (signal.reason as DataPlaneError).code === GW_ERR.CLIENT_ABORTED) return;
    const err = e instanceof DataPlaneError ? e : new DataPlaneError(GW_ERR.INTERNAL, String(e), { cause: e });
    if (err.code === GW_ERR.CLIENT_ABORTED) return;
    ctx.log(err.code === GW_ERR.INTERNAL ? 'error' : 'debug', 'request failed', {
      rule: rule.name,
      backend: plan.backend.name,
      code: err.code,
      status: err.status,
    });
    replyError(res, plan, err);
  } finally {
    cleanup();
  }
}

/** The shorter of two optional timeouts (null: none). */
function minTimeout(a: number | null, b: number | null): number | null {
  if (a === null || a <= 0) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/** Exponential backoff from the configured minimum, with up to 25 % jitter. */
function backoff(minMs: number, attempt: number, random: () => number): number {
  if (minMs <= 0) return 0;
  const base = Math.min(MAX_BACKOFF_MS, minMs * 2 ** attempt);
  return Math.round(base * (1 + 0.25 * random()));
}
