/**
 * `host:port` parsing for `--admin-address`, and the loopback check that keeps the admin
 * endpoint private by default.
 */
import { isIP } from 'node:net';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `127.0.0.1:9901`, `[::1]:9901`, `localhost:9901` or `:9901` (loopback). Port 0 asks
 * the OS for a free port. Throws an Error with a readable message on bad input.
 */
export function parseHostPort(text: string, defaultHost = '127.0.0.1'): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new Error(`${JSON.stringify(text)} is not host:port (e.g. 127.0.0.1:9901 or [::1]:9901)`);
  const host = m[1] ?? (m[2] || defaultHost);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`${JSON.stringify(text)}: port must be at most 65535`);
  if (m[1] !== undefined && isIP(m[1]) !== 6) throw new Error(`${JSON.stringify(text)}: brackets must hold an IPv6 address`);
  return { host, port };
}

/** True for `localhost`, 127.0.0.0/8 and ::1. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const family = isIP(host);
  if (family === 4) return host.startsWith('127.');
  if (family === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** `host:port` with IPv6 bracketed, for URLs and logs. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
