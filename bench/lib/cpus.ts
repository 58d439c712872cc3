/**
 * CPU pinning. The benchmark machine has 2 cores: the proxy under test runs alone on the last
 * core, the load generator and the backend share core 0. With one core (or no `taskset`)
 * nothing is pinned and the summary says so.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface CpuPlan {
  /** Core for wrk / the Node load generator / the backend (null: unpinned). */
  readonly load: number | null;
  /** Core for the proxy under test, and for the "direct" backend copy. */
  readonly proxy: number | null;
  /** Cores this process could use before pinning itself. */
  readonly cores: number;
  readonly note: string;
}

let tasksetOk: boolean | null = null;

function hasTaskset(): boolean {
  if (tasksetOk === null) {
    try {
      execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
      tasksetOk = true;
    } catch {
      tasksetOk = false;
    }
  }
  return tasksetOk;
}

/** Decides the pinning from the core count and whether taskset works. */
export function planCpus(cores = availableParallelism()): CpuPlan {
  if (cores < 2) return { load: null, proxy: null, cores, note: `unpinned: only ${cores} core` };
  if (!hasTaskset()) return { load: null, proxy: null, cores, note: 'unpinned: taskset not available' };
  const proxy = cores - 1;
  return { load: 0, proxy, cores, note: `proxy on core ${proxy}; load generator, backend and harness on core 0` };
}

/** Prefixes `argv` with `taskset -c CPU` when a core is given. */
export function pinned(cpu: number | null, argv: readonly string[]): string[] {
  return cpu === null ? [...argv] : ['taskset', '-c', String(cpu), ...argv];
}

/** Pins an already running process (e.g. this orchestrator) to `cpu`; best effort. */
export function pinProcess(pid: number, cpu: number | null): void {
  if (cpu === null) return;
  try {
    execFileSync('taskset', ['-pc', String(cpu), String(pid)], { stdio: 'ignore' });
  } catch {
    // not fatal: the run is just less clean
  }
}
