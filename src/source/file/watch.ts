/**
 * Watching a manifest directory for changes: `fs.watch` recursive (Node 20 supports it on
 * Linux) for speed, plus a slow periodic rescan of file mtimes and sizes as a safety net for
 * whatever the watcher misses (new subdirectories on some platforms, watcher errors, network
 * file systems). Bursts of events are coalesced: the first event of a burst schedules one
 * `onChange` call `debounceMs` later, so a change reaches the caller within `debounceMs` even
 * while an editor keeps writing. Editors that save by writing a temp file and renaming it over
 * the original, or that delete and recreate the file, produce rename events on the directory,
 * which the recursive watcher reports like any other.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listManifestFiles } from './load.js';

export interface WatchOptions {
  /** Coalescing window for bursts of events (default 10 ms). */
  readonly debounceMs?: number;
  /** Period of the safety-net rescan (default 2000 ms; 0 disables it). */
  readonly rescanMs?: number;
}

/** A running watch; `close()` stops it and cancels any pending call. */
export interface DirectoryWatch {
  close(): void;
}

/**
 * Calls `onChange` (without arguments) after something under `dir` changed. Never throws from
 * the watcher: errors make it fall back to the rescan and retry the watcher on the next tick.
 */
export function watchDirectory(dir: string, onChange: () => void, opts: WatchOptions = {}): DirectoryWatch {
  const debounceMs = opts.debounceMs ?? 10;
  const rescanMs = opts.rescanMs ?? 2000;
  let closed = false;
  let pending: NodeJS.Timeout | null = null;
  let watcher: FSWatcher | null = null;
  let signature: string | null = null;
  let scanning = false;

  const fire = (): void => {
    if (closed || pending) return;
    pending = setTimeout(() => {
      pending = null;
      if (closed) return;
      try {
        onChange();
      } catch {
        // The caller's problem; a watcher must not die of it.
      }
    }, debounceMs);
  };

  const startWatcher = (): void => {
    if (closed || watcher) return;
    try {
      watcher = watch(dir, { recursive: true, persistent: false }, (_event, name) => {
        // Dot-files (editor swap files, `..data` symlink swaps) may still matter; let the
        // loader decide what is a manifest. Only skip events that say nothing at all.
        if (name === null && _event !== 'rename') return;
        fire();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = null;
        fire(); // something happened; the next rescan re-establishes the watch
      });
    } catch {
      watcher = null; // directory missing for now; the rescan keeps trying
    }
  };

  const computeSignature = async (): Promise<string> => {
    const files = await listManifestFiles(dir).catch(() => [] as string[]);
    const parts: string[] = [];
    for (const f of files) {
      const s = await stat(join(dir, f)).catch(() => null);
      parts.push(`${f}:${s ? `${s.mtimeMs}:${s.size}` : '-'}`);
    }
    return parts.join('\n');
  };

  const rescan = async (): Promise<void> => {
    if (closed || scanning) return;
    scanning = true;
    try {
      const next = await computeSignature();
      if (signature !== null && next !== signature) fire();
      signature = next;
      if (!watcher) startWatcher();
    } finally {
      scanning = false;
    }
  };

  startWatcher();
  let interval: NodeJS.Timeout | null = null;
  if (rescanMs > 0) {
    void rescan();
    interval = setInterval(() => void rescan(), rescanMs);
    interval.unref();
  }

  return {
    close(): void {
      closed = true;
      if (pending) clearTimeout(pending);
      pending = null;
      if (interval) clearInterval(interval);
      watcher?.close();
      watcher = null;
    },
  };
}
