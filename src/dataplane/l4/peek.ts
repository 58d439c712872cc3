/**
 * Reading the first bytes of a connection without losing them: collect data until the
 * ClientHello is complete (or the limit or the timeout is hit), then hand back everything read
 * so the caller can replay it — to a backend (passthrough) or into a TLS server socket
 * (terminate, through `replayingDuplex`).
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { parseClientHello } from './client-hello.js';

export type PeekResult =
  | { readonly ok: true; readonly sni: string | null; readonly head: Buffer }
  | { readonly ok: false; readonly reason: string };

/**
 * Waits for a complete ClientHello on `socket`. Leaves the socket paused with its 'data'
 * listener removed; `head` holds every byte read. Fails on a malformed or oversized hello, on
 * EOF, on a socket error and after `timeoutMs`.
 */
export function peekClientHello(socket: Socket, maxBytes: number, timeoutMs: number): Promise<PeekResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (r: PeekResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.pause();
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('error', onError);
      resolve(r);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
      const parsed = parseClientHello(head, maxBytes);
      if (parsed.kind === 'partial') return;
      if (parsed.kind === 'invalid') finish({ ok: false, reason: parsed.reason });
      else finish({ ok: true, sni: parsed.sni, head });
    };
    const onEnd = (): void => finish({ ok: false, reason: 'connection closed before the ClientHello' });
    const onError = (err: Error): void => finish({ ok: false, reason: err.message });
    const timer = setTimeout(() => finish({ ok: false, reason: 'no ClientHello in time' }), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
    socket.resume();
  });
}

/**
 * A Duplex over `socket` that first yields `head` (bytes already read from it), then whatever
 * the socket reads. TLS server sockets built on a net.Socket read its native handle directly,
 * so `unshift` would be lost; through a plain Duplex they read via JS.
 */
export function replayingDuplex(socket: Socket, head: Buffer): Duplex {
  const duplex = new Duplex({
    allowHalfOpen: true,
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  if (head.length > 0) duplex.push(head);
  socket.on('data', (d: Buffer) => {
    if (!duplex.push(d)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('error', (err) => duplex.destroy(err));
  socket.on('close', () => duplex.destroy());
  return duplex;
}
