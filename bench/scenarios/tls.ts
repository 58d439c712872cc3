/**
 * `tls`: HTTPS and HTTP/2 through nginx and waygate, measured like `http1`.
 * - **https**: TLS 1.3, HTTP/1.1 keep-alive, `wrk -t1 -c50` (3 B body).
 * - **h2**: HTTP/2 over TLS 1.3 (ALPN h2), `h2load -t1 -c10 -m10` (3 B body).
 * Both proxies terminate TLS with the same self-signed ECDSA P-256 certificate and reach the
 * shared nginx backend over plain HTTP/1.1 keep-alive (tls-targets.ts). Interleaved rounds with
 * the target order rotated, a warm-up per target and variant, proxy CPU µs per request and the
 * ratio to nginx in the same round (tls-load.ts). Handshakes happen once per connection: the
 * figures are per request on established connections.
 */
import type { BenchContext, Target } from '../lib/context.js';
import { proxyTable, summarizeProxyRuns } from '../lib/aggregate.js';
import { rotate } from '../lib/measure.js';
import type { ProxyRun, ScenarioResult } from '../lib/results.js';
import { runWrk } from '../lib/wrk.js';
import { message, result } from './common.js';
import { MAX_OTHER, measureProxyRun, wrkCounts } from '../lib/proxy-run.js';
import { runH2load, type LoadResult } from './tls-load.js';
import { makeCertificate, startNginxTls, startWaygateTls } from './tls-targets.js';

const REFERENCES = ['nginx'];
const WRK_CONNECTIONS = 50;
const H2_CONNECTIONS = 10;
const H2_STREAMS = 10;

interface Variant {
  readonly name: string;
  readonly tool: 'wrk' | 'h2load';
  readonly run: (url: string, durationS: number, cpu: number | null) => Promise<LoadResult>;
}

const VARIANTS: readonly Variant[] = [
  {
    name: 'https (TLS 1.3, HTTP/1.1)',
    tool: 'wrk',
    run: async (url, durationS, cpu) => wrkCounts(await runWrk({ url, connections: WRK_CONNECTIONS, durationS, cpu })),
  },
  {
    name: 'h2 (TLS 1.3)',
    tool: 'h2load',
    run: (url, durationS, cpu) => runH2load({ url, connections: H2_CONNECTIONS, streams: H2_STREAMS, durationS, cpu }),
  },
];

function url(t: Target): string {
  return `https://${t.host}/`;
}

export async function runTls(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  if (!ctx.has('nginx')) return result('tls', 'skipped', t0, ['needs nginx (not installed)'], [], null);
  const variants = VARIANTS.filter((v) => ctx.has(v.tool));
  const notes = VARIANTS.filter((v) => !ctx.has(v.tool)).map((v) => `${v.name} skipped: ${v.tool} is not installed`);
  if (variants.length === 0) return result('tls', 'skipped', t0, notes, [], null);
  let targets: Target[];
  try {
    const cert = makeCertificate(ctx.dir('tls-cert'));
    targets = [await startNginxTls(ctx, cert)];
    try {
      targets.push(await startWaygateTls(ctx, cert));
    } catch (e) {
      notes.push(`waygate skipped: ${message(e)}`);
    }
  } catch (e) {
    return result('tls', 'skipped', t0, [...notes, `cannot set up TLS: ${message(e)}`], [], null);
  }
  const runs: ProxyRun[] = [];
  const errors: string[] = [];
  const warm = ctx.opts.smoke ? 0 : 3;
  if (warm > 0) {
    for (const t of targets) for (const v of variants) await v.run(url(t), warm, ctx.cpus.load).catch(() => undefined);
  }
  for (let r = 0; r < ctx.opts.rounds; r++) {
    for (const v of variants) for (const t of rotate(targets, r)) {
      try {
        runs.push(await measureProxyRun(ctx, t, v.name, r, () => v.run(url(t), ctx.opts.durationS, ctx.cpus.load)));
      } catch (e) {
        errors.push(`${t.name} ${v.name} round ${r}: ${message(e)}`);
      }
    }
    ctx.log(`tls: round ${r + 1}/${ctx.opts.rounds} done`);
  }
  const rows = summarizeProxyRuns(runs, REFERENCES);
  notes.push(
    `https: wrk -t1 -c${WRK_CONNECTIONS} -d${ctx.opts.durationS}s --latency; h2: h2load -t1 -c${H2_CONNECTIONS} -m${H2_STREAMS} -D ${ctx.opts.durationS} (p50 column: h2load's mean time per request; it prints no percentiles)`,
    `${ctx.opts.rounds} interleaved round(s); ${ctx.cpus.note}; same certificate (ECDSA P-256, TLS 1.3 only) on both proxies, plain HTTP/1.1 keep-alive to the backend`,
    `rounds are rejected when steal exceeds ${Math.round(ctx.opts.maxSteal * 100)}% on a core or other programs take more than ${MAX_OTHER * 100}% of the proxy core`,
    ...errors,
  );
  const status = errors.length > 0 || !targets.some((t) => t.name === 'waygate') ? 'partial' : 'ok';
  return result('tls', status, t0, notes, [proxyTable('HTTPS and HTTP/2 through each proxy', rows, REFERENCES)], { runs, rows });
}
