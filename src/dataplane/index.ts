/**
 * The data plane's public face. It knows only the IR.
 * (Placeholder: the real implementation lands with the data plane.)
 */
import type * as ir from '../ir/types.js';

export interface ServerError {
  /** ir.Server name */
  readonly server: string;
  readonly address: string;
  readonly port: number;
  readonly code: string;
  readonly message: string;
}

export interface ApplyResult {
  /** Servers that could not be bound; everything else is serving the new config. */
  readonly errors: readonly ServerError[];
}

export interface DataPlaneOptions {
  /** Structured log sink; the data plane never writes to stdout itself. */
  readonly log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

export interface DataPlane {
  /** Compiles `config` beside the current one and swaps it in atomically. Never drops requests in flight. */
  apply(config: ir.Config): Promise<ApplyResult>;
  /** The config currently served. */
  current(): ir.Config;
  /** Stops listening, lets requests in flight finish (up to `graceMs`), closes upstream pools. */
  close(graceMs?: number): Promise<void>;
}
