/**
 * A small structured logger for the shell (CLI, runtime, admin server).
 *
 * One line per record on a writable stream (stderr by default), either JSON
 * (`{"time":…,"level":…,"msg":…,…fields}`) or human text
 * (`2026-01-01T00:00:00.000Z INFO  msg key=value`). The level is checked before anything is
 * formatted, so disabled debug calls cost one comparison.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';

/** Fields attached to one record; values must be JSON-serialisable. */
export type LogFields = Record<string, unknown>;

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** The logger every shell component takes. */
export interface Logger {
  readonly level: LogLevel;
  enabled(level: LogLevel): boolean;
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose records all carry `fields` too. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly format?: LogFormat;
  /** Where lines go; defaults to process.stderr. */
  readonly write?: (line: string) => void;
  /** Clock for timestamps (tests inject one). */
  readonly clock?: () => Date;
}

/** True when `s` names a level. */
export function isLogLevel(s: string): s is LogLevel {
  return Object.prototype.hasOwnProperty.call(LEVEL_RANK, s);
}

/** Turns an Error (or anything thrown) into loggable fields, keeping the stack. */
export function errorFields(err: unknown): LogFields {
  if (err instanceof Error) return { error: err.message, stack: err.stack ?? null };
  return { error: String(err) };
}

/** Creates a logger. */
export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const level = options.level ?? 'info';
  const format = options.format ?? 'text';
  const write = options.write ?? ((line: string) => { process.stderr.write(line); });
  const clock = options.clock ?? (() => new Date());
  const threshold = LEVEL_RANK[level];

  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVEL_RANK[lvl] < threshold) return;
    const all = fields ? { ...bound, ...fields } : bound;
    const time = clock().toISOString();
    write(format === 'json' ? formatJson(time, lvl, msg, all) : formatText(time, lvl, msg, all));
  };

  return {
    level,
    enabled: (lvl) => LEVEL_RANK[lvl] >= threshold,
    log: emit,
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

/** A logger that drops everything (library use, tests). */
export const silentLogger: Logger = createLogger({ level: 'error', write: () => {} });

function formatJson(time: string, level: LogLevel, msg: string, fields: LogFields): string {
  return `${safeStringify({ time, level, msg, ...fields })}\n`;
}

function formatText(time: string, level: LogLevel, msg: string, fields: LogFields): string {
  let line = `${time} ${level.toUpperCase().padEnd(5)} ${msg}`;
  let stack: string | null = null;
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'stack' && typeof v === 'string') { stack = v; continue; }
    const text = typeof v === 'string' ? v : safeStringify(v);
    line += ` ${k}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
  }
  if (stack) line += `\n${stack.replace(/^/gm, '    ')}`;
  return `${line}\n`;
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'undefined';
  } catch {
    return '"[unserialisable]"';
  }
}
