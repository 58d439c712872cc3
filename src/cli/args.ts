/**
 * Shared pieces of command-line parsing (node:util parseArgs, no framework).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseHostPort, type HostPort } from '../admin/address.js';
import { isLogLevel, type LogFormat, type LogLevel } from '../log.js';
import { parseAddressPool } from '../runtime/addresses.js';

/** A usage error: the command prints it with the usage text and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Where a command writes; tests capture these. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** The process's stdout and stderr. */
export const processIo: Io = {
  out: (text) => { process.stdout.write(text); },
  err: (text) => { process.stderr.write(text); },
};

/** Exit codes of every command. */
export const EXIT_OK = 0;
/** Input problems (validate found issues) or a failure at run time. */
export const EXIT_FAILURE = 1;
/** Bad flags or arguments. */
export const EXIT_USAGE = 2;

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs in strict mode; turns its errors into UsageError. */
export function parseFlags<T extends Options>(argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** `-o yaml|json` (or absent). */
export type OutputFormat = 'yaml' | 'json' | null;

/** Validates an `-o` value. */
export function parseOutput(value: string | undefined): OutputFormat {
  if (value === undefined) return null;
  if (value === 'yaml' || value === 'json') return value;
  throw new UsageError(`-o must be yaml or json, not ${JSON.stringify(value)}`);
}

/**
 * Parses a duration flag: `10s`, `500ms`, `1m` or a bare number of milliseconds.
 */
export function parseDurationMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} must be a duration such as 10s or 500ms, not ${JSON.stringify(text)}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(unit === 'm' ? n * 60_000 : unit === 's' ? n * 1000 : n);
}

/** Default `--controller-name`. */
export const DEFAULT_CONTROLLER_NAME = 'waygate.dev/gateway-controller';
/** Default `--admin-address`. */
export const DEFAULT_ADMIN_ADDRESS = '127.0.0.1:9901';

/** Requires `-f DIR`. */
export function requireDir(value: string | undefined): string {
  if (!value) throw new UsageError('-f DIR is required (a directory of Gateway API YAML)');
  return value;
}

/** `--log-level` and `--log-format`, validated. */
export function parseLogFlags(level: string, format: string): { level: LogLevel; format: LogFormat } {
  if (!isLogLevel(level)) throw new UsageError('--log-level must be debug, info, warn or error');
  if (format !== 'text' && format !== 'json') throw new UsageError('--log-format must be text or json');
  return { level, format };
}

/** A `host:port` flag such as `--admin-address`; bad input is a UsageError naming the flag. */
export function parseAddressFlag(text: string, flag: string): HostPort {
  try {
    return parseHostPort(text);
  } catch (err) {
    throw new UsageError(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** `--address-pool` (a CIDR or a comma list); bad input is a UsageError. */
export function parsePoolFlag(text: string): string[] {
  try {
    return parseAddressPool(text);
  } catch (err) {
    throw new UsageError(`--address-pool: ${err instanceof Error ? err.message : String(err)}`);
  }
}
