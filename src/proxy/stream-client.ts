/**
 * The config stream, proxy side: connects to the controller's stream server, hands every
 * config it receives to `onConfig`, and reconnects with exponential backoff (jittered, up to
 * `maxBackoffMs`) whenever the stream ends or fails. The caller keeps serving its last config
 * meanwhile. On reconnect the server sends the current config first, so nothing is missed.
 * Configs arrive as deltas (stream-server.ts, src/ir/delta.ts): unchanged servers, rules,
 * virtual hosts and matches are the objects received before, so the data plane recompiles
 * only what changed. A line that refers to something this connection never received is a
 * protocol error: the connection is dropped and the next one starts over.
 *
 * Configs apply one at a time, in order, and a config that is still waiting when a newer one
 * arrives is skipped: every line is decoded (the delta state moves on), but a proxy that fell
 * behind (its core busy, a collection) applies only the latest, not each step on the way.
 *
 * Limits (defaults in STREAM_CLIENT_DEFAULTS, flags in `waygate proxy --help`):
 * - `connectTimeoutMs`: connection, TLS handshake and the response head must complete in time;
 * - `idleTimeoutMs`: the stream may not stay silent longer (the server's heartbeat is 15 s);
 * - `maxLineBytes`: one NDJSON line (one config) may not be longer; a longer one aborts the
 *   connection as soon as it passes the bound, without buffering the rest.
 */
import http from 'node:http';
import https from 'node:https';
import { IrDecoder, type EncodedServers } from '../ir/delta.js';
import type * as ir from '../ir/types.js';
import { IR_VERSION } from '../ir/types.js';
import { backoffMs } from '../runtime/backoff.js';
import { CoalescedRuns } from '../runtime/coalesced-runs.js';
import { LineSplitter, LineTooLongError } from './ndjson-lines.js';

/** Defaults of the limits in StreamClientOptions. */
export const STREAM_CLIENT_DEFAULTS = {
  connectTimeoutMs: 10_000,
  /** Three server heartbeats. */
  idleTimeoutMs: 45_000,
  /** A 10k-route config line is about 6 MB: ten times that, with room. */
  maxLineBytes: 64 * 1024 * 1024,
} as const;

export interface StreamClientOptions {
  /** Base URL of the controller's stream server. */
  readonly url: string;
  readonly gateway: string;
  readonly token: string;
  /** CA certificate (PEM) the server's certificate must chain to (https only). */
  readonly caPem?: string;
  readonly onConfig: (config: ir.Config, version: number) => void | Promise<void>;
  readonly onState?: (state: 'connected' | 'disconnected', detail?: string) => void;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Time for the connection, TLS handshake and response head. */
  readonly connectTimeoutMs?: number;
  /** Longest silence allowed on an established stream. */
  readonly idleTimeoutMs?: number;
  /** Longest NDJSON line (one config message) accepted, in bytes. */
  readonly maxLineBytes?: number;
}

/** See the module comment. */
export class ConfigStreamClient {
  readonly #o: StreamClientOptions;
  #stopped = false;
  #failures = 0;
  #req: http.ClientRequest | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** The latest decoded config not handed to `onConfig` yet. */
  #waiting: { readonly config: ir.Config; readonly version: number } | null = null;
  /** Applies the waiting config, one at a time; a config decoded meanwhile makes one more run. */
  readonly #applies = new CoalescedRuns(async () => {
    const next = this.#waiting;
    this.#waiting = null;
    if (next === null) return;
    try {
      await this.#o.onConfig(next.config, next.version);
    } catch {
      // onConfig reports its own failures; the last good config keeps serving
    }
  });

  constructor(options: StreamClientOptions) {
    this.#o = options;
  }

  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    this.#waiting = null; // a config still waiting for the apply in flight is not applied after stop
    if (this.#timer) clearTimeout(this.#timer);
    this.#req?.destroy();
  }

  #retry(detail: string): void {
    this.#req = null;
    if (this.#stopped) return;
    this.#o.onState?.('disconnected', detail);
    const ms = backoffMs(this.#failures++, this.#o.initialBackoffMs ?? 500, this.#o.maxBackoffMs ?? 10_000, true);
    this.#timer = setTimeout(() => this.#connect(), ms);
  }

  #connect(): void {
    if (this.#stopped) return;
    const url = new URL(`/v2/config?gateway=${encodeURIComponent(this.#o.gateway)}`, this.#o.url);
    const mod = url.protocol === 'https:' ? https : http;
    const d = STREAM_CLIENT_DEFAULTS;
    const connectMs = this.#o.connectTimeoutMs ?? d.connectTimeoutMs;
    const idleMs = this.#o.idleTimeoutMs ?? d.idleTimeoutMs;
    const maxLine = this.#o.maxLineBytes ?? d.maxLineBytes;
    let done = false;
    // A controller that accepts the connection but never answers must not hang the proxy.
    const connectTimer = setTimeout(() => req.destroy(new Error(`no answer from the controller within ${connectMs} ms`)), connectMs);
    const finish = (detail: string): void => {
      clearTimeout(connectTimer);
      if (done) return;
      done = true;
      this.#retry(detail);
    };
    const req = mod.get(url, { headers: { authorization: `Bearer ${this.#o.token}` }, ...(this.#o.caPem ? { ca: this.#o.caPem } : {}) }, (res) => {
      clearTimeout(connectTimer);
      res.on('error', (err) => finish(err.message));
      if (res.statusCode !== 200) {
        res.resume();
        finish(`HTTP ${res.statusCode}`);
        return;
      }
      this.#o.onState?.('connected');
      res.socket.setTimeout(idleMs, () => req.destroy(new Error(`stream idle for ${idleMs} ms (no heartbeat)`)));
      const received = new IrDecoder();
      const lines = new LineSplitter(maxLine, (line) => this.#line(line, received));
      res.on('data', (chunk: Buffer) => {
        if (done) return;
        try {
          lines.push(chunk);
        } catch (err) {
          const detail = err instanceof LineTooLongError
            ? `config stream line longer than ${maxLine} bytes (--stream-max-line): connection dropped`
            : `bad config stream line: ${err instanceof Error ? err.message : String(err)}; connection dropped`;
          finish(detail);
          req.destroy();
        }
      });
      res.on('close', () => finish('stream ended'));
    });
    req.on('error', (err) => finish(err.message));
    req.on('close', () => clearTimeout(connectTimer));
    this.#req = req;
  }

  /**
   * One NDJSON line: a config message, or a `{}` heartbeat (ignored). Throws (the connection is
   * dropped) on a message this connection cannot resolve.
   */
  #line(line: string, received: IrDecoder): void {
    if (line.trim() === '' || line === '{}') return;
    let msg: { version?: number; names?: string[]; changed?: EncodedServers };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    if (!Array.isArray(msg.names) || msg.changed === undefined) return;
    const decoded = received.decodeConfig(msg.names, msg.changed);
    decoded.commit();
    const config: ir.Config = { version: IR_VERSION, servers: decoded.servers };
    this.#failures = 0;
    const version = msg.version ?? 0;
    this.#waiting = { config, version };
    // From a microtask: the other lines of the same read are decoded first, so only the last applies.
    queueMicrotask(() => void this.#applies.request());
  }
}
