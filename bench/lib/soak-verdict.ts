/**
 * Pass/fail rules of the `soak` scenario, pure so they can be tested: did normal traffic recover
 * after the abusive clients, did upstream sockets leak, and reading the admin `/metrics` text.
 */

/** The value of an unlabelled metric in Prometheus text, or null when absent. */
export function metricValue(text: string, name: string): number | null {
  const m = new RegExp(`^${name} ([-+\\d.eE]+)$`, 'm').exec(text);
  return m === null ? null : Number(m[1]);
}

/** What a short burst of normal requests gave. */
export interface NormalLoad {
  readonly rps: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly non2xx: number;
  readonly errors: number;
}

/** Recovery holds when p50 stays within 2× the baseline + 1 ms and rps within half of it. */
export const RECOVERY_P50_FACTOR = 2;
export const RECOVERY_P50_SLACK_MS = 1;
export const RECOVERY_MIN_RPS_SHARE = 0.5;

/** What is wrong with the normal traffic after the soak compared to before it (empty: recovered). */
export function recoveryProblems(before: NormalLoad, after: NormalLoad): string[] {
  const out: string[] = [];
  if (after.non2xx > 0) out.push(`${after.non2xx} non-2xx answers after the soak`);
  if (after.errors > 0) out.push(`${after.errors} socket errors after the soak`);
  if (before.p50Ms !== null && after.p50Ms !== null && after.p50Ms > before.p50Ms * RECOVERY_P50_FACTOR + RECOVERY_P50_SLACK_MS) {
    out.push(`p50 ${after.p50Ms.toFixed(2)} ms after the soak vs ${before.p50Ms.toFixed(2)} ms before (bound ${RECOVERY_P50_FACTOR}× + ${RECOVERY_P50_SLACK_MS} ms)`);
  }
  if (after.p50Ms === null) out.push('no request completed after the soak');
  if (before.rps > 0 && after.rps < before.rps * RECOVERY_MIN_RPS_SHARE) {
    out.push(`rps ${Math.round(after.rps)} after the soak vs ${Math.round(before.rps)} before (bound ${RECOVERY_MIN_RPS_SHARE * 100}%)`);
  }
  return out;
}

/** Sockets and counters once every client is gone and the upstream keep-alive time has passed. */
export interface SettledState {
  /** Proxy→backend TCP connections by state (sockets the proxy still holds). */
  readonly upstream: Readonly<Record<string, number>>;
  readonly fds: number;
  /** Open fds right after the baseline load, before the soak (idle pools still open). */
  readonly fdsBefore: number;
  readonly connections: number | null;
  readonly inFlight: number | null;
}

/** Slack on the fd count (timers, log files, lazily opened files). */
export const FD_SLACK = 8;

/** What leaked (empty: nothing). Idle upstream connections must be closed by then, so any count is a leak. */
export function leakProblems(s: SettledState): string[] {
  const out: string[] = [];
  const up = Object.entries(s.upstream).filter(([, n]) => n > 0);
  if (up.length > 0) out.push(`upstream sockets still open after the keep-alive timeout: ${up.map(([k, n]) => `${n} ${k}`).join(', ')}`);
  if (s.fds > s.fdsBefore + FD_SLACK) out.push(`${s.fds} open fds vs ${s.fdsBefore} before the soak (slack ${FD_SLACK})`);
  if (s.connections !== null && s.connections > 0) out.push(`${s.connections} client connections still counted open`);
  if (s.inFlight !== null && s.inFlight > 0) out.push(`${s.inFlight} requests still counted in flight`);
  return out;
}
