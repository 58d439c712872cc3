/**
 * The one backoff rule of waygate's retry loops (informers, the proxy's config stream, status
 * writes, data plane worker restarts): `baseMs` doubling per failure up to `maxMs`, optionally
 * jittered by ±20 % so that many clients failing together do not retry together.
 */

/** The wait before the retry that follows `failures` failures in a row (0: the first retry). */
export function backoffMs(failures: number, baseMs: number, maxMs: number, jitter: boolean): number {
  const ms = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 16));
  return jitter ? Math.round(ms * (0.8 + Math.random() * 0.4)) : ms;
}
