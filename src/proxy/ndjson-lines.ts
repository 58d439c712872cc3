/**
 * Splits a byte stream into newline-terminated lines with a bound on the length of one line,
 * so a peer that never sends a newline cannot make the reader buffer without limit (readline
 * has no such bound). Lines are decoded as UTF-8 once whole, so a character split across two
 * chunks stays intact; a trailing `\r` is dropped. The bound counts a line's bytes without its
 * `\n`.
 */

/** A line longer than the bound; the reader should drop the connection. */
export class LineTooLongError extends Error {
  constructor(readonly maxLineBytes: number) {
    super(`line longer than ${maxLineBytes} bytes`);
    this.name = 'LineTooLongError';
  }
}

/** See the module comment. Feed chunks with `push`; each whole line goes to `onLine`. */
export class LineSplitter {
  readonly #max: number;
  readonly #onLine: (line: string) => void;
  /** The unfinished line so far, in pieces (joined once, when its newline arrives). */
  #parts: Buffer[] = [];
  #pending = 0;
  #failed = false;

  constructor(maxLineBytes: number, onLine: (line: string) => void) {
    this.#max = maxLineBytes;
    this.#onLine = onLine;
  }

  /**
   * Takes the next chunk. Throws LineTooLongError as soon as the current line exceeds the
   * bound (without waiting for its end); after that the splitter takes nothing more.
   */
  push(chunk: Buffer): void {
    if (this.#failed) return;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      // The bound counts the line's bytes without its `\n` (a `\r` before it counts).
      if (this.#pending + (end - start) > this.#max) {
        this.#failed = true;
        this.#parts = [];
        throw new LineTooLongError(this.#max);
      }
      if (nl === -1) {
        if (end > start) {
          this.#parts.push(chunk.subarray(start));
          this.#pending += end - start;
        }
        return;
      }
      const piece = chunk.subarray(start, end);
      const whole = this.#parts.length === 0 ? piece : Buffer.concat([...this.#parts, piece], this.#pending + piece.length);
      this.#parts = [];
      this.#pending = 0;
      const len = whole.length > 0 && whole[whole.length - 1] === 0x0d ? whole.length - 1 : whole.length;
      this.#onLine(whole.toString('utf8', 0, len));
      start = nl + 1;
    }
  }
}
