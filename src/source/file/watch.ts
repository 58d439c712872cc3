/**
 * Watching a manifest directory for changes, reporting which files changed.
 *
 * One plain (non-recursive) `fs.watch` per directory, not one recursive watcher: Node 20's
 * recursive fs.watch on Linux keeps watching a file's old inode after the file was replaced by
 * a rename, so a later in-place write to it went unseen. A directory watch (inotify on the
 * directory) reports every write and rename of its entries by name. New subdirectories get
 * their own watcher as soon as they appear; a slow periodic rescan of file mtimes and sizes is
 * the safety net for whatever the watchers miss (watcher errors, network file systems): it
 * reports the files whose mtime or size moved.
 *
 * Bursts are coalesced: the first event of a burst schedules one `onChange` call `debounceMs`
 * later with every path seen meanwhile, so a change reaches the caller within `debounceMs`
 * even while an editor keeps writing. Paths are relative to DIR with `/` separators. `null`
 * instead of a set means "something changed, re-read everything": a directory appeared or
 * vanished, a watcher failed, or a `..data`-style symlink swap
 * (Kubernetes ConfigMap volumes) happened. Dot-files are never loaded, so their events
 * (editor swap and temp files) are ignored.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
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
  /**
   * Reports the changes seen so far now instead of at the end of the coalescing window: for a
   * caller about to look at what changed (a config pass taking late changes in), waiting out
   * the window would only push them to the next pass.
   */
  flush(): void;
}

/** Receives the changed paths (relative, `/`-separated), or null for "re-read everything". */
export type ChangeListener = (changed: ReadonlySet<string> | null) => void;

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/**
 * Calls `onChange` after something under `dir` changed. Never throws from the watcher: errors
 * make it report a full change and fall back to the rescan, which re-establishes watchers.
 */
export function watchDirectory(dir: string, onChange: ChangeListener, opts: WatchOptions = {}): DirectoryWatch {
  const debounceMs = opts.debounceMs ?? 10;
  const rescanMs = opts.rescanMs ?? 2000;
  const watchers = new Map<string, FSWatcher>(); // relative dir ('' = DIR) → its watcher
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let full = false;
  let paths = new Set<string>();
  let states: Map<string, string> | null = null;
  let scanning = false;

  const flush = (): void => {
    timer = null;
    if (closed) return;
    const changed = full ? null : paths;
    full = false;
    paths = new Set();
    try {
      onChange(changed);
    } catch {
      // The caller's problem; a watcher must not die of it.
    }
  };

  const report = (path: string | null): void => {
    if (closed) return;
    if (path === null) full = true;
    else paths.add(path);
    timer ??= setTimeout(flush, debounceMs);
  };

  const unwatch = (rel: string): void => {
    for (const [r, w] of watchers) {
      if (r === rel || rel === '' || r.startsWith(`${rel}/`)) {
        w.close();
        watchers.delete(r);
      }
    }
  };

  const onEvent = (rel: string, event: string, name: string | Buffer | null): void => {
    if (closed) return;
    if (name === null) return report(null);
    const entry = String(name);
    const child = rel === '' ? entry : `${rel}/${entry}`;
    if (entry.startsWith('..')) return report(null); // atomic symlink swap of a mounted volume
    if (entry.startsWith('.')) return; // never loaded
    if (watchers.has(child)) {
      // A watched subdirectory was renamed or removed.
      if (event === 'rename') {
        unwatch(child);
        report(null);
        void syncWatchers();
      }
      return;
    }
    if (MANIFEST_EXT.test(entry)) report(child);
    if (event === 'rename') {
      // A new subdirectory needs its own watcher, and its files a full read.
      void stat(join(dir, child)).then(
        (s) => {
          if (!s.isDirectory() || closed) return;
          report(null);
          void syncWatchers();
        },
        () => undefined,
      );
    }
  };

  const watchOne = (rel: string): void => {
    if (closed || watchers.has(rel)) return;
    try {
      const w = watch(rel === '' ? dir : join(dir, rel), { persistent: false }, (event, name) => onEvent(rel, event, name));
      w.on('error', () => {
        w.close();
        if (watchers.get(rel) === w) watchers.delete(rel);
        report(null); // something happened; the rescan re-establishes the watch
      });
      watchers.set(rel, w);
    } catch {
      // Gone or not there yet; the rescan keeps trying.
    }
  };

  /** Watches DIR and every (non-dot) directory under it; drops watchers of vanished ones. */
  const syncWatchers = async (): Promise<void> => {
    const found = new Set<string>();
    const seenReal = new Set<string>();
    const visit = async (rel: string): Promise<void> => {
      const abs = rel === '' ? dir : join(dir, rel);
      const s = await stat(abs).catch(() => null);
      if (!s?.isDirectory()) return;
      const id = `${s.dev}:${s.ino}`;
      if (seenReal.has(id)) return; // symlink loops
      seenReal.add(id);
      found.add(rel);
      watchOne(rel);
      const entries = await readdir(abs, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (e.name.startsWith('.')) continue;
        if (e.isDirectory() || e.isSymbolicLink()) await visit(rel === '' ? e.name : `${rel}/${e.name}`);
      }
    };
    await visit('');
    for (const rel of [...watchers.keys()]) if (!found.has(rel)) unwatch(rel);
  };

  /** file → `mtimeMs:size` of every manifest file. */
  const fileStates = async (): Promise<Map<string, string>> => {
    const files = await listManifestFiles(dir).catch(() => [] as string[]);
    const out = new Map<string, string>();
    for (const f of files) {
      const s = await stat(join(dir, f)).catch(() => null);
      out.set(f, s ? `${s.mtimeMs}:${s.size}` : '-');
    }
    return out;
  };

  /** Reports every file that appeared, vanished or changed since the last rescan. */
  const rescan = async (): Promise<void> => {
    if (closed || scanning) return;
    scanning = true;
    try {
      const next = await fileStates();
      if (states !== null) {
        for (const [f, sig] of next) if (states.get(f) !== sig) report(f);
        for (const f of states.keys()) if (!next.has(f)) report(f);
      }
      states = next;
      await syncWatchers();
    } finally {
      scanning = false;
    }
  };

  watchOne('');
  void syncWatchers();
  let interval: NodeJS.Timeout | null = null;
  if (rescanMs > 0) {
    void rescan();
    interval = setInterval(() => void rescan(), rescanMs);
    interval.unref();
  }

  return {
    flush(): void {
      if (timer === null) return;
      clearTimeout(timer);
      flush();
    },
    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (interval) clearInterval(interval);
      unwatch('');
    },
  };
}
