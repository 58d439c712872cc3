/**
 * A guard against reading files in the middle of an in-place write.
 *
 * Editors and tools that save in place truncate the file, then write it. A load that runs in
 * between sees an empty file, which means "these objects are gone": routes would vanish for a
 * moment and requests would get 404. So:
 * - before a load, a file that had content at the last load and is now empty gets a short
 *   grace period to fill up again (if it stays empty, the deletion is real);
 * - after a load, if any file's size or mtime moved while it was being read, the result may be
 *   torn: wait for the files to settle and load again (bounded), so only a consistent result is
 *   handed on. `changed` is true if any of the loads changed something.
 * Atomic rename-over saves never need either.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listManifestFiles } from '../source/file/load.js';
import type { ConfigSource } from './types.js';

export interface SettleOptions {
  /** Longest wait for an emptied file to be written again (default 200 ms). */
  readonly graceMs?: number;
  /** Poll interval while waiting (default 5 ms). */
  readonly pollMs?: number;
  /** Loads tried when files keep moving underneath (default 3). */
  readonly attempts?: number;
}

/** file → `size:mtimeMs` */
async function fileStates(dir: string): Promise<Map<string, { size: number; sig: string }>> {
  const out = new Map<string, { size: number; sig: string }>();
  for (const f of await listManifestFiles(dir).catch(() => [] as string[])) {
    const s = await stat(join(dir, f)).catch(() => null);
    if (s) out.set(f, { size: s.size, sig: `${s.size}:${s.mtimeMs}` });
  }
  return out;
}

function sameStates(a: Map<string, { sig: string }>, b: Map<string, { sig: string }>): boolean {
  if (a.size !== b.size) return false;
  for (const [f, v] of a) if (b.get(f)?.sig !== v.sig) return false;
  return true;
}

/** Wraps a source over `dir` so loads do not hand on half-done in-place writes. */
export function settleInPlaceWrites(source: ConfigSource, dir: string, options: SettleOptions = {}): ConfigSource {
  const graceMs = options.graceMs ?? 200;
  const pollMs = options.pollMs ?? 5;
  const attempts = options.attempts ?? 3;
  let hadContent = new Set<string>();
  const sleep = () => new Promise((r) => setTimeout(r, pollMs));

  const settled = async () => {
    let states = await fileStates(dir);
    const deadline = Date.now() + graceMs;
    while ([...hadContent].some((f) => states.get(f)?.size === 0) && Date.now() < deadline) {
      await sleep();
      states = await fileStates(dir);
    }
    return states;
  };

  return {
    async load() {
      let changed = false;
      for (let i = 1; ; i++) {
        const before = await settled();
        const result = await source.load();
        changed ||= result.changed;
        const after = await fileStates(dir);
        if (i >= attempts || sameStates(before, after)) {
          hadContent = new Set([...after].filter(([, v]) => v.size > 0).map(([f]) => f));
          return { ...result, changed };
        }
      }
    },
  };
}
