/**
 * Reading one manifest file without seeing an in-place write half done.
 *
 * Tools that save in place truncate the file and then write it. A read in between sees an
 * empty file, which would mean "these objects are gone": routes vanish for a moment and
 * requests get 404. So a file that had content and is now empty (0 bytes) is "not settled":
 * it is read again until it has content, for up to `graceMs` (after that the emptiness is
 * real). And a file whose size or mtime moved while it was being read is read again (a
 * bounded number of times), so a torn read is not handed on. Atomic rename-over saves never
 * need either: the open handle keeps reading the inode it opened.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadIssue } from './issues.js';

export interface SettleOptions {
  /** Longest wait for an emptied file to be written again (default 200 ms). */
  readonly graceMs?: number;
  /** Poll interval while waiting (default 5 ms). */
  readonly pollMs?: number;
  /** Reads tried while the file keeps moving underneath (default 3). */
  readonly attempts?: number;
}

/** What reading a path gave. */
export type ReadOutcome =
  | { readonly text: string }
  | { readonly issue: LoadIssue }
  | { readonly gone: true }
  | { readonly directory: true };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type ReadOnce = { text: string; stable: boolean } | { directory: true };

/**
 * Regular files up to this size are read synchronously: ~20 µs for 50 KB, against five
 * thread-pool round trips for the asynchronous read (0.2–0.3 ms on an idle loop, more when the
 * loop is busy serving), and a config pass is synchronous work from parse to compile anyway.
 * Anything else (larger, a FIFO, a device) is read asynchronously, never blocking the loop.
 */
const SYNC_READ_MAX = 1 << 20;

/**
 * One read of a small regular file; 'large' for a bigger one. A FIFO, socket or device throws
 * ENOTREG: reading one could wait forever (for a writer, or for data that never ends).
 */
function readOnceSync(abs: string): ReadOnce | 'large' {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it changes nothing for files.
  const fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const before = fstatSync(fd);
    if (before.isDirectory()) return { directory: true };
    if (!before.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    if (before.size > SYNC_READ_MAX) return 'large';
    const text = readFileSync(fd, 'utf8');
    const after = fstatSync(fd);
    return { text, stable: before.size === after.size && before.mtimeMs === after.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

async function readOnce(abs: string): Promise<ReadOnce> {
  const r = readOnceSync(abs);
  return r === 'large' ? readOnceAsync(abs) : r;
}

async function readOnceAsync(abs: string): Promise<ReadOnce> {
  const fh = await open(abs, 'r');
  try {
    const before = await fh.stat();
    if (before.isDirectory()) return { directory: true };
    const text = await fh.readFile('utf8');
    const after = await fh.stat();
    return { text, stable: before.size === after.size && before.mtimeMs === after.mtimeMs };
  } finally {
    await fh.close();
  }
}

function issueOf(file: string, err: unknown): LoadIssue {
  const code = (err as NodeJS.ErrnoException).code;
  const message = `cannot read file: ${code === 'ENOTREG' ? 'not a regular file' : (code ?? String(err))}`;
  return { file, document: 0, kind: null, name: null, namespace: null, path: '', message, severity: 'error' };
}

/**
 * Reads `file` (relative to `dir`). `hadContent`: the file was non-empty when last read, so an
 * empty read is waited out (see the module comment). Never throws.
 */
export async function readSettled(dir: string, file: string, hadContent: boolean, opts: SettleOptions = {}): Promise<ReadOutcome> {
  const graceMs = opts.graceMs ?? 200;
  const pollMs = opts.pollMs ?? 5;
  const attempts = opts.attempts ?? 3;
  const abs = join(dir, file);
  const deadline = Date.now() + graceMs;
  let torn = 0;
  for (;;) {
    let r;
    try {
      r = await readOnce(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { gone: true };
      if (code === 'EISDIR') return { directory: true };
      return { issue: issueOf(file, err) };
    }
    if ('directory' in r) return r;
    if (!r.stable && ++torn < attempts) {
      await sleep(1);
      continue;
    }
    if (r.text === '' && hadContent && Date.now() < deadline) {
      await sleep(pollMs);
      continue;
    }
    return { text: r.text };
  }
}
