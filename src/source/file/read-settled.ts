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

async function readOnce(abs: string): Promise<{ text: string; stable: boolean } | { directory: true }> {
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
  const message = `cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
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
