/**
 * Misbehaving HTTP/1.1 clients for the `soak` scenario, on raw sockets:
 * - **aborters** request a large or slowly streamed body and close the connection early: one
 *   request in four right after sending (before the answer), the others after 16–128 KiB of it;
 * - **slow readers** request a large body and read it at a fixed slow rate (the socket is paused
 *   between reads, so TCP backpressure reaches the proxy), then start over on a new connection.
 * Each client loops until the deadline; everything is bounded by `durationMs` + `timeoutMs`.
 */
import { connect, type Socket } from 'node:net';

export interface SoakClientOptions {
  readonly address: string;
  readonly port: number;
  readonly host: string;
  readonly durationMs: number;
  readonly aborters: number;
  readonly slowReaders: number;
  /** Paths the aborters cycle through (e.g. a fast large body and a rate-limited one). */
  readonly abortPaths: readonly string[];
  readonly slowPath: string;
  /** Read rate of each slow reader, bytes per second. */
  readonly slowBytesPerS: number;
  /** A connection making no progress for this long is closed and counted as a timeout. */
  readonly timeoutMs: number;
}

export interface SoakClientResult {
  /** Connections closed by the client before the answer started. */
  readonly abortedBeforeAnswer: number;
  /** Connections closed by the client in the middle of the body. */
  readonly abortedMidBody: number;
  /** Slow reads that got the whole body. */
  readonly slowCompleted: number;
  /** Slow reads cut by the end of the run. */
  readonly slowCut: number;
  readonly bytesRead: number;
  /** Status codes of the answers seen. */
  readonly statuses: Record<string, number>;
  /** Errors by code (ECONNRESET, timeout, …) and premature closes by the server (`closed`). */
  readonly errors: Record<string, number>;
}

/** Abort threshold of the aborter's `i`-th request: 0 (before the answer) or 16–128 KiB. */
export function abortAfterBytes(i: number): number {
  return i % 4 === 0 ? 0 : 16 * 1024 * (1 + (i % 8));
}

/** Total length (head + body) of a response whose head ends at `headEnd`, from Content-Length; null if unknown. */
export function responseLength(head: string, headEnd: number): number | null {
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return m === null ? null : headEnd + Number(m[1]);
}

/** Runs the clients until the deadline and resolves with the counts. */
export function runSoakClients(o: SoakClientOptions): Promise<SoakClientResult> {
  const end = Date.now() + o.durationMs;
  const r = { abortedBeforeAnswer: 0, abortedMidBody: 0, slowCompleted: 0, slowCut: 0, bytesRead: 0, statuses: {} as Record<string, number>, errors: {} as Record<string, number> };
  const count = (rec: Record<string, number>, k: string): void => void (rec[k] = (rec[k] ?? 0) + 1);
  const open = new Set<Socket>();

  /** One request on a fresh connection; `onData` returns true to close early. Resolves when closed. */
  const exchange = (path: string, onData: (s: Socket, got: number, total: number | null, chunk: number) => boolean | 'done'): Promise<void> =>
    new Promise((resolve) => {
      const s = connect({ host: o.address, port: o.port });
      open.add(s);
      let got = 0;
      let head = '';
      let total: number | null = null;
      let finished = false;
      // the end of the run cuts whatever is still open
      const deadline = setTimeout(() => finish(), Math.max(0, end - Date.now()));
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(deadline);
        open.delete(s);
        s.destroy();
        resolve();
      };
      s.setTimeout(o.timeoutMs, () => { count(r.errors, 'timeout'); finish(); });
      s.on('error', (e: NodeJS.ErrnoException) => { count(r.errors, e.code ?? 'error'); finish(); });
      s.on('close', () => { if (!finished) count(r.errors, 'closed'); finish(); });
      s.on('connect', () => s.write(`GET ${path} HTTP/1.1\r\nHost: ${o.host}\r\nUser-Agent: waygate-bench-soak\r\n\r\n`));
      s.on('data', (d: Buffer) => {
        got += d.length;
        r.bytesRead += d.length;
        if (total === null && head.length < 8192) {
          head += d.toString('latin1', 0, Math.min(d.length, 8192));
          const he = head.indexOf('\r\n\r\n');
          if (he >= 0) {
            count(r.statuses, head.slice(9, 12));
            total = responseLength(head.slice(0, he + 2), he + 4);
          }
        }
        const v = onData(s, got, total, d.length);
        if (v === true || v === 'done') finish();
      });
    });

  const aborter = async (k: number): Promise<void> => {
    for (let i = k; Date.now() < end; i++) {
      const limit = abortAfterBytes(i);
      const path = o.abortPaths[i % o.abortPaths.length]!;
      if (limit === 0) {
        await new Promise<void>((resolve) => {
          const s = connect({ host: o.address, port: o.port }, () => {
            s.write(`GET ${path} HTTP/1.1\r\nHost: ${o.host}\r\n\r\n`, () => { s.destroy(); resolve(); });
          });
          s.setTimeout(o.timeoutMs, () => { s.destroy(); resolve(); });
          s.on('error', (e: NodeJS.ErrnoException) => { count(r.errors, e.code ?? 'error'); resolve(); });
        });
        r.abortedBeforeAnswer++;
        continue;
      }
      await exchange(path, (_s, got, total) => {
        if (total !== null && got >= total) return 'done'; // small answer: nothing to abort
        if (got >= limit) {
          r.abortedMidBody++;
          return true;
        }
        return false;
      });
    }
  };

  const slowReader = async (): Promise<void> => {
    while (Date.now() < end) {
      let done = false;
      await exchange(o.slowPath, (s, got, total, chunk) => {
        if (total !== null && got >= total) {
          done = true;
          return 'done';
        }
        // read at the set rate: pause for as long as this chunk "should" have taken
        s.pause();
        setTimeout(() => s.resume(), Math.min(1000, (chunk * 1000) / o.slowBytesPerS));
        return false;
      });
      if (done) r.slowCompleted++;
      else r.slowCut++;
    }
  };

  const all = [
    ...Array.from({ length: o.aborters }, (_, k) => aborter(k)),
    ...Array.from({ length: o.slowReaders }, () => slowReader()),
  ];
  const guard = setTimeout(() => { for (const s of open) s.destroy(); }, o.durationMs + o.timeoutMs);
  return Promise.all(all).then(() => {
    clearTimeout(guard);
    return r;
  });
}
