/**
 * RequestMirror: fire-and-forget copies of a request.
 *
 * Spec (HTTPRequestMirrorFilter): "RequestMirror defines a schema for a filter that mirrors
 * requests. Requests are sent to the specified destination, but responses from that destination
 * are ignored." Each copy goes to one endpoint of the mirror backend (round-robin), its answer
 * is read and dropped, failures are ignored. The copy carries the method, the rewritten target
 * and headers; the body only when it was small enough to be buffered (see upstream/body.ts),
 * otherwise none, so mirroring never slows the main request down.
 */
import type { HeaderMap } from '../headers.js';
import type { CompiledMirror } from '../router/types.js';
import { sendH2c } from '../upstream/attempt.js';
import { DISCARD_OWNER, Http1Exchange } from '../upstream/h1-exchange.js';
import { nextEndpoint } from '../upstream/balancer.js';
import type { UpstreamPools } from '../upstream/pools.js';

/** Mirror copies get at most this long to answer before they are dropped. */
const MIRROR_TIMEOUT_MS = 10_000;

function copyHeaders(headers: HeaderMap, withBody: boolean): HeaderMap {
  const out = Object.assign(Object.create(null) as HeaderMap, headers);
  if (!withBody) {
    delete out['content-length'];
    delete out['transfer-encoding'];
  }
  return out;
}

/** Sends each selected mirror copy and forgets about it. */
export function sendMirrors(
  pools: UpstreamPools,
  mirrors: readonly CompiledMirror[],
  method: string,
  target: string,
  headers: HeaderMap,
  body: Buffer | null,
  bodyDropped: boolean,
): void {
  for (let i = 0; i < mirrors.length; i++) {
    const b = (mirrors[i] as CompiledMirror).backend;
    if (b.kind !== 'service' || b.endpoints.length === 0 || b.protocol === 'ws') continue;
    const h = copyHeaders(headers, !bodyDropped);
    if (bodyDropped) h['content-length'] = '0';
    const e = nextEndpoint(b);
    if (b.protocol === 'h2c' || b.protocol === 'h2') {
      sendH2c(pools, e, { method, target, headers: h, body, signal: null, timeoutMs: MIRROR_TIMEOUT_MS, tls: b.tls }).then(
        (res) => {
          res.body.on('error', () => undefined);
          res.body.resume();
        },
        () => undefined,
      );
      continue;
    }
    new Http1Exchange(DISCARD_OWNER).send(pools.pool(e, b.tls), {
      method,
      target,
      headers: h,
      body,
      headersTimeoutMs: MIRROR_TIMEOUT_MS,
      servername: b.tls === null ? null : b.tls.serverName,
    });
  }
}
