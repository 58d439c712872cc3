/**
 * `waygate controller`: runs in Kubernetes (or against any API server through a kubeconfig).
 * Watches the Gateway API and the core kinds it needs, writes status (Lease leader only),
 * provisions a `waygate proxy` Deployment and Service per Gateway, and serves each proxy its
 * Gateway's config over the config stream. See docs/kubernetes.md.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createLogger, errorFields } from '../../log.js';
import { startHealthServer } from '../../proxy/health-server.js';
import { ConfigStreamServer, STREAM_SERVER_DEFAULTS, type StreamServerOptions } from '../../proxy/stream-server.js';
import { streamToken } from '../../proxy/token.js';
import { KubernetesController } from '../../source/kubernetes/controller.js';
import { PROVISIONING_FEATURES, Provisioner } from '../../source/kubernetes/provisioner.js';
import { KubeRest, loadKubeConfig } from '../../source/kubernetes/rest.js';
import { DEFAULT_CONTROLLER_NAME, EXIT_FAILURE, EXIT_OK, parseAddressFlag, parseFlags, parseLogFlags, parsePoolFlag, UsageError, type Io } from '../args.js';
import { parseByteSizeFlag, parseCountFlag, parsePositiveDurationMs } from '../limit-flags.js';
import { untilSignalled } from '../shutdown.js';

export const CONTROLLER_USAGE = `Usage: waygate controller [flags]

Runs the waygate controller against a Kubernetes API server (in-cluster credentials, or
--kubeconfig / $KUBECONFIG / ~/.kube/config).

Flags:
      --kubeconfig FILE           kubeconfig to use (default: in-cluster, then the usual places)
      --controller-name NAME      GatewayClass controllerName (default ${DEFAULT_CONTROLLER_NAME})
      --namespace NS              namespace of the leader Lease (default $POD_NAMESPACE or waygate-system)
      --leader-elect BOOL         use a Lease so only one replica writes (default true)
      --lease-name NAME           (default waygate-controller)
      --identity ID               candidate identity (default $POD_NAME or the hostname)
      --provision BOOL            create a proxy Deployment and Service per Gateway (default true)
      --proxy-image IMAGE         image of provisioned proxies (default ghcr.io/waygate/waygate:latest)
      --stream-address H:P        config stream listen address (default 0.0.0.0:18443)
      --stream-url URL            the stream URL proxies use (default https://waygate.<ns>.svc:18443)
      --stream-tls-cert FILE      stream server certificate (PEM); without it the stream is plain HTTP
      --stream-tls-key FILE       its key
      --stream-ca-file FILE       CA given to proxies to verify the stream server
      --stream-token-key-file F   HMAC key of proxy tokens (same for all replicas; default random)
      --stream-max-connections N  open stream connections allowed; a request on one more is
                                  answered 503 (default 1024)
      --stream-header-timeout DUR
                                  time for the TLS handshake and request head (default 10s)
      --stream-heartbeat DUR      interval of the {} heartbeat line (default 15s)
      --stream-idle-timeout DUR   close a connection with no traffic this long; longer than the
                                  heartbeat (default 60s)
      --stream-max-buffered SIZE  drop a proxy with more than this unsent when its next config is
                                  due (default 64Mi)
      --stream-drain-timeout DUR  drop a proxy whose socket has not drained a write in this time
                                  (default 30s)
      --address-pool POOL         addresses for Gateways when no Service provides one (default none)
      --admin-address H:P         health endpoint (default 0.0.0.0:9901)
      --log-level LEVEL           debug | info | warn | error (default info)
      --log-format FORMAT         text | json (default json)
`;

const FLAGS = {
  kubeconfig: { type: 'string' },
  'controller-name': { type: 'string', default: DEFAULT_CONTROLLER_NAME },
  namespace: { type: 'string' },
  'leader-elect': { type: 'string', default: 'true' },
  'lease-name': { type: 'string', default: 'waygate-controller' },
  identity: { type: 'string' },
  provision: { type: 'string', default: 'true' },
  'proxy-image': { type: 'string', default: 'ghcr.io/waygate/waygate:latest' },
  'stream-address': { type: 'string', default: '0.0.0.0:18443' },
  'stream-url': { type: 'string' },
  'stream-tls-cert': { type: 'string' },
  'stream-tls-key': { type: 'string' },
  'stream-ca-file': { type: 'string' },
  'stream-token-key-file': { type: 'string' },
  'stream-max-connections': { type: 'string', default: String(STREAM_SERVER_DEFAULTS.maxConnections) },
  'stream-header-timeout': { type: 'string', default: '10s' },
  'stream-heartbeat': { type: 'string', default: '15s' },
  'stream-idle-timeout': { type: 'string', default: '60s' },
  'stream-max-buffered': { type: 'string', default: '64Mi' },
  'stream-drain-timeout': { type: 'string', default: '30s' },
  'address-pool': { type: 'string', default: '' },
  'admin-address': { type: 'string', default: '0.0.0.0:9901' },
  'log-level': { type: 'string', default: 'info' },
  'log-format': { type: 'string', default: 'json' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function bool(value: string, flag: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`${flag} must be true or false`);
}

type StreamLimits = Required<Pick<StreamServerOptions, 'maxConnections' | 'headerTimeoutMs' | 'heartbeatMs' | 'idleTimeoutMs' | 'maxBufferedBytes' | 'drainTimeoutMs'>>;

/** The config stream's limit flags (docs/kubernetes.md, "Limits"). */
function parseStreamLimits(flags: Record<`stream-${'max-connections' | 'header-timeout' | 'heartbeat' | 'idle-timeout' | 'max-buffered' | 'drain-timeout'}`, string>): StreamLimits {
  const limits: StreamLimits = {
    maxConnections: parseCountFlag(flags['stream-max-connections'], '--stream-max-connections'),
    headerTimeoutMs: parsePositiveDurationMs(flags['stream-header-timeout'], '--stream-header-timeout'),
    heartbeatMs: parsePositiveDurationMs(flags['stream-heartbeat'], '--stream-heartbeat'),
    idleTimeoutMs: parsePositiveDurationMs(flags['stream-idle-timeout'], '--stream-idle-timeout'),
    maxBufferedBytes: parseByteSizeFlag(flags['stream-max-buffered'], '--stream-max-buffered'),
    drainTimeoutMs: parsePositiveDurationMs(flags['stream-drain-timeout'], '--stream-drain-timeout'),
  };
  if (limits.heartbeatMs >= limits.idleTimeoutMs) throw new UsageError('--stream-heartbeat must be shorter than --stream-idle-timeout');
  return limits;
}

/** Runs until SIGTERM/SIGINT. */
export async function controllerCommand(argv: readonly string[], io: Io): Promise<number> {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help) {
    io.out(CONTROLLER_USAGE);
    return EXIT_OK;
  }
  const { level, format } = parseLogFlags(flags['log-level'], flags['log-format']);
  const leaderElect = bool(flags['leader-elect'], '--leader-elect');
  const provision = bool(flags.provision, '--provision');
  const streamAddr = parseAddressFlag(flags['stream-address'], '--stream-address');
  const streamLimits = parseStreamLimits(flags);
  const admin = parseAddressFlag(flags['admin-address'], '--admin-address');
  const pool = flags['address-pool'] ? parsePoolFlag(flags['address-pool']) : [];
  const namespace = flags.namespace ?? process.env['POD_NAMESPACE'] ?? 'waygate-system';
  const identity = flags.identity ?? process.env['POD_NAME'] ?? hostname();
  const log = createLogger({ level, format, write: io.err });

  let tls: { cert: string; key: string } | null = null;
  let caPem: string | null = null;
  let tokenKey: string | Buffer;
  try {
    if (flags['stream-tls-cert'] && flags['stream-tls-key']) {
      tls = { cert: await readFile(flags['stream-tls-cert'], 'utf8'), key: await readFile(flags['stream-tls-key'], 'utf8') };
      caPem = flags['stream-ca-file'] ? await readFile(flags['stream-ca-file'], 'utf8') : tls.cert;
    }
    tokenKey = flags['stream-token-key-file'] ? (await readFile(flags['stream-token-key-file'], 'utf8')).trim() : randomBytes(32);
  } catch (err) {
    log.error('cannot read stream credentials', errorFields(err));
    return EXIT_FAILURE;
  }
  if (!flags['stream-token-key-file']) log.warn('no --stream-token-key-file: using a random key (proxies must reconnect to this replica only)');
  if (!tls) log.warn('no --stream-tls-cert: the config stream is plain HTTP');

  const stream = new ConfigStreamServer({ host: streamAddr.host, port: streamAddr.port, tokenKey, tls, ...streamLimits, log: log.child({ component: 'stream' }) });
  const rest = new KubeRest(loadKubeConfig(flags.kubeconfig));
  const streamUrl = flags['stream-url'] ?? `${tls ? 'https' : 'http'}://waygate.${namespace}.svc:${streamAddr.port}`;
  const controller = new KubernetesController({
    rest,
    controllerName: flags['controller-name'],
    leaderElection: leaderElect ? { namespace, name: flags['lease-name'], identity } : null,
    provision: provision ? new Provisioner({ rest, image: flags['proxy-image'], streamUrl, tokenFor: (gw) => streamToken(tokenKey, gw), caPem, log: log.child({ component: 'provisioner' }) }) : null,
    onConfig: (config) => stream.publish(config),
    addressPool: pool,
    extraFeatures: provision ? PROVISIONING_FEATURES : [],
    log: log.child({ component: 'controller' }),
  });
  try {
    await stream.listen();
  } catch (err) {
    log.error('cannot listen for the config stream', { address: flags['stream-address'], ...errorFields(err) });
    return EXIT_FAILURE;
  }
  let stopping = false;
  const health = await startHealthServer(admin.host, admin.port, () => controller.ready && !stopping);
  controller.start();
  log.info('waygate controller started', { controllerName: flags['controller-name'], identity, stream: stream.url, admin: health.url });
  const code = await untilSignalled(log, () => {
    stopping = true;
    return controller.stop().then(() => stream.close()).then(() => health.close());
  });
  return code;
}
