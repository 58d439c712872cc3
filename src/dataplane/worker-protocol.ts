/**
 * Messages between the controller process and a data plane worker process (src/dataplane/
 * worker.ts, started by src/runtime/workers.ts), sent over the cluster IPC channel with
 * structured-clone serialization. Plain data only.
 */
import type { EncodedServers } from '../ir/delta.js';
import type * as ir from '../ir/types.js';
import type { DataPlaneStats, ServerError } from './index.js';

/** Controller → worker. */
export type ToWorker =
  /**
   * A config to apply: `names` are its servers in order. The servers that changed since the
   * config this worker last applied are in `changed`, encoded by src/ir/delta.ts (what the
   * worker already holds travels as ids); every other name is a server of that config.
   */
  | { readonly type: 'apply'; readonly seq: number; readonly version: ir.Config['version']; readonly names: readonly string[]; readonly changed: EncodedServers }
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
