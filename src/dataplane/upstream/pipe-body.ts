/**
 * Streaming a backend's response body to the client with backpressure: what
 * `stream.pipeline(body, res, cb)` does for this one case, without the AbortController (and the
 * DOMException its abort builds) that pipeline creates per call — about 8 % of the proxy's CPU
 * per small request in a profile of the http1 benchmark.
 *
 * Client gone before the end: the body is destroyed (which releases the backend connection; a
 * paused body would otherwise hold it forever, see performance-notes B.10) and `done` gets an
 * `ERR_STREAM_PREMATURE_CLOSE` error. Body error: the response is destroyed. Either way `done`
 * is called exactly once.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

function prematureClose(): Error {
  return Object.assign(new Error('premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

const ignore = (): void => undefined;

/** Pipes `body` into `res`, then calls `done(null)` once `res` finished (or `done(err)`). */
export function pipeBody(body: Readable, res: ServerResponse, done: (err: Error | null) => void): void {
  let finished = false;
  const onData = (chunk: Buffer): void => {
    if (!res.write(chunk)) body.pause();
  };
  const onDrain = (): void => {
    body.resume();
  };
  const onEnd = (): void => {
    res.end();
  };
  const finish = (err: Error | null): void => {
    if (finished) return;
    finished = true;
    body.removeListener('data', onData);
    body.removeListener('end', onEnd);
    body.removeListener('error', onBodyError);
    body.on('error', ignore); // late errors of a destroyed body must not go unhandled
    res.removeListener('drain', onDrain);
    res.removeListener('finish', onFinish);
    res.removeListener('close', onClose);
    done(err);
  };
  const onFinish = (): void => finish(null);
  const onBodyError = (err: Error): void => {
    res.destroy(err);
    finish(err);
  };
  const onClose = (): void => {
    if (res.writableFinished) return finish(null);
    body.destroy();
    finish(prematureClose());
  };
  body.on('data', onData);
  body.once('end', onEnd);
  body.once('error', onBodyError);
  res.on('drain', onDrain);
  res.once('finish', onFinish);
  res.once('close', onClose);
  if (res.destroyed) onClose();
}
