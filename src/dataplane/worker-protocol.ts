/**
 * Messages between the controller process and a data plane worker process (src/dataplane/
 * worker.ts, started by src/runtime/workers.ts), sent over the cluster IPC channel with
 * structured-clone serialization. Plain data only.
 */
import type * as ir from '../ir/types.js';
import type { DataPlaneStats, ServerError } from './index.js';

/** Controller → worker. */
export type ToWorker =
  /**
   * A config to apply. Each server is either sent whole or, when unchanged, named: a string is
   * the name of a server of the config this worker last applied successfully (only the servers
   * that changed cross the process boundary).
   */
  | { readonly type: 'apply'; readonly seq: number; readonly version: ir.Config['version']; readonly servers: readonly (ir.Server | string)[] }
  | { readonly type: 'close'; readonly graceMs: number };

/** Worker → controller. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'applied'; readonly seq: number; readonly errors: readonly ServerError[]; readonly stats: DataPlaneStats }
  | { readonly type: 'apply-failed'; readonly seq: number; readonly code: string; readonly message: string }
  | { readonly type: 'stats'; readonly stats: DataPlaneStats }
  | { readonly type: 'log'; readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly msg: string; readonly fields: Record<string, unknown> | null }
  | { readonly type: 'closed' };

/** How often a worker reports its counters (the admin endpoint shows the sum). */
export const STATS_INTERVAL_MS = 500;
