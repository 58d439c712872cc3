/**
 * The `grpc-timeout` request header (PROTOCOL-HTTP2.md): "Timeout → "grpc-timeout"
 * TimeoutValue TimeoutUnit; TimeoutValue → {positive integer as ASCII string of at most 8
 * digits}; TimeoutUnit → Hour / Minute / Second / Millisecond / Microsecond / Nanosecond
 * (H M S m u n)". The gateway enforces it as the call's deadline (the shorter of it and any
 * route timeout) and forwards the header unchanged, so the backend sees the same deadline.
 */

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** Milliseconds of a `grpc-timeout` value, or null when absent or malformed (ignored). */
export function parseGrpcTimeout(value: string | null): number | null {
  if (value === null) return null;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value.trim());
  if (m === null) return null;
  const ms = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  // A sub-millisecond deadline still expires: at least 1 ms.
  return Math.max(1, Math.ceil(ms));
}
