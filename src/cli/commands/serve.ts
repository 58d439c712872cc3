/**
 * `waygate serve -f DIR`: runs waygate standalone on a directory of Gateway API YAML, hot
 * reloading on every change, with the admin endpoint beside it.
 */
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { isLoopbackHost } from '../../admin/address.js';
import { startAdminServer, type AdminServer } from '../../admin/server.js';
import { createLogger, errorFields } from '../../log.js';
import { DEFAULT_ADDRESS_POOL } from '../../runtime/addresses.js';
import { createStandaloneRuntime } from '../../runtime/create.js';
import {
  DEFAULT_ADMIN_ADDRESS, DEFAULT_CONTROLLER_NAME, EXIT_FAILURE, EXIT_OK, parseAddressFlag, parseDurationMs, parseFlags, parseLogFlags, parsePoolFlag, requireDir,
  UsageError, type Io,
} from '../args.js';
import { untilSignalled } from '../shutdown.js';
import { logMissingV8Flags } from '../../runtime/v8-flags.js';

export const SERVE_USAGE = `Usage: waygate serve -f DIR [flags]

Runs the controller and the data plane on the Gateway API YAML in DIR, reloading on change.

Flags:
  -f, --file DIR               directory of YAML/JSON manifests (required)
      --controller-name NAME   GatewayClass controllerName to reconcile (default ${DEFAULT_CONTROLLER_NAME})
      --admin-address H:P      admin endpoint (default ${DEFAULT_ADMIN_ADDRESS}; port 0 picks one)
      --admin-allow-remote     allow a non-loopback admin address
      --address-pool POOL      Gateway addresses: a CIDR or a comma list (default ${DEFAULT_ADDRESS_POOL})
      --grace-period DUR       how long in-flight requests may finish on shutdown (default 10s)
      --workers N              data plane worker processes sharing the listening sockets
                               (default: one per core, here ${availableParallelism()}); 0 or 1: in this process
      --log-level LEVEL        debug | info | warn | error (default info)
      --log-format FORMAT      text | json (default text)
`;

const FLAGS = {
  file: { type: 'string', short: 'f' },
  'controller-name': { type: 'string', default: DEFAULT_CONTROLLER_NAME },
  'admin-address': { type: 'string', default: DEFAULT_ADMIN_ADDRESS },
  'admin-allow-remote': { type: 'boolean', default: false },
  'address-pool': { type: 'string', default: DEFAULT_ADDRESS_POOL },
  'grace-period': { type: 'string', default: '10s' },
  workers: { type: 'string' },
  'log-level': { type: 'string', default: 'info' },
  'log-format': { type: 'string', default: 'text' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Runs until SIGTERM/SIGINT; resolves with the exit code. */
export async function serveCommand(argv: readonly string[], io: Io): Promise<number> {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help) {
    io.out(SERVE_USAGE);
    return EXIT_OK;
  }
  const dir = requireDir(flags.file);
  const { level, format } = parseLogFlags(flags['log-level'], flags['log-format']);
  const admin = parseAddressFlag(flags['admin-address'], '--admin-address');
  const pool = parsePoolFlag(flags['address-pool']);
  if (!isLoopbackHost(admin.host) && !flags['admin-allow-remote']) {
    throw new UsageError(`--admin-address ${flags['admin-address']} is not a loopback address; add --admin-allow-remote to expose the admin endpoint`);
  }
  const graceMs = parseDurationMs(flags['grace-period'], '--grace-period');
  const workers = flags.workers === undefined ? availableParallelism() : Number(flags.workers);
  if (!Number.isInteger(workers) || workers < 0 || workers > 256) throw new UsageError('--workers must be a whole number from 0 to 256');

  const log = createLogger({ level, format, write: io.err });
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) {
    log.error('not a directory', { dir });
    return EXIT_FAILURE;
  }

  const runtime = createStandaloneRuntime({ dir, controllerName: flags['controller-name'], addressPool: pool, workers, log: log.child({ component: 'runtime' }) });
  let stopping = false;
  let adminServer: AdminServer;
  try {
    adminServer = await startAdminServer({
      host: admin.host,
      port: admin.port,
      // Not ready while draining, so a load balancer stops sending new work.
      source: {
        get snapshot() { return runtime.snapshot; },
        get ready() { return runtime.ready && !stopping; },
        dataPlaneStats: () => runtime.dataPlaneStats(),
      },
      log: log.child({ component: 'admin' }),
    });
  } catch (err) {
    log.error('cannot start the admin endpoint', { address: flags['admin-address'], ...errorFields(err) });
    await runtime.stop(0);
    return EXIT_FAILURE;
  }

  const done = untilSignalled(log, (signal) => {
    stopping = true;
    log.info('shutting down: draining in-flight requests', { signal, graceMs });
    return runtime.stop(graceMs).then(() => adminServer.close());
  });

  if (workers < 2) logMissingV8Flags(log); // before "waygate serving", which supervisors and tests wait for
  await runtime.start();
  log.info('waygate serving', { dir, admin: adminServer.url, controllerName: flags['controller-name'], workers: workers >= 2 ? workers : 0, ready: runtime.ready });
  const code = await done;
  log.info('stopped', { code });
  return code;
}
