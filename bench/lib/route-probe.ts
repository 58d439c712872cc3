/**
 * The gateway-api-bench "probe" method shared by `propagation` (files) and `propagation-k8s`
 * (API objects): once a new route is written, poll its hostname every 2 ms on one keep-alive
 * connection until it answers 200 (404 before); any other answer is counted.
 */
import type { Agent } from 'node:http';
import { httpGet } from './http-get.js';
import { sleep } from './processes.js';
import { percentile, round } from './stats.js';

/** The proxy a probe polls, on one keep-alive agent (maxSockets 1). */
export interface ProbeTarget {
  readonly address: string;
  readonly port: number;
  readonly agent: Agent;
}

/** What the probes of one condition saw. */
export interface ProbeTally {
  /** Milliseconds to the first 200, one per probe served in time. */
  readonly ms: number[];
  timeouts: number;
  /** Answers other than 404/200, by status or error code. */
  readonly unexpected: Record<string, number>;
}

/** An empty tally. */
export function newTally(): ProbeTally {
  return { ms: [], timeouts: 0, unexpected: {} };
}

/** Adds what `from` saw to `into` (probes run elsewhere, e.g. in the prober child). */
export function addTally(into: ProbeTally, from: ProbeTally): void {
  into.ms.push(...from.ms);
  into.timeouts += from.timeouts;
  for (const [k, v] of Object.entries(from.unexpected)) into.unexpected[k] = (into.unexpected[k] ?? 0) + v;
}

/**
 * One probe, started right after the route was written: polls `host` (path `/`) every 2 ms until
 * it answers 200 or `timeoutMs` passes, and records the outcome in `tally`.
 */
export async function probeUntilServed(t: ProbeTarget, host: string, timeoutMs: number, tally: ProbeTally): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    const r = await httpGet({ address: t.address, port: t.port, path: '/', host, agent: t.agent, timeoutMs: 2000 });
    if (r.status === 200) {
      tally.ms.push(performance.now() - start);
      return;
    }
    if (r.status !== 404) {
      const k = r.status === 0 ? (r.error ?? 'error') : String(r.status);
      tally.unexpected[k] = (tally.unexpected[k] ?? 0) + 1;
    }
    await sleep(2);
  }
  tally.timeouts++;
}

/** Waits (polling every 20 ms) until `host` + `path` answers 200; throws after `timeoutMs` with the last answer. */
export async function waitServing(t: ProbeTarget, host: string, path: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    const r = await httpGet({ address: t.address, port: t.port, path, host, agent: t.agent, timeoutMs: 2000 });
    if (r.status === 200) return;
    last = String(r.status || r.error);
    await sleep(20);
  }
  throw new Error(`route for ${host}${path} not serving after ${timeoutMs} ms (last: ${last})`);
}

/** Table cells of a tally: probes, p50, p99, max, timeouts, other than 404/200. */
export function tallyCells(s: ProbeTally): (string | number | null)[] {
  return [
    s.ms.length + s.timeouts, round(percentile(s.ms, 50), 1), round(percentile(s.ms, 99), 1),
    s.ms.length > 0 ? round(Math.max(...s.ms), 1) : null, s.timeouts,
    Object.entries(s.unexpected).map(([k, v]) => `${k}×${v}`).join(' ') || '0',
  ];
}

/** True when no probe timed out or saw an answer other than 404/200. */
export function tallyClean(s: ProbeTally): boolean {
  return s.timeouts === 0 && Object.keys(s.unexpected).length === 0;
}
