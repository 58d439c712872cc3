/**
 * Entry point of a data plane worker process (`waygate serve --workers N`, N ≥ 2): an HTTP data
 * plane that receives each IR from the controller process over IPC (changed servers only, as
 * deltas: src/ir/delta.ts), applies it and acknowledges it. Listening sockets are shared between workers through node:cluster (every listener binds
 * with `exclusive: false`). The worker never exits on SIGINT/SIGTERM itself: the controller
 * process drains it (`close`); if the controller goes away, the worker drains and exits too.
 */
import { IrDecoder } from '../ir/delta.js';
import type * as ir from '../ir/types.js';
import { createDataPlane } from './data-plane.js';
import { DataPlaneError, GW_ERR } from './errors.js';
import { STATS_INTERVAL_MS, type FromWorker, type ToWorker } from './worker-protocol.js';

function send(m: FromWorker): void {
  if (process.connected) process.send?.(m);
}

const dataPlane = createDataPlane({
  log: (level, msg, fields) => send({ type: 'log', level, msg, fields: fields ?? null }),
});

let closing = false;
async function shutdown(graceMs: number): Promise<void> {
  if (closing) return;
  closing = true;
  clearInterval(statsTimer);
  await dataPlane.close(graceMs).catch(() => undefined);
  send({ type: 'closed' });
  process.disconnect?.();
  // Nothing else should keep the process alive; do not wait for stragglers.
  setTimeout(() => process.exit(0), 100).unref();
}

/** What this worker holds of the configs it applied (src/ir/delta.ts): an apply message names unchanged servers. */
const decoder = new IrDecoder();

/** The config an apply message describes; throws if it names a server this worker does not have. */
function resolveConfig(m: Extract<ToWorker, { type: 'apply' }>): { config: ir.Config; commit: () => void } {
  const { servers, commit } = decoder.decodeConfig(m.names, m.changed);
  return { config: { version: m.version, servers }, commit };
}

process.on('message', (m: ToWorker) => {
  if (m.type === 'apply') {
    let resolved: ReturnType<typeof resolveConfig>;
    try {
      resolved = resolveConfig(m);
    } catch (err) {
      send({ type: 'apply-failed', seq: m.seq, code: 'GW_ERR_INTERNAL', message: err instanceof Error ? err.message : String(err) });
      return;
    }
    const { config, commit } = resolved;
    dataPlane.apply(config).then(
      (r) => {
        commit();
        send({ type: 'applied', seq: m.seq, errors: r.errors, stats: dataPlane.stats() });
      },
      (err: unknown) => {
        const code = err instanceof DataPlaneError ? err.code : 'GW_ERR_INTERNAL';
        send({ type: 'apply-failed', seq: m.seq, code, message: err instanceof Error ? err.message : String(err) });
      },
    );
  } else if (m.type === 'close') {
    void shutdown(m.graceMs);
  }
});
process.on('disconnect', () => void shutdown(5_000));
// The controller process decides when workers stop (a terminal's Ctrl-C reaches the whole group).
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

const statsTimer = setInterval(() => send({ type: 'stats', stats: dataPlane.stats() }), STATS_INTERVAL_MS);
statsTimer.unref();
send({ type: 'ready' });
