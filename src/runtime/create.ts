/**
 * Wires the standalone runtime to the real parts: the file source and its watcher, the
 * controller's translate(), and the HTTP data plane.
 */
import { mergeTransitionTimes } from '../controller/status.js';
import { translate, TranslateCache } from '../controller/translate.js';
import { createDataPlane } from '../dataplane/index.js';
import { FileSource } from '../source/file/file-source.js';
import { formatIssue } from '../source/file/issues.js';
import { watchDirectory } from '../source/file/watch.js';
import { silentLogger, type Logger } from '../log.js';
import { isBindableAddress, localInterfaceAddresses } from './addresses.js';
import { StandaloneRuntime } from './standalone.js';
import { WorkerPool } from './workers.js';

export interface CreateRuntimeOptions {
  /** Directory of Gateway API YAML. */
  readonly dir: string;
  readonly controllerName: string;
  readonly addressPool: readonly string[];
  readonly log?: Logger;
  readonly clock?: () => Date;
  /** Debounce of the directory watcher (default 2 ms: a rename is one event; torn in-place writes are re-read). */
  readonly debounceMs?: number;
  /** Watch the directory (default true); false: passes run only on reload(). */
  readonly watch?: boolean;
  /**
   * Data plane worker processes (default 0): 2 or more run the data plane in that many worker
   * processes sharing the listening sockets (./workers.ts); 0 or 1 keep it in this process.
   */
  readonly workers?: number;
}

/** A StandaloneRuntime over a directory, not yet started. */
export function createStandaloneRuntime(options: CreateRuntimeOptions): StandaloneRuntime {
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? (() => new Date());
  const debounceMs = options.debounceMs ?? 2;
  // Per-route work of earlier passes is reused (translate-cache.ts); the result is the same.
  const cache = new TranslateCache();
  return new StandaloneRuntime({
    source: new FileSource(options.dir, { clock }),
    dataPlane:
      (options.workers ?? 0) >= 2
        ? new WorkerPool({ workers: options.workers ?? 2, log: log.child({ component: 'dataplane' }) })
        : createDataPlane({ log: (level, msg, fields) => log.log(level, msg, fields) }),
    translate: (snapshot, opts) => translate(snapshot, { ...opts, cache }),
    mergeTransitionTimes,
    ...(options.watch === false ? {} : { watch: (onChange) => watchDirectory(options.dir, onChange, { debounceMs }) }),
    controllerName: options.controllerName,
    addressPool: options.addressPool,
    // Interfaces are read per pass, so an address added to the host later becomes usable.
    isUsable: (ip) => isBindableAddress(ip, localInterfaceAddresses),
    clock,
    log,
    formatIssue,
  });
}
