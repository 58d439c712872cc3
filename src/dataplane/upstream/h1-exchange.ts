/**
 * One HTTP/1.1 request to a backend through undici's `dispatch()` with a handler object: the
 * response's raw header buffers come in as they are parsed and body chunks go straight to the
 * client's response, with backpressure (a full client socket pauses undici's parser). Compared
 * with undici's `request()` this skips, per request, the promise, the parsed header object, the
 * body Readable and the AbortSignal listeners (profile of the http1 benchmark: ~20 % of the
 * proxy's user-space CPU for a small answer).
 *
 * The owner hears exactly one of `onHead` (status and raw headers are set; it must call
 * `stream(res)` or `discard()` before returning) or `onFail` (no answer, error classified).
 * After `stream(res)` it hears `onEnd` once, when the answer is complete or abandoned.
 *
 * Writes to an HTTP/1.1 client are coalesced and batched: the client socket stays corked from
 * the first body chunk, and the answer is ended (which flushes it) at the end of the event loop
 * iteration, together with every other answer completed in it (one shared `setImmediate`), or
 * earlier when {@link MAX_QUEUED} bytes wait. So a body that arrives in several reads (a 64 KiB
 * answer with its head is two reads of the backend socket) goes out in one `writev`, and the
 * answers of one iteration go out back to back, as undici already sends the requests. Why: a
 * write that wakes a sleeping peer is the most expensive thing the proxy does (perf, 3 B
 * benchmark: ~15 % of all samples in the wake-up inside the client `writev`); writes in a burst
 * find the peer awake. strace of the 64 KiB benchmark before: three client writes per answer
 * (one of them empty: undici reports zero-length body chunks) and a pause and resume of the
 * backend per answer; after: one `writev`.
 */
import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { DataPlaneError } from '../errors.js';
import type { HeaderMap } from '../headers.js';
import { classifyUpstreamError } from './classify.js';

/** What the owner of an exchange hears. */
export interface ExchangeOwner {
  /** Status and headers arrived: call `x.stream(res)` or `x.discard()` before returning. */
  onHead(x: Http1Exchange): void;
  /** The attempt got no answer (connect error, reset, timeout, cancel). */
  onFail(err: DataPlaneError): void;
  /** A streamed answer is complete (`null`) or was cut (the error). */
  onEnd(err: Error | null): void;
}

/** What an exchange sends. */
export interface ExchangeRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: HeaderMap;
  /** null: no body; Buffer: replayable; Readable: streamed once. */
  readonly body: Buffer | Readable | null;
  /** Time allowed until the response headers arrive (null: the pool default). */
  readonly headersTimeoutMs: number | null;
  /** TLS server name (BackendTLSPolicy hostname); null: plaintext or the default. */
  readonly servername: string | null;
}

const WAIT = 0;
const STREAM = 1;
const DISCARD = 2;
const DONE = 3;

const NO_HEADERS: Buffer[] = [];

/**
 * Bytes that may wait in the client's response (Node's buffer, corked or not) before the backend
 * is paused. Above the socket's 16 KiB high-water mark on purpose: one 64 KiB read plus the head
 * must not pause the backend socket (a pause costs a stop/start of its reads, two `epoll_ctl`s).
 * A slow client therefore holds at most this plus one read per answer in the proxy.
 */
export const MAX_QUEUED = 128 * 1024;

/** Exchanges holding a cork or an end for their client; flushed at the end of this loop iteration. */
let pending: Http1Exchange[] = [];

function flushPending(): void {
  const list = pending;
  pending = [];
  for (let i = 0; i < list.length; i++) {
    try {
      (list[i] as Http1Exchange).flush();
    } catch {
      // flush() handles the answer's own failure; a throwing owner must not strand the rest of the batch.
    }
  }
}

/** An owner that drops the answer (mirror copies). */
export const DISCARD_OWNER: ExchangeOwner = {
  onHead: (x) => x.discard(),
  onFail: () => undefined,
  onEnd: () => undefined,
};

/** One request/response on an undici dispatcher (a legacy-style handler: raw headers). */
export class Http1Exchange implements Dispatcher.DispatchHandler {
  /** Response status, once `onHead` was called. */
  status = 0;
  /** Response headers as undici parsed them: `[name, value, ...]` buffers. */
  rawHeaders: Buffer[] = NO_HEADERS;
  readonly #owner: ExchangeOwner;
  #state = WAIT;
  #abort: ((err?: Error) => void) | null = null;
  #resume: (() => void) | null = null;
  #reason: DataPlaneError | null = null;
  #res: ServerResponse | null = null;
  #drainHooked = false;
  /** The HTTP/1.1 client socket writes are batched on (null: HTTP/2 client, or none yet). */
  #socket: Socket | null = null;
  /** True while this exchange holds a cork on `#socket`. */
  #corked = false;
  /** The body is complete; `end()` waits for the flush. */
  #ending = false;
  /** In `pending`. */
  #listed = false;

  constructor(owner: ExchangeOwner) {
    this.#owner = owner;
  }

  /** Dispatches the request on `dispatcher` (a pool). Errors arrive through the owner. */
  send(dispatcher: Dispatcher, r: ExchangeRequest): void {
    const opts: Dispatcher.DispatchOptions = { method: r.method as 'GET', path: r.target, headers: r.headers, body: r.body };
    if (r.headersTimeoutMs !== null) opts.headersTimeout = r.headersTimeoutMs;
    // undici takes the SNI from the request (else from the Host header): the policy's hostname.
    if (r.servername !== null) (opts as { servername?: string }).servername = r.servername;
    dispatcher.dispatch(opts, this);
  }

  /** Streams the body into `res` (whose head the owner has written); `onEnd` follows. */
  stream(res: ServerResponse): void {
    this.#state = STREAM;
    this.#res = res;
    // HTTP/2 responses (compat API) share a session socket: never cork that. No socket yet: a
    // pipelined request's answer, buffered by Node until the ones before it are done.
    if (res instanceof ServerResponse && res.socket !== null) this.#socket = res.socket as Socket;
  }

  /**
   * Called once at the end of the loop iteration: ends a complete answer, or releases the cork.
   * A throw while ending one answer cuts that answer only (the owner hears it in `onEnd`); the
   * other answers of the batch are still flushed.
   */
  flush(): void {
    this.#listed = false;
    if (!this.#ending) {
      this.#uncork();
      return;
    }
    this.#ending = false;
    this.#corked = false; // end() uncorks the socket fully
    const res = this.#res as ServerResponse;
    let error: Error | null = null;
    try {
      res.end();
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
      res.destroy();
    }
    this.#owner.onEnd(error);
  }

  #enlist(): void {
    if (this.#listed) return;
    this.#listed = true;
    if (pending.push(this) === 1) setImmediate(flushPending);
  }

  #uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    (this.#socket as Socket).uncork();
  }

  /** Reads and drops the body (keeps the backend connection reusable). */
  discard(): void {
    this.#state = DISCARD;
  }

  /**
   * Stops the exchange with `reason`: before the answer the owner hears `onFail(reason)` at
   * once; while streaming the backend request is aborted and the owner hears `onEnd`.
   */
  cancel(reason: DataPlaneError): void {
    if (this.#state === DONE || this.#reason !== null) return;
    this.#reason = reason;
    const abort = this.#abort;
    if (abort !== null) {
      abort(reason); // undici answers with onError
      return;
    }
    // Still queued for a connection: answer now, abort when undici hands the request over.
    if (this.#state === WAIT) {
      this.#state = DONE;
      this.#owner.onFail(reason);
    }
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    if (this.#reason !== null) abort(this.#reason);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200 || this.#state !== WAIT) return true; // 1xx informational: not relayed
    this.status = statusCode;
    this.rawHeaders = rawHeaders;
    this.#resume = resume;
    this.#owner.onHead(this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#state !== STREAM || chunk.length === 0) return true;
    const res = this.#res as ServerResponse;
    if (this.#socket !== null && !this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      this.#enlist();
    }
    // Node's `write` answers false above the socket's 16 KiB mark; keep reading up to MAX_QUEUED.
    if (res.write(chunk) || res.writableLength <= MAX_QUEUED) return true;
    this.#uncork(); // what waits must flow, or 'drain' never comes
    if (!this.#drainHooked) {
      this.#drainHooked = true;
      res.on('drain', () => this.#resume?.());
    }
    return false; // undici pauses until resume()
  }

  onComplete(): void {
    const state = this.#state;
    this.#state = DONE;
    if (state !== STREAM) return;
    if (this.#socket !== null) {
      this.#ending = true;
      this.#enlist();
      return;
    }
    (this.#res as ServerResponse).end();
    this.#owner.onEnd(null);
  }

  onError(err: Error): void {
    const state = this.#state;
    this.#state = DONE;
    if (state === WAIT) this.#owner.onFail(classifyUpstreamError(this.#reason ?? err, null));
    else if (state === STREAM) {
      this.#uncork();
      const res = this.#res as ServerResponse;
      if (!res.writableEnded) res.destroy();
      this.#owner.onEnd(this.#reason ?? err);
    }
  }
}
