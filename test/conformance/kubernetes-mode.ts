/**
 * `npm run conformance -- --mode kubernetes`: the same tests through waygate's Kubernetes mode.
 *
 *   runner ──HTTP──▶ test API server (test/k8s/apiserver.ts, in this process, 127.0.0.1)
 *                      ▲ list/watch, status, provisioning
 *                      │
 *                    `waygate controller` (child process; kubeconfig → the test API server)
 *                      │ config stream (plain HTTP on 127.0.0.1)
 *                      ▼
 *                    `waygate proxy` per provisioned Deployment (kubelet.ts), bound to the
 *                    loopback address the load balancer emulation gave its Service
 *
 * The Cluster writes every object to the API server (ApiSink) instead of files; the echo pods'
 * EndpointSlices go there too (pods.ts, unchanged). Status checks read the objects back from the
 * API server (GET), as the upstream suite does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestApiServer } from '../k8s/apiserver.js';
import { apiVersionOf, resourceForKind } from '../k8s/resources.js';
import type { ObjectSink } from './cluster.js';
import { ApiClient, Kubelet, waygateArgv } from './kubelet.js';
import type { KObject } from './manifests.js';
import { sleep, stopChild } from './util.js';
import { freePort, StatusView, type GatewayRuntime, type StatusObject } from './waygate.js';

/** The kinds whose status the checks read, and the provisioned kinds GatewayInfrastructure reads. */
const STATUS_KINDS: Array<[string, string]> = [
  ['gateway.networking.k8s.io/v1', 'GatewayClass'],
  ['gateway.networking.k8s.io/v1', 'Gateway'],
  ['gateway.networking.k8s.io/v1', 'ListenerSet'],
  ['gateway.networking.k8s.io/v1', 'HTTPRoute'],
  ['gateway.networking.k8s.io/v1', 'GRPCRoute'],
  ['gateway.networking.k8s.io/v1alpha2', 'TLSRoute'],
  ['gateway.networking.k8s.io/v1alpha2', 'TCPRoute'],
  ['gateway.networking.k8s.io/v1alpha2', 'UDPRoute'],
  ['gateway.networking.k8s.io/v1', 'BackendTLSPolicy'],
];
const GENERATED_KINDS: Array<[string, string]> = [
  ['v1', 'ServiceAccount'],
  ['v1', 'Pod'],
  ['v1', 'Service'],
];

/** The collection path of a kind (cluster-wide, or in a namespace). */
export function pathOf(apiVersion: string, kind: string, namespace?: string, name?: string): string | undefined {
  const r = resourceForKind(apiVersion, kind);
  if (!r) return undefined;
  const version = apiVersion.includes('/') ? apiVersion.split('/')[1]! : apiVersion;
  const prefix = r.group === '' ? `/api/${version}` : `/apis/${apiVersionOf(r.group, version)}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${prefix}${ns}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Writes the runner's objects to the API server: create, or replace (status kept). */
export class ApiSink implements ObjectSink {
  constructor(readonly api: ApiClient, readonly log: (msg: string) => void = () => undefined) {}

  async put(obj: KObject): Promise<void> {
    const ns = obj.metadata.namespace;
    const collection = pathOf(String(obj['apiVersion']), obj.kind, ns);
    if (!collection) {
      this.log(`api sink: ${String(obj['apiVersion'])} ${obj.kind} is not served by the test API server; skipped`);
      return;
    }
    // The API server sets these itself.
    const { uid: _u, resourceVersion: _r, creationTimestamp: _c, generation: _g, ...metadata } = obj.metadata as Record<string, unknown>;
    const body = { ...obj, metadata };
    const path = `${collection}/${encodeURIComponent(obj.metadata.name)}`;
    const [got] = await this.api.call('GET', path);
    const [code, res] = got === 404 ? await this.api.call('POST', collection, body) : await this.api.call('PUT', path, body);
    if (code >= 300) throw new Error(`api sink: ${obj.kind} ${ns ?? ''}/${obj.metadata.name}: ${code} ${(res as { message?: string } | null)?.message ?? ''}`);
  }

  async remove(obj: { kind: string; apiVersion?: unknown; metadata: { namespace?: string; name: string } }): Promise<void> {
    const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : undefined;
    const path = apiVersion ? pathOf(apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name) : undefined;
    if (!path) return;
    const [code, res] = await this.api.call('DELETE', path);
    if (code >= 300 && code !== 404) throw new Error(`api sink: delete ${obj.kind} ${obj.metadata.name}: ${code} ${(res as { message?: string } | null)?.message ?? ''}`);
  }
}

/** Options of the Kubernetes mode. */
export interface KubernetesModeOptions {
  repoRoot: string;
  tmpDir: string;
  controllerName: string;
  gatewayOctet: number;
  verbose?: boolean;
  /** argv prefix that runs the waygate CLI, for the controller and the proxies (default: tsx on the sources). */
  command?: readonly string[];
  /** Core to pin the controller and the proxies to (taskset), or null/absent for none. */
  cpu?: number | null;
  /** Called with every child process started (controller, proxies). */
  onSpawn?: (child: ChildProcess) => void;
  /** Bookmark interval of the test API server (default 5000 ms). */
  bookmarkMs?: number;
}

/** The API server, `waygate controller` and the kubelet emulation, as one GatewayRuntime. */
export class KubernetesMode implements GatewayRuntime {
  readonly #o: KubernetesModeOptions;
  readonly server: TestApiServer;
  readonly api: ApiClient;
  readonly sink: ApiSink;
  readonly kubelet: Kubelet;
  #controller: ChildProcess | undefined;
  readonly #tail: string[] = [];

  private constructor(o: KubernetesModeOptions, server: TestApiServer) {
    this.#o = o;
    this.server = server;
    this.api = new ApiClient(server.url);
    this.sink = new ApiSink(this.api, (m) => this.#log(m));
    this.kubelet = new Kubelet({
      api: this.api, repoRoot: o.repoRoot, tmpDir: o.tmpDir, gatewayOctet: o.gatewayOctet, verbose: o.verbose ?? false,
      ...(o.command ? { command: o.command } : {}), cpu: o.cpu ?? null, ...(o.onSpawn ? { onSpawn: o.onSpawn } : {}),
    });
  }

  /** Starts the test API server (objects can be applied from then on). */
  static async create(o: KubernetesModeOptions): Promise<KubernetesMode> {
    return new KubernetesMode(o, await TestApiServer.start({ bookmarkMs: o.bookmarkMs ?? 5000 }));
  }

  #log(text: string): void {
    const line = text.endsWith('\n') ? text : `${text}\n`;
    if (this.#o.verbose) process.stderr.write(line);
    this.#tail.push(line);
    if (this.#tail.length > 50) this.#tail.shift();
  }

  /** Starts `waygate controller` and the kubelet; resolves when the controller is ready. */
  async start(timeoutMs = 60_000): Promise<void> {
    const o = this.#o;
    const kubeconfig = join(o.tmpDir, 'kubeconfig.yaml');
    await writeFile(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: conformance',
      `clusters: [{name: conformance, cluster: {server: "${this.server.url}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: conformance, user: {token: conformance}}]',
      'contexts: [{name: conformance, context: {cluster: conformance, user: conformance, namespace: default}}]', '',
    ].join('\n'));
    const keyFile = join(o.tmpDir, 'stream-token-key');
    await writeFile(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    const streamPort = await freePort();
    const adminPort = await freePort();
    const [cmd, ...args] = waygateArgv(o, ['controller', '--kubeconfig', kubeconfig, '--controller-name', o.controllerName,
      '--leader-elect', 'false', '--proxy-image', 'waygate:conformance', '--stream-address', `127.0.0.1:${streamPort}`,
      '--stream-url', `http://127.0.0.1:${streamPort}`, '--stream-token-key-file', keyFile, '--admin-address', `127.0.0.1:${adminPort}`,
      '--log-level', 'warn', '--log-format', 'text']);
    const child = spawn(cmd!, args, { cwd: o.repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#controller = child;
    o.onSpawn?.(child);
    const keep = (chunk: Buffer): void => this.#log(`[controller] ${chunk.toString()}`);
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.kubelet.start();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`waygate controller exited with code ${child.exitCode}: ${this.tail()}`);
      try {
        const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`waygate controller did not become ready within ${timeoutMs} ms: ${this.tail()}`);
  }

  get running(): boolean {
    return this.#controller !== undefined && this.#controller.exitCode === null;
  }

  tail(): string {
    return `${this.#tail.join('').split('\n').slice(-15).join('\n')}\n${this.kubelet.tail()}`;
  }

  /** Reads every object with a status from the API server (and the provisioned objects). */
  async status(): Promise<StatusView> {
    const objects: StatusObject[] = [];
    const lists = await Promise.all([
      ...STATUS_KINDS.map(async ([apiVersion, kind]) => ({ apiVersion, kind, items: await this.api.list(pathOf(apiVersion, kind)!) })),
      ...GENERATED_KINDS.map(async ([apiVersion, kind]) => ({ apiVersion, kind, items: await this.api.list(pathOf(apiVersion, kind)!, 'app.kubernetes.io/managed-by=waygate') })),
    ]);
    for (const { apiVersion, kind, items } of lists) {
      for (const it of items) objects.push({ apiVersion, kind, metadata: it.metadata, ...(it.status ? { status: it.status } : {}) });
    }
    return new StatusView({ objects });
  }

  /** Stops the kubelet (and proxies), the controller and the API server. */
  async stop(): Promise<void> {
    await this.kubelet.stop();
    if (this.#controller) await stopChild(this.#controller, 5000);
    await this.server.close();
  }
}
