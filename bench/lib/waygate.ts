/**
 * Starting `waygate serve -f DIR` for the benchmarks and deciding whether it serves.
 *
 * Command: `$WAYGATE_CMD` when set (e.g. `bin/waygate.js`, which starts node with the data plane's
 * V8 flags), else `node <those flags> --import tsx src/cli/main.ts`, run from the repository root, with
 * `serve -f DIR --admin-address 127.0.0.1:PORT --address-pool CIDR --log-level warn`.
 * Ready = GET /readyz answers 200 and then a probe request through the Gateway answers 200.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { httpGet } from './http-get.js';
import { sleep, type Managed, type ProcessManager } from './processes.js';
import { DATA_PLANE_V8_FLAGS } from '../../src/runtime/v8-flags.js';

export interface WaygateInstance {
  readonly managed: Managed;
  readonly dir: string;
  readonly address: string;
  readonly port: number;
  readonly adminPort: number;
  readonly logFile: string;
}

/** The argv prefix that runs the waygate CLI, or a reason why there is none. */
export function waygateCommand(repoRoot: string): { argv: string[] } | { missing: string } {
  const env = process.env['WAYGATE_CMD'];
  if (env !== undefined && env.trim() !== '') return { argv: env.trim().split(/\s+/) };
  const main = join(repoRoot, 'src/cli/main.ts');
  if (!existsSync(main)) return { missing: 'src/cli/main.ts does not exist yet (waygate CLI not built)' };
  return { argv: [process.execPath, ...DATA_PLANE_V8_FLAGS, '--import', 'tsx', main] };
}

/** Starts waygate on `dir`; the Gateway manifests in `dir` must use `address`:`port`. */
export async function startWaygate(o: {
  pm: ProcessManager;
  repoRoot: string;
  dir: string;
  address: string;
  port: number;
  cpu: number | null;
  logFile: string;
  name: string;
  /** More `serve` flags, e.g. `['--workers', '2']`. */
  extraArgs?: readonly string[];
}): Promise<WaygateInstance> {
  const cmd = waygateCommand(o.repoRoot);
  if ('missing' in cmd) throw new Error(cmd.missing);
  const adminPort = await freePort('127.0.0.1');
  const managed = o.pm.start({
    name: o.name,
    argv: [...cmd.argv, 'serve', '-f', o.dir, '--admin-address', `127.0.0.1:${adminPort}`, '--address-pool', o.address, '--log-level', process.env['WAYGATE_BENCH_LOG_LEVEL'] ?? 'warn', ...(o.extraArgs ?? [])],
    cpu: o.cpu,
    cwd: o.repoRoot,
    logFile: o.logFile,
  });
  return { managed, dir: o.dir, address: o.address, port: o.port, adminPort, logFile: o.logFile };
}

/**
 * Waits for /readyz 200, then for `probe` (Host, path) through the Gateway to answer 200.
 * Throws with the reason (and the log's tail) when that does not happen within `timeoutMs`.
 */
export async function waitWaygateServing(w: WaygateInstance, probe: { host: string; path: string }, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let exit: number | string | null = null;
  void w.managed.exited.then((c) => (exit = c));
  let last = 'no answer';
  let ready = false;
  while (Date.now() < end) {
    if (exit !== null) throw new Error(`waygate exited (${exit}): ${logTail(w.logFile)}`);
    if (!ready) {
      const r = await httpGet({ address: '127.0.0.1', port: w.adminPort, path: '/readyz', timeoutMs: 1000 });
      ready = r.status === 200;
      last = `/readyz → ${r.status || r.error}`;
    }
    if (ready) {
      const r = await httpGet({ address: w.address, port: w.port, path: probe.path, host: probe.host, timeoutMs: 1000 });
      if (r.status === 200) return;
      last = `GET ${probe.host}${probe.path} via ${w.address}:${w.port} → ${r.status || r.error}`;
    }
    await sleep(50);
  }
  throw new Error(`waygate not serving after ${timeoutMs} ms (${last}); log: ${logTail(w.logFile)}`);
}

/** The last lines of a log file, one line, for error messages. */
export function logTail(file: string, lines = 5): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' ⏎ ').slice(-800) || '(empty)';
  } catch {
    return '(no log)';
  }
}
