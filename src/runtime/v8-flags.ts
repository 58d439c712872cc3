/**
 * V8 flags a data plane process runs with. They only take effect on the node command line
 * (V8 reads them when it sets up the heap; `v8.setFlagsFromString` afterwards has no effect),
 * so they are given where waygate starts a process: the executable (`bin/waygate.js`, whose
 * first line has sh exec node with them), the container image's entrypoint, and the data plane
 * workers of `serve --workers N` (./workers.ts). A process started another way says at start
 * that they are missing.
 *
 * `--no-memory-reducer`: after ~8 s without allocation, V8's memory reducer collects garbage
 * to shrink the heap and then keeps the old generation's limit close to its live size until
 * the heap grows by several MB, which a proxy's heap never does. Under load that followed an
 * idle spell, the ArrayBuffers of socket reads (64 KiB per read of a large body) then kept
 * incremental marking running: a Mark-Compact every ~40 ms, for as long as the process lived.
 * Measured with the bench's `http1` scenario (docs/performance.md §11): 64 KiB bodies 92 → 51
 * µs of CPU per request, 3 B bodies 29 → 26 µs. What is given up: a process that went idle
 * after a burst keeps the heap the burst grew.
 *
 * `--v8-pool-size=1` (a node option: the size of V8's background thread pool, 4 by default):
 * waygate runs one data plane process per core (`serve --workers`, one proxy per pod), so four
 * GC helper threads per process oversubscribe the cores, and on a process's own core they take
 * it from the main thread while they mark: 170–250 ms of background marking per Mark-Compact
 * while 5k routes churned, and the config pass stalled 20–30 ms around it. With one thread,
 * pooled over alternating runs of the bench's `propagation` (docs/performance.md §13): churn p99
 * 35.3 → 27.4 ms and 34.2 → 23.3 ms (500 and 600 probes), throughput unchanged (`http1`: 3 B
 * 26.0/25.4 → 26.6/24.9 µs, 64 KiB 48.7/50.1 → 47.4/44.8 µs per request). The launcher gives it
 * to `waygate controller` too (one process per pod as well); `propagation-k8s`, where controller
 * and proxy share one core, was not worse with it (3 alternating runs each).
 */
import type { Logger } from '../log.js';

export const DATA_PLANE_V8_FLAGS: readonly string[] = ['--no-memory-reducer', '--v8-pool-size=1'];

/**
 * The flag a command-line argument sets, whatever its value or polarity: `--v8-pool-size=2` and
 * `--v8_pool_size=4` are both `v8-pool-size`, `--memory-reducer` and `--no_memory_reducer` both
 * `memory-reducer` (V8 and node take `_` for `-`); null for an argument that is not a flag.
 */
function flagName(arg: string): string | null {
  if (!arg.startsWith('--')) return null;
  const name = arg.slice(2).split('=')[0]!.replaceAll('_', '-');
  return name.startsWith('no-') ? name.slice(3) : name;
}

/**
 * The data plane flags `execArgv` lacks. A flag the operator set otherwise (`--v8-pool-size=2`,
 * `--memory-reducer`) is not lacking: their choice stands, and is not overridden or reported.
 */
export function missingV8Flags(execArgv: readonly string[]): string[] {
  const given = new Set(execArgv.map(flagName));
  return DATA_PLANE_V8_FLAGS.filter((f) => !given.has(flagName(f)));
}

/** `execArgv` with the data plane flags it lacks added in front (for forked data plane workers). */
export function withDataPlaneFlags(execArgv: readonly string[]): string[] {
  return [...missingV8Flags(execArgv), ...execArgv];
}

/** Says so, once at start, when this process serves traffic without the data plane flags. */
export function logMissingV8Flags(log: Logger, execArgv: readonly string[] = process.execArgv): void {
  const missing = missingV8Flags(execArgv);
  if (missing.length === 0) return;
  log.info('node was started without the data plane V8 flags: large bodies can cost up to twice the CPU after an idle spell, and GC threads compete with the config passes (bin/waygate.js and the image add them)', { missing: missing.join(' ') });
}
