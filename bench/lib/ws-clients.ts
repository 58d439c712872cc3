/**
 * WebSocket clients for the churn scenario: N connections held open through the proxy for the
 * whole run, each sending a numbered message every `intervalMs` and checking that the echo
 * backend (ws-echo.ts) returns it. Counted: every close or error the client did not initiate,
 * every echo missing after `echoTimeoutMs` (or lost with its connection), every wrong echo, and
 * at the end whether each connection closes cleanly (close frame 1000 answered) when asked.
 * A connection the peer closed is reopened (and counted) so later drops are counted too.
 */
import WebSocket from 'ws';
import { percentile } from './stats.js';

/** Counters shared by the trackers of all connections of one client set. */
export interface EchoCounts {
  sent: number;
  echoed: number;
  /** Not echoed within the timeout, or outstanding when the connection was lost. */
  missed: number;
  /** Echoes that arrived after they had been counted missed. */
  late: number;
  /** Frames that match no message sent on the connection. */
  wrong: number;
  /** Echo round-trip times (ms) of the echoed messages. */
  readonly rttMs: number[];
}

export function newEchoCounts(): EchoCounts {
  return { sent: 0, echoed: 0, missed: 0, late: 0, wrong: 0, rttMs: [] };
}

/**
 * The messages of one connection awaiting their echo, in order. Pure (time is passed in), so
 * the accounting is unit-tested without sockets.
 */
export class EchoTracker {
  readonly #outstanding: { payload: string; at: number }[] = [];
  readonly #expired = new Set<string>();
  #seq = 0;

  constructor(readonly id: string, readonly counts: EchoCounts) {}

  /** The payload to send next (registered as outstanding). */
  next(now: number): string {
    const payload = `${this.id}:${this.#seq++}`;
    this.#outstanding.push({ payload, at: now });
    this.counts.sent++;
    return payload;
  }

  /** An echo arrived; messages sent before it and still unanswered are counted missed. */
  receive(payload: string, now: number): void {
    const i = this.#outstanding.findIndex((m) => m.payload === payload);
    if (i < 0) {
      if (this.#expired.delete(payload)) this.counts.late++;
      else this.counts.wrong++;
      return;
    }
    for (const m of this.#outstanding.splice(0, i)) this.#miss(m.payload);
    this.counts.echoed++;
    this.counts.rttMs.push(now - this.#outstanding.shift()!.at);
  }

  /** Counts messages unanswered for longer than `timeoutMs` as missed. */
  expire(now: number, timeoutMs: number): void {
    while (this.#outstanding.length > 0 && now - this.#outstanding[0]!.at > timeoutMs) this.#miss(this.#outstanding.shift()!.payload);
  }

  /** The connection is gone: everything outstanding is missed (their echoes cannot come). */
  abandon(): void {
    for (const m of this.#outstanding.splice(0)) this.counts.missed++;
  }

  get outstanding(): number {
    return this.#outstanding.length;
  }

  #miss(payload: string): void {
    this.counts.missed++;
    this.#expired.add(payload);
  }
}

export interface WsClientOptions {
  /** ws:// or wss:// URL of the proxy. */
  readonly url: string;
  /** Host header (and SNI for wss). */
  readonly host: string;
  readonly connections: number;
  readonly intervalMs: number;
  readonly echoTimeoutMs: number;
  /** wss: PEM of the CA the proxy's certificate must chain to. */
  readonly ca?: string;
  /** Prefix of the message payloads (tells client sets apart in a shared backend's log). */
  readonly tag: string;
}

export interface WsCounts {
  readonly connections: number;
  /** Successful opens (connections + reopens after a drop). */
  readonly opened: number;
  readonly sent: number;
  readonly echoed: number;
  readonly missed: number;
  readonly late: number;
  readonly wrong: number;
  /** Closes the client did not ask for (peer close frame or connection lost). */
  readonly closedByPeer: number;
  /** Close codes of those closes. */
  readonly closeCodes: Record<string, number>;
  /** Errors by code, or the start of the message when there is none (a refused upgrade: `Unexpected server response: 404`). */
  readonly errors: Record<string, number>;
  /** Connections that, asked to close at the end, completed the close handshake with 1000. */
  readonly cleanCloses: number;
  /** Connections that did not (timeout, other code, or not open at the end). */
  readonly uncleanCloses: number;
  readonly rttP50Ms: number | null;
  readonly rttP99Ms: number | null;
  readonly rttMaxMs: number | null;
}

interface Client {
  ws: WebSocket | null;
  tracker: EchoTracker;
  closingByUs: boolean;
  timer: NodeJS.Timeout | null;
}

/** A set of WebSocket connections held open until stop(). */
export class WsClients {
  readonly #counts = newEchoCounts();
  readonly #clients: Client[] = [];
  readonly #closeCodes: Record<string, number> = {};
  readonly #errors: Record<string, number> = {};
  #opened = 0;
  #closedByPeer = 0;
  #running = false;

  constructor(readonly o: WsClientOptions) {}

  /** Opens every connection; resolves once each opened or failed (failures are counted). */
  async start(): Promise<this> {
    this.#running = true;
    const opens: Promise<void>[] = [];
    for (let i = 0; i < this.o.connections; i++) {
      const c: Client = { ws: null, tracker: new EchoTracker(`${this.o.tag}${i}`, this.#counts), closingByUs: false, timer: null };
      this.#clients.push(c);
      opens.push(this.#open(c, (this.o.intervalMs * i) / this.o.connections));
    }
    await Promise.all(opens);
    return this;
  }

  #count(map: Record<string, number>, key: string): void {
    map[key] = (map[key] ?? 0) + 1;
  }

  #open(c: Client, firstSendDelay: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const ws = new WebSocket(this.o.url, {
        headers: { host: this.o.host },
        perMessageDeflate: false,
        handshakeTimeout: 5000,
        ...(this.o.ca === undefined ? {} : { ca: this.o.ca, servername: this.o.host, rejectUnauthorized: true }),
      });
      c.ws = ws;
      c.closingByUs = false;
      let opened = false;
      ws.on('open', () => {
        opened = true;
        this.#opened++;
        const send = (): void => {
          if (!this.#running || ws.readyState !== WebSocket.OPEN) return;
          const now = performance.now();
          c.tracker.expire(now, this.o.echoTimeoutMs);
          ws.send(c.tracker.next(now));
        };
        c.timer = setTimeout(() => {
          send();
          c.timer = setInterval(send, this.o.intervalMs);
        }, firstSendDelay);
        resolve();
      });
      ws.on('message', (data: WebSocket.RawData) => c.tracker.receive(data.toString(), performance.now()));
      ws.on('error', (e: NodeJS.ErrnoException) => this.#count(this.#errors, e.code ?? e.message.slice(0, 40)));
      ws.on('close', (code: number) => {
        if (c.timer !== null) { clearTimeout(c.timer); clearInterval(c.timer); c.timer = null; }
        resolve();
        if (c.ws !== ws || c.closingByUs) return;
        c.ws = null;
        if (opened) {
          // Not asked for by us: the proxy (or the path through it) closed or lost the connection.
          this.#closedByPeer++;
          this.#count(this.#closeCodes, String(code));
          c.tracker.abandon();
        }
        if (this.#running) setTimeout(() => void this.#open(c, this.o.intervalMs), 100);
      });
    });
  }

  /**
   * Stops sending, waits up to echoTimeoutMs for the last echoes, then closes every connection
   * with 1000 and waits (up to 2 s) for the close handshake. Resolves with the counts.
   */
  async stop(): Promise<WsCounts> {
    this.#running = false;
    for (const c of this.#clients) if (c.timer !== null) { clearTimeout(c.timer); clearInterval(c.timer); c.timer = null; }
    const until = performance.now() + this.o.echoTimeoutMs;
    while (performance.now() < until && this.#clients.some((c) => c.tracker.outstanding > 0)) await new Promise((r) => setTimeout(r, 10));
    const now = performance.now();
    for (const c of this.#clients) c.tracker.expire(now, -1);
    let clean = 0;
    let unclean = 0;
    await Promise.all(this.#clients.map((c) => new Promise<void>((resolve) => {
      const ws = c.ws;
      if (ws === null || ws.readyState !== WebSocket.OPEN) {
        unclean++;
        if (ws !== null) { c.closingByUs = true; ws.terminate(); }
        resolve();
        return;
      }
      c.closingByUs = true;
      const timer = setTimeout(() => { unclean++; ws.terminate(); resolve(); }, 2000);
      ws.once('close', (code: number) => {
        clearTimeout(timer);
        if (code === 1000) clean++;
        else unclean++;
        resolve();
      });
      ws.close(1000, 'done');
    })));
    const rtt = this.#counts.rttMs;
    const r = (x: number | null): number | null => (x === null ? null : Math.round(x * 100) / 100);
    return {
      connections: this.o.connections,
      opened: this.#opened,
      sent: this.#counts.sent,
      echoed: this.#counts.echoed,
      missed: this.#counts.missed,
      late: this.#counts.late,
      wrong: this.#counts.wrong,
      closedByPeer: this.#closedByPeer,
      closeCodes: this.#closeCodes,
      errors: this.#errors,
      cleanCloses: clean,
      uncleanCloses: unclean,
      rttP50Ms: r(percentile(rtt, 50)),
      rttP99Ms: r(percentile(rtt, 99)),
      rttMaxMs: r(rtt.length === 0 ? null : Math.max(...rtt)),
    };
  }
}
