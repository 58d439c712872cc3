/**
 * A small HTTP/1.1 keep-alive load generator on raw sockets, for what wrk cannot do here:
 * - fixed offered rate (wrk2 is not in Debian): each connection sends on a schedule and the
 *   latency is taken from the actual send (`latencyMs`, comparable to h2load --rps) and from the
 *   scheduled send (`correctedLatencyMs`, free of coordinated omission: includes queueing
 *   when the target falls behind);
 * - correctness under change: every non-2xx, every error and every keep-alive connection the
 *   server closes (a "dropped" connection) is counted.
 * One request in flight per connection (no pipelining). Run it in its own process
 * (bench/loadgen-main.ts) so it can be pinned to the load core.
 * With `tls` it speaks HTTPS (HTTP/1.1 over TLS, ALPN http/1.1): the server certificate is
 * verified against the given CA with SNI set, and every handshake is counted by the served
 * certificate's common name (`handshakes`), so a run shows which certificates it saw.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { ResponseParser } from './http-response-parser.js';
import { percentileSorted } from './stats.js';

export interface LoadTarget {
  readonly path: string;
  /** Host header. */
  readonly host: string;
}

export interface LoadOptions {
  readonly address: string;
  readonly port: number;
  /** Requests are taken round-robin from this list (per connection, offset by connection). */
  readonly targets: readonly LoadTarget[];
  readonly connections: number;
  readonly durationMs: number;
  /** Total requests per second across connections; null: closed loop (as fast as answers come). */
  readonly rate: number | null;
  /** A request unanswered after this long counts as a timeout and its connection is replaced. */
  readonly timeoutMs: number;
  /** HTTPS: verify the server against `ca` (PEM) with SNI `servername`. Absent: plain HTTP. */
  readonly tls?: LoadTls;
}

/** TLS settings of an HTTPS load (the options travel as JSON to the child process). */
export interface LoadTls {
  /** PEM of the CA the server certificate must chain to (rejectUnauthorized is always on). */
  readonly ca: string;
  /** SNI and the name the certificate is checked against. */
  readonly servername: string;
}

export interface LatencySummary {
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly p999: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

export interface LoadResult {
  readonly durationS: number;
  readonly sent: number;
  readonly completed: number;
  readonly rps: number;
  readonly latencyMs: LatencySummary;
  readonly correctedLatencyMs: LatencySummary;
  /** Responses by status code. */
  readonly statuses: Record<string, number>;
  readonly non2xx: number;
  /** Socket errors by code (ECONNRESET, ECONNREFUSED, timeout, parse, …). */
  readonly errors: Record<string, number>;
  /** Keep-alive connections closed by the server (idle or in flight, or via `Connection: close`). */
  readonly droppedConnections: number;
  readonly connectionsOpened: number;
  /** TLS only: completed handshakes by the common name of the certificate the server sent. */
  readonly handshakes?: Record<string, number>;
}

interface Conn {
  socket: Socket | null;
  parser: ResponseParser;
  index: number;
  /** Scheduled send time of the request in flight (fixed rate) and its actual send time. */
  scheduled: number;
  sentAt: number;
  inFlight: boolean;
  /** Next scheduled send (fixed rate). */
  next: number;
  closingByUs: boolean;
  timer: NodeJS.Timeout | null;
}

/** Runs the load and resolves with the counts; bounded by durationMs + timeoutMs + 1 s. */
export function runLoad(o: LoadOptions): Promise<LoadResult> {
  if (o.targets.length === 0) throw new Error('no targets');
  const reqs = o.targets.map((t) => Buffer.from(`GET ${t.path} HTTP/1.1\r\nHost: ${t.host}\r\nUser-Agent: waygate-bench\r\n\r\n`, 'latin1'));
  const lat: number[] = [];
  const corr: number[] = [];
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const handshakes: Record<string, number> = {};
  let sent = 0, completed = 0, non2xx = 0, dropped = 0, opened = 0;
  const start = performance.now();
  const stopAt = start + o.durationMs;
  const interval = o.rate === null ? 0 : (1000 * o.connections) / o.rate;
  let stopping = false;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  const conns: Conn[] = [];
  const countError = (code: string): void => { errors[code] = (errors[code] ?? 0) + 1; };

  const open = (c: Conn): void => {
    if (stopping) return;
    opened++;
    c.parser = new ResponseParser();
    c.closingByUs = false;
    let s: Socket;
    if (o.tls === undefined) {
      s = connect({ host: o.address, port: o.port, noDelay: true });
      s.on('connect', () => pump(c));
    } else {
      const t: TLSSocket = tlsConnect({
        host: o.address, port: o.port, ca: o.tls.ca, servername: o.tls.servername,
        rejectUnauthorized: true, ALPNProtocols: ['http/1.1'],
      });
      t.setNoDelay(true);
      t.on('secureConnect', () => {
        const cn = certificateName(t);
        handshakes[cn] = (handshakes[cn] ?? 0) + 1;
        pump(c);
      });
      s = t;
    }
    c.socket = s;
    s.on('data', (d: Buffer) => {
      let rs;
      try {
        rs = c.parser.push(d);
      } catch {
        countError('parse');
        replace(c);
        return;
      }
      for (const r of rs) onResponse(c, r.status, r.keepAlive);
    });
    s.on('end', () => {
      const r = c.parser.end();
      if (r !== null) onResponse(c, r.status, false);
    });
    s.on('error', (e: NodeJS.ErrnoException) => countError(e.code ?? 'error'));
    s.on('close', () => {
      if (c.socket !== s) return;
      c.socket = null;
      if (c.timer !== null) { clearTimeout(c.timer); c.timer = null; }
      if (!c.closingByUs) {
        // The server closed a keep-alive connection we did not ask to close.
        dropped++;
        if (c.inFlight) { countError('closed-in-flight'); c.inFlight = false; }
        if (!stopping) setTimeout(() => open(c), 1);
      }
      checkDone();
    });
  };

  /** Drops the connection on our side (after a timeout or garbage) and opens a new one. */
  const replace = (c: Conn): void => {
    const s = c.socket;
    c.inFlight = false;
    if (s !== null) { c.closingByUs = true; c.socket = null; s.destroy(); }
    if (!stopping) setTimeout(() => open(c), 1);
    checkDone();
  };

  const onResponse = (c: Conn, status: number, keepAlive: boolean): void => {
    if (!c.inFlight) return;
    const now = performance.now();
    c.inFlight = false;
    completed++;
    lat.push(now - c.sentAt);
    corr.push(now - c.scheduled);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status < 200 || status > 299) non2xx++;
    if (!keepAlive) {
      dropped++;
      c.closingByUs = true;
      c.socket?.destroy();
      c.socket = null;
      if (!stopping) open(c);
      checkDone();
      return;
    }
    pump(c);
  };

  const pump = (c: Conn): void => {
    if (c.timer !== null) { clearTimeout(c.timer); c.timer = null; }
    if (c.inFlight || c.socket === null || c.socket.connecting) return;
    const now = performance.now();
    if (stopping || now >= stopAt) { checkDone(); return; }
    if (interval > 0 && c.next > now) {
      c.timer = setTimeout(() => { c.timer = null; pump(c); }, Math.max(0, c.next - now));
      return;
    }
    c.scheduled = interval > 0 ? c.next : now;
    if (interval > 0) c.next += interval;
    c.sentAt = now;
    c.inFlight = true;
    sent++;
    const req = reqs[c.index++ % reqs.length]!;
    c.socket.write(req);
    c.timer = setTimeout(() => {
      c.timer = null;
      if (!c.inFlight) return;
      countError('timeout');
      replace(c);
    }, o.timeoutMs);
  };

  const checkDone = (): void => {
    if (!stopping) return;
    for (const c of conns) if (c.inFlight) return;
    finish();
  };

  for (let i = 0; i < o.connections; i++) {
    const c: Conn = {
      socket: null, parser: new ResponseParser(), index: i, scheduled: 0, sentAt: 0, inFlight: false,
      next: start + (interval * i) / o.connections, closingByUs: false, timer: null,
    };
    conns.push(c);
    open(c);
  }
  const stopTimer = setTimeout(() => { stopping = true; checkDone(); }, o.durationMs);
  const hardTimer = setTimeout(finish, o.durationMs + o.timeoutMs + 1000);

  return done.then(() => {
    clearTimeout(stopTimer);
    clearTimeout(hardTimer);
    const elapsed = (Math.min(performance.now(), stopAt + o.timeoutMs) - start) / 1000;
    for (const c of conns) {
      if (c.timer !== null) clearTimeout(c.timer);
      c.closingByUs = true;
      c.socket?.destroy();
      if (c.inFlight) countError('unfinished');
    }
    return {
      durationS: elapsed,
      sent,
      completed,
      rps: completed / (o.durationMs / 1000),
      latencyMs: summarize(lat),
      correctedLatencyMs: summarize(corr),
      statuses,
      non2xx,
      errors,
      droppedConnections: dropped,
      connectionsOpened: opened,
      ...(o.tls === undefined ? {} : { handshakes }),
    };
  });
}

/** The common name of the certificate the peer of a connected TLS socket sent ('?' if none). */
export function certificateName(s: TLSSocket): string {
  const cn = s.getPeerCertificate().subject?.CN;
  return (Array.isArray(cn) ? cn.join(',') : cn) || '?';
}

/** Percentiles of latency samples in ms. */
export function summarize(samples: readonly number[]): LatencySummary {
  const s = Float64Array.from(samples).sort();
  let sum = 0;
  for (const x of s) sum += x;
  const r = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);
  return {
    p50: r(percentileSorted(s, 50)),
    p90: r(percentileSorted(s, 90)),
    p99: r(percentileSorted(s, 99)),
    p999: r(percentileSorted(s, 99.9)),
    max: r(s.length === 0 ? null : s[s.length - 1]!),
    mean: r(s.length === 0 ? null : sum / s.length),
  };
}
