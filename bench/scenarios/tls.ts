/**
 * `tls`: HTTPS (TLS 1.3 keep-alive, wrk) and HTTP/2 (h2load -c10 -m10) side by side with nginx.
 * Pending: waygate terminates TLS later. The seam: add `nginx-tls`/`nginx-h2` and
 * `waygate-tls`/`waygate-h2` targets in BenchContext (a self-signed ECDSA P-256 certificate in a
 * Secret for waygate, `listen … ssl` / `ssl http2` for nginx, `bind … ssl crt` for HAProxy),
 * then reuse the http1 measurement with an https URL and an h2load runner.
 */
import type { BenchContext } from '../lib/context.js';
import type { ScenarioResult } from '../lib/results.js';
import { result } from './common.js';

export async function runTls(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  const h2load = ctx.has('h2load') ? 'h2load is installed' : 'h2load is not installed';
  return result('tls', 'pending', t0, [
    `HTTPS and HTTP/2 scenarios are pending until waygate terminates TLS (${h2load}).`,
    'Anchors from docs/performance-notes: nginx-TLS ≈39–44k rps per core, nginx-h2 ≈34k; target ≥0.30× nginx.',
  ], [], null);
}
