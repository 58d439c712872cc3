/**
 * Changes files in a watched config directory on a timer, for the propagation and churn
 * scenarios. Writes are atomic (a dot-file, which the loader skips, renamed over the target),
 * like an editor or `kubectl`-style tooling would do.
 */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `text` to `dir/file` atomically. */
export function writeAtomic(dir: string, file: string, text: string): void {
  const tmp = join(dir, `.${file}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, file));
}

/** Removes `dir/file` if present. */
export function removeFile(dir: string, file: string): void {
  try {
    unlinkSync(join(dir, file));
  } catch {
    // already gone
  }
}

/** Calls `step(i)` every `intervalMs` until stopped; counts steps and errors. */
export class Ticker {
  #timer: NodeJS.Timeout | null = null;
  #i = 0;
  errors: string[] = [];

  constructor(readonly intervalMs: number, readonly step: (i: number) => void) {}

  start(): this {
    this.#timer = setInterval(() => {
      try {
        this.step(this.#i++);
      } catch (e) {
        if (this.errors.length < 5) this.errors.push(e instanceof Error ? e.message : String(e));
      }
    }, this.intervalMs);
    return this;
  }

  /** Stops and returns how many steps ran. */
  stop(): number {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    return this.#i;
  }
}
