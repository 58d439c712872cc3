/**
 * An incremental HTTP/1.1 response parser for the load generator: status code, keep-alive,
 * and the end of each response (Content-Length, chunked, or no body). Bodies are skipped, not
 * kept. It trusts the peer (a local proxy under test) and is not a general-purpose parser.
 */

/** One complete response. */
export interface ParsedResponse {
  readonly status: number;
  /** False when the response asked to close the connection (or was HTTP/1.0 without keep-alive). */
  readonly keepAlive: boolean;
  readonly bodyBytes: number;
}

type State = 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-trailer' | 'until-close';

const EMPTY = Buffer.alloc(0);
const MAX_HEAD = 64 * 1024;

export class ResponseParser {
  #buf: Buffer = EMPTY;
  #state: State = 'head';
  #remaining = 0;
  #status = 0;
  #keepAlive = true;
  #bodyBytes = 0;

  /** True while a response has started but not ended. */
  get midResponse(): boolean {
    return this.#state !== 'head' || this.#buf.length > 0;
  }

  /** Feeds bytes; returns the responses they completed (possibly none). Throws on garbage. */
  push(data: Buffer): ParsedResponse[] {
    this.#buf = this.#buf.length === 0 ? data : Buffer.concat([this.#buf, data]);
    const out: ParsedResponse[] = [];
    for (;;) {
      const buf = this.#buf;
      if (this.#state === 'head') {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buf.length > MAX_HEAD) throw new Error('response head too large');
          break;
        }
        const head = buf.toString('latin1', 0, end);
        this.#buf = buf.subarray(end + 4);
        if (this.#onHead(head, out)) continue;
      } else if (this.#state === 'body') {
        const n = Math.min(this.#remaining, buf.length);
        this.#remaining -= n;
        this.#bodyBytes += n;
        this.#buf = buf.subarray(n);
        if (this.#remaining > 0) break;
        this.#emit(out);
      } else if (this.#state === 'chunk-size') {
        const eol = buf.indexOf('\r\n');
        if (eol < 0) break;
        const size = Number.parseInt(buf.toString('latin1', 0, eol).split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size) || size < 0) throw new Error('bad chunk size');
        this.#buf = buf.subarray(eol + 2);
        if (size === 0) this.#state = 'chunk-trailer';
        else {
          this.#remaining = size + 2; // data + CRLF
          this.#bodyBytes += size;
          this.#state = 'chunk-data';
        }
      } else if (this.#state === 'chunk-data') {
        const n = Math.min(this.#remaining, buf.length);
        this.#remaining -= n;
        this.#buf = buf.subarray(n);
        if (this.#remaining > 0) break;
        this.#state = 'chunk-size';
      } else if (this.#state === 'chunk-trailer') {
        const eol = buf.indexOf('\r\n');
        if (eol < 0) break;
        this.#buf = buf.subarray(eol + 2);
        if (eol === 0) this.#emit(out); // the empty line ends the trailers
      } else {
        // until-close: everything is body; the response ends with the connection (see end()).
        this.#bodyBytes += buf.length;
        this.#buf = EMPTY;
        break;
      }
      if (this.#buf.length === 0 && this.#state === 'head') break;
    }
    return out;
  }

  /** The connection ended: completes a read-until-close response, if one was open. */
  end(): ParsedResponse | null {
    if (this.#state !== 'until-close') return null;
    const r = { status: this.#status, keepAlive: false, bodyBytes: this.#bodyBytes };
    this.#reset();
    return r;
  }

  /** Returns true when the loop should continue parsing (head consumed). */
  #onHead(head: string, out: ParsedResponse[]): boolean {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (m === null) throw new Error(`bad status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
    const http10 = m[1] === '0';
    this.#status = Number(m[2]);
    let length: number | null = null;
    let chunked = false;
    let connection = '';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
      else if (name === 'connection') connection = value.toLowerCase();
    }
    this.#keepAlive = http10 ? connection.includes('keep-alive') : !connection.includes('close');
    this.#bodyBytes = 0;
    if (this.#status >= 100 && this.#status < 200) return true; // interim response: the real one follows
    if (this.#status === 204 || this.#status === 304) this.#emit(out);
    else if (chunked) this.#state = 'chunk-size';
    else if (length !== null) {
      if (length === 0) this.#emit(out);
      else {
        this.#remaining = length;
        this.#state = 'body';
      }
    } else {
      this.#keepAlive = false;
      this.#state = 'until-close';
    }
    return true;
  }

  #emit(out: ParsedResponse[]): void {
    out.push({ status: this.#status, keepAlive: this.#keepAlive, bodyBytes: this.#bodyBytes });
    this.#reset();
  }

  #reset(): void {
    this.#state = 'head';
    this.#remaining = 0;
    this.#bodyBytes = 0;
  }
}
