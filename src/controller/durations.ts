/**
 * GEP-2257 durations (`timeouts.request`, `retry.backoff`, …).
 *
 * GEP-2257: a Gateway API Duration "MUST match the regular expression
 * `^([0-9]{1,5}(h|m|s|ms)){1,4}$` and MUST be interpreted as specified by Golang's
 * time.ParseDuration" — so it is one to four `<integer><unit>` components whose values add up
 * (Go accepts a unit more than once, `1s1s` is two seconds), leading zeroes are decimal, and
 * the units are h, m, s and ms only.
 */

const DURATION_PATTERN = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const COMPONENT = /([0-9]{1,5})(ms|h|m|s)/g;

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** Milliseconds of a GEP-2257 duration, or null when the string is not one. */
export function parseDuration(value: string): number | null {
  if (!DURATION_PATTERN.test(value)) return null;
  let total = 0;
  for (const m of value.matchAll(COMPONENT)) {
    total += Number.parseInt(m[1] ?? '0', 10) * (UNIT_MS[m[2] ?? ''] ?? 0);
  }
  return total;
}

/** Outcome of reading an optional timeout field. */
export type TimeoutResult =
  | { readonly ok: true; readonly ms: number | null }
  | { readonly ok: false; readonly message: string };

/**
 * Reads an optional timeout: unset → null (no timeout of ours), `0s` → null.
 *
 * HTTPRouteTimeouts: "Setting a timeout to the zero duration (e.g. "0s") SHOULD disable the
 * timeout completely."
 */
export function computeTimeout(value: string | undefined, field: string): TimeoutResult {
  if (value === undefined) return { ok: true, ms: null };
  const ms = parseDuration(value);
  if (ms === null) return { ok: false, message: `Duration "${value}" is not valid (${field}).` };
  return { ok: true, ms: ms === 0 ? null : ms };
}
