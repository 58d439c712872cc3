/**
 * h2c with prior knowledge on plain HTTP listeners (RFC 9113 §3.3): a client that knows the
 * server speaks HTTP/2 opens with the connection preface. The first bytes of each connection are
 * read until they either are the preface or cannot be; then they are put back on the socket and
 * the connection goes to the HTTP/2 server or the HTTP/1.1 server.
 *
 * Spec (HTTP listeners, GRPCRoute godoc): "Implementations MUST support HTTP/2 over cleartext
 * TCP (h2c, https://www.rfc-editor.org/rfc/rfc7540#section-3.1) without an initial upgrade
 * from HTTP/1.1, i.e. with prior knowledge".
 */
import type { Socket } from 'node:net';

/** The HTTP/2 client connection preface. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * Reads the first bytes of `socket` and calls `dispatch(isHttp2)` once it can tell, with the
 * bytes unshifted back and the socket paused (the receiver resumes it). A socket that sends
 * nothing for `timeoutMs`, ends or fails first is destroyed without a dispatch.
 */
export function sniffPreface(socket: Socket, timeoutMs: number, dispatch: (isHttp2: boolean) => void): void {
  let head: Buffer | null = null;
  const timer = timeoutMs > 0 ? setTimeout(() => socket.destroy(), timeoutMs) : null;
  const stop = (): void => {
    if (timer !== null) clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('end', onGone);
    socket.removeListener('error', onGone);
  };
  const onGone = (): void => {
    stop();
    socket.destroy();
  };
  const onData = (chunk: Buffer): void => {
    head = head === null ? chunk : Buffer.concat([head, chunk]);
    const n = Math.min(head.length, H2_PREFACE.length);
    const prefix = head.compare(H2_PREFACE, 0, n, 0, n) === 0;
    if (prefix && head.length < H2_PREFACE.length) return; // could still be the preface
    stop();
    socket.pause();
    socket.unshift(head);
    dispatch(prefix);
  };
  socket.on('data', onData);
  socket.once('end', onGone);
  socket.once('error', onGone);
}
