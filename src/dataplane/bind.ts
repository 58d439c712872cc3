/**
 * Binding a server socket (TCP/TLS/HTTP servers and UDP sockets), one way: a bind failure
 * rejects with GW_ERR_BIND and leaves nothing listening; once bound, later socket errors are
 * logged against the server instead of crashing the process.
 */
import type { EventEmitter } from 'node:events';
import type { Server } from 'node:net';
import { DataPlaneError, GW_ERR } from './errors.js';
import type { LogFn } from './upstream/forward.js';

/** How to bind one socket. */
export interface BindSpec {
  /** Starts binding (`server.listen(...)`, `socket.bind(...)`): the socket then emits 'listening' or 'error'. */
  readonly start: () => void;
  /** Named in the error message: `cannot listen on <what>: <code>`. */
  readonly what: string;
  /** Logged for socket errors after binding. */
  readonly errorMessage: string;
  /** The server name logged with socket errors (read when the error happens). */
  readonly server: () => string;
  readonly log: LogFn;
  /** Undoes what the caller set up for a socket that never bound (timers, ...). */
  readonly onFail?: () => void;
}

/** Binds `socket` as `spec` says. Rejects with GW_ERR_BIND on failure. */
export function bindSocket(socket: EventEmitter, spec: BindSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    const onBound = (): void => {
      socket.removeListener('error', onError);
      socket.on('error', (err: NodeJS.ErrnoException) => spec.log('error', spec.errorMessage, { server: spec.server(), code: err.code }));
      resolve();
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      socket.removeListener('listening', onBound);
      spec.onFail?.();
      reject(new DataPlaneError(GW_ERR.BIND, `cannot listen on ${spec.what}: ${err.code ?? err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    socket.once('listening', onBound);
    spec.start();
  });
}

/**
 * Binds a TCP server (HTTP, TLS or plain) to an address and port; `name()` is read when a later
 * socket error is logged. `exclusive: false` lets cluster workers share the socket.
 */
export function listenServer(server: Server, address: string, port: number, name: () => string, log: LogFn): Promise<void> {
  return bindSocket(server, {
    start: () => server.listen({ host: address, port, exclusive: false }),
    what: `${address}:${port}`,
    errorMessage: 'server socket error',
    server: name,
    log,
  });
}

/** The port a socket is bound to, or null before binding (net servers and dgram sockets). */
export function boundPortOf(socket: { address(): unknown }): number | null {
  try {
    const a = socket.address();
    return a !== null && typeof a === 'object' && 'port' in a && typeof a.port === 'number' ? a.port : null;
  } catch {
    return null; // dgram: not bound yet
  }
}
