/**
 * wrk: the closed-loop HTTP/1.1 keep-alive load generator. `parseWrkOutput` turns its text
 * report (run with `--latency`) into numbers; `runWrk` runs it pinned to the load core.
 */
import { runLoadTool } from './processes.js';

export interface WrkResult {
  readonly requests: number;
  readonly durationS: number;
  readonly rps: number;
  /** Latency percentiles in ms from the `Latency Distribution` block (null when absent). */
  readonly latencyMs: { readonly p50: number | null; readonly p75: number | null; readonly p90: number | null; readonly p99: number | null };
  readonly non2xx3xx: number;
  readonly socketErrors: { readonly connect: number; readonly read: number; readonly write: number; readonly timeout: number };
  readonly transferPerSec: string | null;
}

/** Converts a wrk duration such as `812.00us`, `1.20ms`, `2.01s` or `1.00m` to milliseconds. */
export function wrkTimeToMs(text: string): number | null {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (m === null) return null;
  const x = Number(m[1]);
  switch (m[2]) {
    case 'us': return x / 1000;
    case 'ms': return x;
    case 's': return x * 1000;
    default: return x * 60_000;
  }
}

/** Parses wrk's report; throws when the output has no `Requests/sec` (wrk failed). */
export function parseWrkOutput(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(out);
  if (rps === null || total === null) throw new Error(`unrecognised wrk output: ${out.slice(0, 300)}`);
  const pct = (p: string): number | null => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+(?:us|ms|s|m))\\s*$`, 'm').exec(out);
    return m === null ? null : wrkTimeToMs(m[1]!);
  };
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const transfer = /Transfer\/sec:\s+(\S+)/.exec(out);
  return {
    requests: Number(total[1]),
    durationS: (wrkTimeToMs(`${total[2]}${total[3]}`) ?? 0) / 1000,
    rps: Number(rps[1]),
    latencyMs: { p50: pct('50'), p75: pct('75'), p90: pct('90'), p99: pct('99') },
    non2xx3xx: non2xx === null ? 0 : Number(non2xx[1]),
    socketErrors: sock === null
      ? { connect: 0, read: 0, write: 0, timeout: 0 }
      : { connect: Number(sock[1]), read: Number(sock[2]), write: Number(sock[3]), timeout: Number(sock[4]) },
    transferPerSec: transfer === null ? null : transfer[1]!,
  };
}

export interface WrkOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  /** Core to pin wrk to (null: unpinned). */
  readonly cpu: number | null;
  readonly headers?: readonly string[];
  /** wrk threads (default 1). */
  readonly threads?: number;
}

/** Runs `wrk -tT -cN -dS --latency URL` (T = threads, default 1), bounded by duration + 30 s. */
export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const args = [`-t${o.threads ?? 1}`, `-c${o.connections}`, `-d${Math.max(1, Math.round(o.durationS))}s`, '--latency'];
  for (const h of o.headers ?? []) args.push('-H', h);
  args.push(o.url);
  const out = await runLoadTool(o.cpu, ['wrk', ...args], o.durationS);
  return parseWrkOutput(out);
}
