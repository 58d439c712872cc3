/**
 * The config stream, proxy side: connects to the controller's stream server, hands every
 * config it receives to `onConfig`, and reconnects with exponential backoff (jittered, up to
 * `maxBackoffMs`) whenever the stream ends, fails, or stays silent longer than `idleTimeoutMs`
 * (the server sends heartbeats). The caller keeps serving its last config meanwhile.
 */
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type * as ir from '../ir/types.js';

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
  readonly idleTimeoutMs?: number;
}

/** See the module comment. */
export class ConfigStreamClient {
  readonly #o: StreamClientOptions;
  #stopped = false;
  #failures = 0;
  #req: http.ClientRequest | null = null;
  #timer: NodeJS.Timeout | null = null;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: StreamClientOptions) {
    this.#o = options;
  }

  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#req?.destroy();
  }

  #retry(detail: string): void {
    this.#req = null;
    if (this.#stopped) return;
    this.#o.onState?.('disconnected', detail);
    const base = this.#o.initialBackoffMs ?? 500;
    const ms = Math.min(this.#o.maxBackoffMs ?? 10_000, base * 2 ** Math.min(this.#failures++, 16));
    this.#timer = setTimeout(() => this.#connect(), Math.round(ms * (0.8 + Math.random() * 0.4)));
  }

  #connect(): void {
    if (this.#stopped) return;
    const url = new URL(`/v1/config?gateway=${encodeURIComponent(this.#o.gateway)}`, this.#o.url);
    const mod = url.protocol === 'https:' ? https : http;
    let done = false;
    const finish = (detail: string): void => {
      if (done) return;
      done = true;
      this.#retry(detail);
    };
    const req = mod.get(url, { headers: { authorization: `Bearer ${this.#o.token}` }, ...(this.#o.caPem ? { ca: this.#o.caPem } : {}) }, (res) => {
      res.on('error', (err) => finish(err.message));
      if (res.statusCode !== 200) {
        res.resume();
        finish(`HTTP ${res.statusCode}`);
        return;
      }
      this.#o.onState?.('connected');
      const idle = this.#o.idleTimeoutMs ?? 45_000;
      res.socket.setTimeout(idle, () => req.destroy(new Error('stream idle')));
      const lines = createInterface({ input: res });
      lines.on('error', (err: Error) => finish(err.message));
      lines.on('line', (line) => {
        if (line.trim() === '' || line === '{}') return;
        let msg: { version?: number; config?: ir.Config };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          return;
        }
        if (!msg.config) return;
        this.#failures = 0;
        const config = msg.config;
        const version = msg.version ?? 0;
        // Configs apply one at a time, in order.
        this.#chain = this.#chain.then(() => this.#o.onConfig(config, version)).catch(() => undefined);
      });
      res.on('close', () => finish('stream ended'));
    });
    req.on('error', (err) => finish(err.message));
    // A controller that accepts the connection but never answers must not hang the proxy: the
    // same inactivity bound applies before the response as after it (heartbeats keep it alive).
    req.setTimeout(this.#o.idleTimeoutMs ?? 45_000, () => req.destroy(new Error('no answer from the controller')));
    this.#req = req;
  }
}
