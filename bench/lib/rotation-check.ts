/**
 * Did a certificate rotation reach new connections? Given the certificates written (in order,
 * each with the wall-clock time of its write) and the handshakes a prober completed (with the
 * certificate each got), this says how many rotations were served, how long each took to reach
 * a handshake, and whether any handshake got an older certificate after a newer one had
 * already been served (a "stale" handshake: the swap went backwards or was not atomic).
 */
import { percentile } from './stats.js';

/** One completed handshake: when the connection started, when the handshake finished, and the certificate's CN. */
export interface Handshake {
  readonly start: number;
  readonly end: number;
  readonly cn: string;
}

/** A certificate written to the Secret at wall-clock time `at` (ms). */
export interface Rotation {
  readonly at: number;
  readonly cn: string;
}

export interface RotationReport {
  readonly rotations: number;
  readonly handshakes: number;
  /** Handshakes that got a certificate written by a rotation (not the initial one). */
  readonly rotatedHandshakes: number;
  /** Rotations whose certificate, or a later one, some handshake got. */
  readonly rotationsServed: number;
  /** Rotations whose own certificate some handshake got (a rotation superseded before it was applied is skipped). */
  readonly certificatesSeen: number;
  /** Per rotation: ms from the write to the end of the first handshake with it or a later certificate; null: never. */
  readonly lagMs: readonly (number | null)[];
  readonly lagP50Ms: number | null;
  readonly lagMaxMs: number | null;
  /** Handshakes that got an older certificate than a handshake that had finished before they started. */
  readonly stale: number;
  /** Handshakes with a certificate that is neither the initial one nor a rotation's. */
  readonly unknown: number;
}

/** Evaluates `handshakes` against the initial certificate and the rotations that followed it. */
export function checkRotation(initialCn: string, rotations: readonly Rotation[], handshakes: readonly Handshake[]): RotationReport {
  const gen = new Map<string, number>([[initialCn, 0]]);
  rotations.forEach((r, i) => gen.set(r.cn, i + 1));
  let unknown = 0;
  let rotated = 0;
  const known: { h: Handshake; g: number }[] = [];
  for (const h of handshakes) {
    const g = gen.get(h.cn);
    if (g === undefined) unknown++;
    else {
      known.push({ h, g });
      if (g > 0) rotated++;
    }
  }
  const seen = new Set(known.map((k) => k.g));
  const lagMs = rotations.map((r, i) => {
    let first: number | null = null;
    for (const k of known) if (k.g >= i + 1 && (first === null || k.h.end < first)) first = k.h.end;
    return first === null ? null : Math.max(0, first - r.at);
  });
  // Stale: walk handshakes by start; the newest generation among those that ended before.
  const byEnd = [...known].sort((a, b) => a.h.end - b.h.end);
  const byStart = [...known].sort((a, b) => a.h.start - b.h.start);
  let j = 0;
  let newest = -1;
  let stale = 0;
  for (const k of byStart) {
    while (j < byEnd.length && byEnd[j]!.h.end < k.h.start) newest = Math.max(newest, byEnd[j++]!.g);
    if (k.g < newest) stale++;
  }
  const lags = lagMs.filter((x): x is number => x !== null);
  return {
    rotations: rotations.length,
    handshakes: handshakes.length,
    rotatedHandshakes: rotated,
    rotationsServed: lags.length,
    certificatesSeen: rotations.filter((_, i) => seen.has(i + 1)).length,
    lagMs,
    lagP50Ms: percentile(lags, 50),
    lagMaxMs: lags.length === 0 ? null : Math.max(...lags),
    stale,
    unknown,
  };
}
