/**
 * Flags that set limits: sizes such as `--stream-max-line 64Mi` (whole bytes with an optional
 * binary suffix Ki, Mi or Gi, also KiB/MiB/GiB), counts, and durations that must not be zero.
 * Bad input is a UsageError naming the flag.
 */
import { parseDurationMs, UsageError } from './args.js';

const UNITS: Readonly<Record<string, number>> = { '': 1, ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3 };

/** A positive byte size. */
export function parseByteSizeFlag(text: string, flag: string): number {
  const m = /^(\d+)\s*(Ki|Mi|Gi)?B?$/i.exec(text.trim());
  const n = m ? Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag} must be a size such as 64Mi, 512Ki or 1048576 (bytes), not ${JSON.stringify(text)}`);
  return n;
}

/** A positive whole number. */
export function parseCountFlag(text: string, flag: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive whole number, not ${JSON.stringify(text)}`);
  return n;
}

/** A duration (see parseDurationMs) of at least 1 ms. */
export function parsePositiveDurationMs(text: string, flag: string): number {
  const ms = parseDurationMs(text, flag);
  if (ms <= 0) throw new UsageError(`${flag} must be more than 0, not ${JSON.stringify(text)}`);
  return ms;
}
