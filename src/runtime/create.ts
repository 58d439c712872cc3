/**
 * Wires the standalone runtime to the real parts: the file source and its watcher, the
 * controller's translate(), and the HTTP data plane.
 */
import { mergeTransitionTimes } from '../controller/status.js';
import { translate } from '../controller/translate.js';
import { createDataPlane } from '../dataplane/index.js';
import { FileSource } from '../source/file/file-source.js';
import { formatIssue } from '../source/file/issues.js';
import { watchDirectory } from '../source/file/watch.js';
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { silentLogger, type Logger } from '../log.js';
import { isBindableAddress, localInterfaceAddresses } from './addresses.js';
import { settleInPlaceWrites } from './settle.js';
import { StandaloneRuntime } from './standalone.js';

export interface CreateRuntimeOptions {
  /** Directory of Gateway API YAML. */
  readonly dir: string;
  readonly controllerName: string;
  readonly addressPool: readonly string[];
  readonly log?: Logger;
  readonly clock?: () => Date;
  /** Debounce of the directory watcher (default 10 ms). */
  readonly debounceMs?: number;
  /** Watch the directory (default true); false: passes run only on reload(). */
  readonly watch?: boolean;
}

/** A StandaloneRuntime over a directory, not yet started. */
export function createStandaloneRuntime(options: CreateRuntimeOptions): StandaloneRuntime {
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? (() => new Date());
  const debounceMs = options.debounceMs ?? 10;
  return new StandaloneRuntime({
    source: settleInPlaceWrites(new FileSource(options.dir, { clock }), options.dir),
    dataPlane: createDataPlane({ log: (level, msg, fields) => log.log(level, msg, fields) }),
    translate,
    mergeTransitionTimes,
    ...(options.watch === false ? {} : { watch: (onChange: () => void) => watchWithTopLevelFallback(options.dir, onChange, debounceMs) }),
    controllerName: options.controllerName,
    addressPool: options.addressPool,
    // Interfaces are read per pass, so an address added to the host later becomes usable.
    isUsable: (ip) => isBindableAddress(ip, localInterfaceAddresses()),
    clock,
    log,
    formatIssue,
  });
}

/**
 * watchDirectory plus a plain (non-recursive) fs.watch on DIR itself.
 *
 * Why: Node 20's recursive fs.watch on Linux keeps watching a file's old inode after the file
 * was replaced by a rename, so a later in-place write to it goes unseen until the 2 s rescan.
 * The plain watcher sees every write to a top-level file. (Workaround until the file source's
 * watcher covers it; subdirectories still rely on the recursive watcher and the rescan.)
 */
function watchWithTopLevelFallback(dir: string, onChange: () => void, debounceMs: number): { close(): void } {
  const inner = watchDirectory(dir, onChange, { debounceMs });
  let pending: NodeJS.Timeout | null = null;
  let closed = false;
  let plain: FSWatcher | null = null;
  try {
    plain = fsWatch(dir, { persistent: false }, () => {
      if (closed || pending) return;
      pending = setTimeout(() => {
        pending = null;
        if (!closed) onChange();
      }, debounceMs);
    });
    plain.on('error', () => {
      plain?.close();
      plain = null;
    });
  } catch {
    plain = null; // the recursive watcher and its rescan still run
  }
  return {
    close() {
      closed = true;
      if (pending) clearTimeout(pending);
      plain?.close();
      inner.close();
    },
  };
}
