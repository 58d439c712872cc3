/**
 * One pass at a time, and requests that arrive during a pass coalesce into one follow-up pass:
 * the reconcile loop of the standalone runtime and of the Kubernetes controller.
 */

/** Runs `pass` (which must never reject) one at a time, coalescing requests. */
export class CoalescedRuns {
  readonly #pass: () => Promise<void>;
  #running: Promise<void> | null = null;
  #pending = false;
  #stopped = false;

  constructor(pass: () => Promise<void>) {
    this.#pass = pass;
  }

  /**
   * Starts a pass now, or, while one runs, asks for one more after it. The promise settles
   * once no pass runs or is due (so a pass started after this call has finished).
   */
  request(): Promise<void> {
    if (this.#running) {
      this.#pending = true;
      return this.#running;
    }
    this.#running = this.#loop();
    return this.#running;
  }

  /** No follow-up passes any more; waits for the pass in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending = false;
    if (this.#running) await this.#running;
  }

  async #loop(): Promise<void> {
    try {
      do {
        this.#pending = false;
        await this.#pass();
      } while (this.#pending && !this.#stopped);
    } finally {
      this.#running = null;
    }
  }
}
