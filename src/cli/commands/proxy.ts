/**
 * `waygate proxy`: a data plane process for one Gateway, fed by the controller's config stream
 * (see src/proxy). Binds every listener port on --bind-address; /readyz is 200 once a config
 * is applied and stays 200 while the controller is unreachable (the last config keeps serving).
 */
import { readFile } from 'node:fs/promises';
import { isLoopbackHost } from '../../admin/address.js';
import { createDataPlane } from '../../dataplane/index.js';
import { createLogger, errorFields } from '../../log.js';
import { startHealthServer } from '../../proxy/health-server.js';
import { ProxyRuntime } from '../../proxy/proxy-runtime.js';
import { EXIT_FAILURE, EXIT_OK, parseAddressFlag, parseDurationMs, parseFlags, parseLogFlags, UsageError, type Io } from '../args.js';
import { parseByteSizeFlag, parsePositiveDurationMs } from '../limit-flags.js';
import { untilSignalled } from '../shutdown.js';
import { logMissingV8Flags } from '../../runtime/v8-flags.js';

export const PROXY_USAGE = `Usage: waygate proxy --controller URL --gateway NS/NAME --token-file FILE [flags]

Runs the data plane of one Gateway with the config the controller streams to it.

Flags:
      --controller URL       the controller's config stream (https://… or http://…)
      --gateway NS/NAME      the Gateway this proxy serves
      --token-file FILE      the stream token (from the provisioned Secret)
      --ca-file FILE         CA certificate of the stream server (https)
      --allow-plaintext      allow an http:// controller that is not on loopback (the token
                             then crosses the network in clear; for trusted networks only)
      --stream-connect-timeout DUR
                             time for the stream's connection, TLS handshake and response
                             head (default 10s)
      --stream-idle-timeout DUR
                             reconnect when the stream is silent this long; keep it above
                             the controller's --stream-heartbeat (default 45s)
      --stream-max-line SIZE longest config message; a longer one drops the connection and
                             the proxy reconnects (default 64Mi; 10k routes: about 6 MB)
      --bind-address IP      address listeners bind (default 0.0.0.0)
      --admin-address H:P    health endpoint (default 0.0.0.0:9902)
      --grace-period DUR     drain time on shutdown (default 10s)
      --log-level LEVEL      debug | info | warn | error (default info)
      --log-format FORMAT    text | json (default json)
`;

const FLAGS = {
  controller: { type: 'string' },
  gateway: { type: 'string' },
  'token-file': { type: 'string' },
  'ca-file': { type: 'string' },
  'allow-plaintext': { type: 'boolean', default: false },
  'stream-connect-timeout': { type: 'string', default: '10s' },
  'stream-idle-timeout': { type: 'string', default: '45s' },
  'stream-max-line': { type: 'string', default: '64Mi' },
  'bind-address': { type: 'string', default: '0.0.0.0' },
  'admin-address': { type: 'string', default: '0.0.0.0:9902' },
  'grace-period': { type: 'string', default: '10s' },
  'log-level': { type: 'string', default: 'info' },
  'log-format': { type: 'string', default: 'json' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Runs until SIGTERM/SIGINT. */
export async function proxyCommand(argv: readonly string[], io: Io): Promise<number> {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help) {
    io.out(PROXY_USAGE);
    return EXIT_OK;
  }
  if (!flags.controller || !flags.gateway || !flags['token-file']) throw new UsageError('--controller, --gateway and --token-file are required');
  if (!/^[^/]+\/[^/]+$/.test(flags.gateway)) throw new UsageError('--gateway must be NS/NAME');
  checkStreamUrl(flags.controller, flags['allow-plaintext']);
  const { level, format } = parseLogFlags(flags['log-level'], flags['log-format']);
  const admin = parseAddressFlag(flags['admin-address'], '--admin-address');
  const graceMs = parseDurationMs(flags['grace-period'], '--grace-period');
  const connectTimeoutMs = parsePositiveDurationMs(flags['stream-connect-timeout'], '--stream-connect-timeout');
  const idleTimeoutMs = parsePositiveDurationMs(flags['stream-idle-timeout'], '--stream-idle-timeout');
  const maxLineBytes = parseByteSizeFlag(flags['stream-max-line'], '--stream-max-line');
  const log = createLogger({ level, format, write: io.err });
  let token: string;
  let caPem: string | undefined;
  try {
    token = (await readFile(flags['token-file'], 'utf8')).trim();
    caPem = flags['ca-file'] ? await readFile(flags['ca-file'], 'utf8') : undefined;
  } catch (err) {
    log.error('cannot read credentials', errorFields(err));
    return EXIT_FAILURE;
  }
  const runtime = new ProxyRuntime({
    url: flags.controller,
    gateway: flags.gateway,
    token,
    ...(caPem ? { caPem } : {}),
    connectTimeoutMs,
    idleTimeoutMs,
    maxLineBytes,
    bindAddress: flags['bind-address'],
    dataPlane: createDataPlane({ log: (lvl, msg, fields) => log.log(lvl, msg, fields) }),
    log: log.child({ component: 'proxy', gateway: flags.gateway }),
  });
  let stopping = false;
  const health = await startHealthServer(admin.host, admin.port, () => runtime.ready && !stopping);
  logMissingV8Flags(log); // before "started", which is what supervisors and tests wait for
  runtime.start();
  log.info('waygate proxy started', { gateway: flags.gateway, controller: flags.controller, admin: health.url });
  const code = await untilSignalled(log, () => {
    stopping = true;
    return runtime.stop(graceMs).then(() => health.close());
  });
  return code;
}

/**
 * The stream carries a bearer token: refuse to send it in clear to anything but loopback
 * unless the operator says so.
 */
export function checkStreamUrl(raw: string, allowPlaintext: boolean): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--controller: not a URL: ${raw}`);
  }
  if (url.protocol === 'https:') return;
  if (url.protocol !== 'http:') throw new UsageError('--controller must be an https:// (or loopback http://) URL');
  if (!isLoopbackHost(url.hostname.replace(/^\[|\]$/g, '')) && !allowPlaintext) {
    throw new UsageError(`--controller ${raw} is plain HTTP to a non-loopback host: use https:// or pass --allow-plaintext`);
  }
}
