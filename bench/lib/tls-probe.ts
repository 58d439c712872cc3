/**
 * New TLS connections on a schedule, for the churn scenario's certificate rotation: keep-alive
 * load never handshakes again, so this prober opens one connection at a time (every
 * `intervalMs`), verifies the server against the test CA with SNI, records which certificate
 * the handshake got (common name, wall-clock times) and sends one `Connection: close` GET.
 * Runs in the harness process, which writes the rotations, so both share one clock.
 */
import { connect } from 'node:tls';
import { ResponseParser } from './http-response-parser.js';
import { certificateName } from './loadgen.js';
import type { Handshake } from './rotation-check.js';

export interface ProbeOptions {
  readonly address: string;
  readonly port: number;
  /** SNI, and the Host header of the request. */
  readonly servername: string;
  readonly path: string;
  /** PEM of the CA the certificate must chain to. */
  readonly ca: string;
  readonly intervalMs: number;
  /** A probe not answered after this long counts as a timeout. */
  readonly timeoutMs: number;
}

export interface ProbeCounts {
  readonly probes: number;
  /** Responses by status code. */
  readonly statuses: Record<string, number>;
  readonly non2xx: number;
  /** Failed probes by error code (handshake errors included, `timeout`, `no-response`). */
  readonly errors: Record<string, number>;
}

/** Probes until stop(); `handshakes` lists every completed handshake in order. */
export class HandshakeProbe {
  readonly handshakes: Handshake[] = [];
  readonly #statuses: Record<string, number> = {};
  readonly #errors: Record<string, number> = {};
  #probes = 0;
  #non2xx = 0;
  #running = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  constructor(readonly o: ProbeOptions) {}

  start(): this {
    this.#running = true;
    this.#loop = this.#run();
    return this;
  }

  /** Stops after the probe in flight and resolves with the counts. */
  async stop(): Promise<ProbeCounts> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    return { probes: this.#probes, statuses: this.#statuses, non2xx: this.#non2xx, errors: this.#errors };
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const next = Date.now() + this.o.intervalMs;
      await this.#probe();
      const wait = next - Date.now();
      if (wait > 0 && this.#running) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          this.#wake = () => { clearTimeout(t); resolve(); };
        });
        this.#wake = null;
      }
    }
  }

  async #probe(): Promise<void> {
    this.#probes++;
    const r = await probeOnce(this.o);
    if (r.handshake !== null) this.handshakes.push(r.handshake);
    if (r.status !== null) {
      this.#statuses[r.status] = (this.#statuses[r.status] ?? 0) + 1;
      if (r.status < 200 || r.status > 299) this.#non2xx++;
    }
    if (r.error !== null) this.#errors[r.error] = (this.#errors[r.error] ?? 0) + 1;
  }
}

/** What one probe saw: the handshake (null if it failed), the status and the error (or null). */
export interface ProbeResult {
  readonly handshake: Handshake | null;
  readonly status: number | null;
  readonly error: string | null;
}

/** One new TLS connection, one `Connection: close` GET; never rejects, bounded by `timeoutMs`. */
export function probeOnce(o: Omit<ProbeOptions, 'intervalMs'>): Promise<ProbeResult> {
  const start = Date.now();
  let handshake: Handshake | null = null;
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    const parser = new ResponseParser();
    const s = connect({
      host: o.address, port: o.port, servername: o.servername, ca: o.ca,
      rejectUnauthorized: true, ALPNProtocols: ['http/1.1'],
    });
    const settle = (status: number | null, error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ handshake, status, error });
    };
    const timer = setTimeout(() => settle(null, 'timeout'), o.timeoutMs);
    s.once('secureConnect', () => {
      handshake = { start, end: Date.now(), cn: certificateName(s) };
      s.write(`GET ${o.path} HTTP/1.1\r\nHost: ${o.servername}\r\nUser-Agent: waygate-bench\r\nConnection: close\r\n\r\n`);
    });
    s.on('data', (d: Buffer) => {
      try {
        const rs = parser.push(d);
        if (rs[0] !== undefined) settle(rs[0].status, null);
      } catch {
        settle(null, 'parse');
      }
    });
    s.on('end', () => {
      const r = parser.end();
      settle(r?.status ?? null, r === null ? 'no-response' : null);
    });
    s.on('error', (e: NodeJS.ErrnoException) => settle(null, e.code ?? 'error'));
    s.on('close', () => settle(null, 'no-response'));
  });
}
