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
import { DataPlaneError, GW_ERR, type ErrorCode } from '../errors.js';
import { endWithGrpcStatus } from '../grpc/status.js';
import { isHttp2Response, relayHttp2 } from '../grpc/relay.js';
import { sendMirrors } from '../filters/mirror.js';
import { rawResponseHeaders, responseHeadersFromRaw, responseHeadersFromUpstream } from '../headers.js';
import { decorateResponse, type ForwardPlan } from '../plan.js';
import { sendH2c, type UpstreamResponse } from './attempt.js';
import { nextEndpoint } from './balancer.js';
import { planBody, streamedBody, type BodyPlan } from './body.js';
import { Http1Exchange, type ExchangeOwner } from './h1-exchange.js';
import { pipeBody } from './pipe-body.js';
import type { UpstreamPools } from './pools.js';
import { replyError } from './reply.js';

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

const kForwarder = Symbol('forwarder');

/** The client's response closed: before it finished, the client went away. */
function onResponseClose(this: ServerResponse & { [kForwarder]?: Forwarder }): void {
  const f = this[kForwarder];
  if (f !== undefined && !this.writableFinished) f.cancel(new DataPlaneError(GW_ERR.CLIENT_ABORTED, 'client went away'));
}

/**
 * One forwarded request, as a small state machine (one object per request, no promise on the
 * HTTP/1.1 path): body plan → attempt → (retry after backoff) → stream the answer. `reason` is
 * set once the request is cancelled: client gone or request deadline.
 */
class Forwarder implements ExchangeOwner {
  readonly #ctx: ForwardContext;
  readonly #plan: ForwardPlan;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  #body: BodyPlan | null = null;
  #attempt = 0;
  #finished = false;
  #reason: DataPlaneError | null = null;
  #deadline: NodeJS.Timeout | null = null;
  #attemptTimer: NodeJS.Timeout | null = null;
  #backoffTimer: NodeJS.Timeout | null = null;
  #exchange: Http1Exchange | null = null;
  /** HTTP/2 attempts take an AbortSignal; made on the first one. */
  #h2Abort: AbortController | null = null;

  constructor(ctx: ForwardContext, plan: ForwardPlan, req: IncomingMessage, res: ServerResponse) {
    this.#ctx = ctx;
    this.#plan = plan;
    this.#req = req;
    this.#res = res;
  }

  start(): void {
    try {
      this.#start();
    } catch (e) {
      this.#fail(asDataPlaneError(e));
    }
  }

  #start(): void {
    const plan = this.#plan;
    const res = this.#res as ServerResponse & { [kForwarder]?: Forwarder };
    res[kForwarder] = this;
    res.on('close', onResponseClose);
    // A gRPC call's grpc-timeout is its deadline too: the shorter one wins.
    const requestMs = minTimeout(plan.rule.timeouts.requestMs, plan.grpcTimeoutMs);
    if (requestMs !== null && requestMs > 0) this.#deadline = setTimeout(() => this.#onDeadline(), requestMs);
    if (plan.rule.retry === null && plan.mirrors.length === 0) {
      this.#body = streamedBody(this.#req);
      this.#startAttempt();
      return;
    }
    planBody(this.#req, true).then(
      (b) => {
        this.#body = b;
        if (plan.mirrors.length > 0) {
          const buffered = b.body instanceof Buffer ? b.body : null;
          sendMirrors(this.#ctx.pools, plan.mirrors, plan.method, plan.target, plan.headers, buffered, b.body !== null && buffered === null);
        }
        this.#startAttempt();
      },
      (e: unknown) => this.#fail(asDataPlaneError(e)),
    );
  }

  /** Cancels the request (client gone, deadline): stops the attempt, backoff or stream. */
  cancel(reason: DataPlaneError): void {
    if (this.#finished || this.#reason !== null) return;
    this.#reason = reason;
    this.#h2Abort?.abort(reason);
    if (this.#backoffTimer !== null) {
      clearTimeout(this.#backoffTimer);
      this.#backoffTimer = null;
      this.#fail(reason);
      return;
    }
    this.#exchange?.cancel(reason);
  }

  #onDeadline(): void {
    this.#deadline = null;
    const reason = new DataPlaneError(GW_ERR.UPSTREAM_TIMEOUT, 'request timeout');
    // Headers already sent: the answer cannot become a 504 any more; cut it (a gRPC call on
    // HTTP/2 ends with DEADLINE_EXCEEDED in its trailers instead).
    const res = this.#res;
    const plan = this.#plan;
    if (res.headersSent && !this.#finished && (plan.grpc || plan.grpcTimeoutMs !== null) && isHttp2Response(res)) {
      endWithGrpcStatus(res, 504, GW_ERR.UPSTREAM_TIMEOUT);
    }
    this.cancel(reason);
    if (res.headersSent && !this.#finished && !res.writableEnded) res.destroy();
  }

  #startAttempt(): void {
    this.#backoffTimer = null;
    if (this.#reason !== null) return this.#fail(this.#reason);
    const plan = this.#plan;
    const backend = plan.backend;
    const body = (this.#body as BodyPlan).body;
    const timeoutMs = plan.rule.timeouts.backendRequestMs;
    const e = nextEndpoint(backend);
    if (backend.protocol === 'h2c' || backend.protocol === 'h2') {
      // Per-attempt deadline on its own timer: it covers the time until the response headers arrive.
      const ac = (this.#h2Abort ??= new AbortController());
      let signal = ac.signal;
      if (timeoutMs !== null && timeoutMs > 0) {
        const attemptAc = new AbortController();
        this.#attemptTimer = setTimeout(() => attemptAc.abort(new DataPlaneError(GW_ERR.UPSTREAM_TIMEOUT, 'backend request timeout')), timeoutMs);
        signal = AbortSignal.any([signal, attemptAc.signal]);
      }
      const r = { method: plan.method, target: plan.target, headers: plan.headers, body, signal, timeoutMs: null, tls: backend.tls };
      sendH2c(this.#ctx.pools, e, r)
        .then(
          (up) => this.#onH2Head(up),
          (err: unknown) => this.onFail(err as DataPlaneError),
        )
        // A throw while relaying the head (e.g. writing it to a client that went away) must end
        // this request only, never surface as an unhandled rejection.
        .catch((e: unknown) => this.#fail(asDataPlaneError(e)));
      return;
    }
    const x = new Http1Exchange(this);
    this.#exchange = x;
    if (timeoutMs !== null && timeoutMs > 0) {
      this.#attemptTimer = setTimeout(() => x.cancel(new DataPlaneError(GW_ERR.UPSTREAM_TIMEOUT, 'backend request timeout')), timeoutMs);
    }
    const tls = backend.tls;
    x.send(this.#ctx.pools.pool(e, tls), {
      method: plan.method,
      target: plan.target,
      headers: plan.headers,
      body,
      headersTimeoutMs: null,
      servername: tls === null ? null : tls.serverName,
    });
  }

  #clearAttemptTimer(): void {
    if (this.#attemptTimer !== null) {
      clearTimeout(this.#attemptTimer);
      this.#attemptTimer = null;
    }
  }

  /** True when this status is retried (the answer is dropped and the request sent again). */
  #retriesStatus(status: number): boolean {
    const retry = this.#plan.rule.retry;
    return retry !== null && this.#attempt < retry.attempts && (this.#body as BodyPlan).replayable && retry.codes.includes(status);
  }

  #retryLater(): void {
    const retry = this.#plan.rule.retry;
    const ms = retry === null ? 0 : backoff(retry.backoffMs, this.#attempt, this.#ctx.random);
    this.#attempt++;
    this.#backoffTimer = setTimeout(() => this.#startAttempt(), ms);
  }

  onHead(x: Http1Exchange): void {
    this.#clearAttemptTimer();
    this.#exchange = x;
    if (this.#retriesStatus(x.status)) {
      x.discard(); // drained so the connection can be reused
      this.#exchange = null;
      this.#retryLater();
      return;
    }
    const plan = this.#plan;
    const res = this.#res;
    const rule = plan.rule;
    if (rule.responseHeaders === null && plan.backend.responseHeaders === null && rule.cors === null && !isHttp2Response(res)) {
      res.writeHead(x.status, rawResponseHeaders(x.rawHeaders));
    } else {
      const headers = responseHeadersFromRaw(x.rawHeaders);
      decorateResponse(headers, rule, plan.backend, plan.origin);
      res.writeHead(x.status, headers);
    }
    x.stream(res);
  }

  onFail(err: DataPlaneError): void {
    this.#clearAttemptTimer();
    this.#exchange = null;
    if (this.#reason !== null) return this.#fail(this.#reason);
    const retry = this.#plan.rule.retry;
    const retryable = err.code === GW_ERR.UPSTREAM_CONNECT || err.code === GW_ERR.UPSTREAM_TIMEOUT;
    if (retry !== null && retryable && this.#attempt < retry.attempts && (this.#body as BodyPlan).replayable) {
      this.#ctx.log('debug', 'retrying after backend error', {
        rule: this.#plan.rule.name,
        backend: this.#plan.backend.name,
        code: err.code,
        attempt: this.#attempt + 1,
      });
      this.#retryLater();
      return;
    }
    if (retry !== null && this.#attempt > 0 && err.code === GW_ERR.UPSTREAM_CONNECT) {
      return this.#fail(new DataPlaneError(GW_ERR.UPSTREAM_EXHAUSTED, 'retries exhausted', { cause: err }));
    }
    this.#fail(err);
  }

  onEnd(err: Error | null): void {
    if (err !== null) {
      const code = err instanceof DataPlaneError ? err.code : (err as { code?: string }).code;
      if (code !== GW_ERR.CLIENT_ABORTED && code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        this.#ctx.log('debug', 'response stream ended early', { rule: this.#plan.rule.name, backend: this.#plan.backend.name, code });
      }
    }
    this.#finish();
  }

  #onH2Head(up: UpstreamResponse): void {
    this.#clearAttemptTimer();
    if (this.#retriesStatus(up.status)) {
      up.body.on('error', () => undefined);
      up.body.resume(); // drain so the stream is released
      this.#retryLater();
      return;
    }
    const plan = this.#plan;
    const res = this.#res;
    const headers = responseHeadersFromUpstream(up.headers);
    decorateResponse(headers, plan.rule, plan.backend, plan.origin);
    if (isHttp2Response(res)) {
      // HTTP/2 end to end: trailers relayed (gRPC), Trailers-Only kept (grpc/relay.ts).
      const abortReason = (): ErrorCode | null => this.#reason?.code ?? null;
      relayHttp2(up, res, headers, { grpc: plan.grpc || plan.grpcTimeoutMs !== null, abortReason }, () => this.#finish());
      return;
    }
    res.writeHead(up.status, headers);
    pipeBody(up.body, res, (err) => this.onEnd(err));
  }

  #fail(err: DataPlaneError): void {
    if (this.#finished) return;
    this.#finish();
    if (err.code === GW_ERR.CLIENT_ABORTED || this.#reason?.code === GW_ERR.CLIENT_ABORTED) return;
    const plan = this.#plan;
    this.#ctx.log(err.code === GW_ERR.INTERNAL ? 'error' : 'debug', 'request failed', {
      rule: plan.rule.name,
      backend: plan.backend.name,
      code: err.code,
      status: err.status,
    });
    replyError(this.#res, plan, err);
  }

  #finish(): void {
    this.#finished = true;
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    this.#clearAttemptTimer();
    if (this.#backoffTimer !== null) clearTimeout(this.#backoffTimer);
    this.#deadline = null;
    this.#backoffTimer = null;
    this.#exchange = null;
  }
}

/**
 * Runs the forward plan to completion. Never throws: every failure becomes an answer to the
 * client (or a destroyed connection once the answer has started).
 */
export function forwardRequest(ctx: ForwardContext, plan: ForwardPlan, req: IncomingMessage, res: ServerResponse): void {
  new Forwarder(ctx, plan, req, res).start();
}

/** An unexpected throw as an internal `DataPlaneError` (a `DataPlaneError` stays as it is). */
function asDataPlaneError(e: unknown): DataPlaneError {
  return e instanceof DataPlaneError ? e : new DataPlaneError(GW_ERR.INTERNAL, String(e), { cause: e });
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
