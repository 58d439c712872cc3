/**
 * Kubernetes mode: the parts of a cluster that act on what `waygate controller` provisions.
 *
 * - **Service controller (load balancer)**: every provisioned Service of type LoadBalancer gets
 *   `status.loadBalancer.ingress`: the `spec.externalIPs` it can serve (loopback addresses of
 *   this run's Gateway range, i.e. the usable static addresses), or, when none is requested, a
 *   fresh loopback address 127.G.x.y (never reused within a run, 127.G.1.0/24 left for static
 *   addresses). Requested addresses it cannot serve are left out, as a cloud load balancer
 *   leaves out addresses it cannot assign.
 * - **kubelet**: every provisioned Deployment runs as ONE real `waygate proxy` process (whatever
 *   its replicas), bound (`--bind-address`) to its Service's load balancer address, with the
 *   stream token of the Secret it mounts; a Pod object (template labels and annotations, owned
 *   by the Deployment) is written to the API server while it runs.
 *
 * Polls the API server (plain HTTP GETs) every `pollMs`; everything is bounded by stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep, stopChild } from './util.js';
import { DATA_PLANE_V8_FLAGS } from '../../src/runtime/v8-flags.js';

/** Label of everything the controller provisions. */
export const MANAGED_SELECTOR = 'app.kubernetes.io/managed-by=waygate';

type Obj = { metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown>; status?: Record<string, unknown>; data?: Record<string, string>; stringData?: Record<string, string> };

/** Minimal JSON client of the API server (plain HTTP). */
export class ApiClient {
  constructor(readonly url: string) {}

  /** Sends one request; resolves with [status code, parsed body]. */
  async call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<[number, unknown]> {
    const res = await fetch(this.url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': contentType },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return [res.status, text === '' ? null : (JSON.parse(text) as unknown)];
  }

  /** Lists a collection path (items), [] on error. */
  async list(path: string, labelSelector?: string): Promise<Obj[]> {
    const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
    const [code, body] = await this.call('GET', path + q);
    return code === 200 ? ((body as { items?: Obj[] }).items ?? []) : [];
  }
}

interface ProxyProc {
  key: string;
  child: ChildProcess;
  pod: { namespace: string; name: string };
}

/** Options of the emulation. */
export interface KubeletOptions {
  api: ApiClient;
  repoRoot: string;
  tmpDir: string;
  /** Second octet… of this run's Gateway range: addresses are 127.<gatewayOctet>.x.y. */
  gatewayOctet: number;
  pollMs?: number;
  verbose?: boolean;
  /** argv prefix that runs the waygate CLI (default: node --import tsx src/cli/main.ts). */
  command?: readonly string[];
  /** Core to pin every proxy to (taskset), or null/absent for none. */
  cpu?: number | null;
  /** Called with every proxy process started (e.g. to stop it when the caller exits). */
  onSpawn?: (child: ChildProcess) => void;
}

/** The argv that runs `waygate <args>`: `command` (or tsx on the sources), pinned to `cpu` if given. */
export function waygateArgv(o: { command?: readonly string[]; cpu?: number | null }, args: readonly string[]): string[] {
  // The image's entrypoint gives the data plane's V8 flags (deploy/Dockerfile); so does this default.
  const argv = [...(o.command ?? [process.execPath, ...DATA_PLANE_V8_FLAGS, '--import', 'tsx', 'src/cli/main.ts']), ...args];
  return o.cpu === undefined || o.cpu === null ? argv : ['taskset', '-c', String(o.cpu), ...argv];
}

/** The service controller and kubelet of the run. */
export class Kubelet {
  readonly #o: KubeletOptions;
  readonly #ips = new Map<string, string>(); // Service uid → allocated address
  #nextIp = 1;
  readonly #procs = new Map<string, ProxyProc>(); // Deployment ns/name → proxy
  readonly #tail: string[] = [];
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(opts: KubeletOptions) {
    this.#o = opts;
  }

  /** Starts polling. */
  start(): void {
    this.#loop = (async () => {
      while (!this.#stopped) {
        try {
          await this.reconcile();
        } catch (err) {
          this.#log(`kubelet: ${(err as Error).message}`);
        }
        await sleep(this.#o.pollMs ?? 200);
      }
    })();
  }

  /** The last lines the proxies (and this emulation) wrote. */
  tail(): string {
    return this.#tail.join('').split('\n').slice(-20).join('\n');
  }

  #log(text: string): void {
    if (this.#o.verbose) process.stderr.write(`${text.endsWith('\n') ? text : `${text}\n`}`);
    this.#tail.push(text.endsWith('\n') ? text : `${text}\n`);
    if (this.#tail.length > 50) this.#tail.shift();
  }

  #allocate(): string {
    const n = this.#nextIp++;
    const block = Math.floor((n - 1) / 250);
    const third = block === 0 ? 0 : block + 1; // 127.G.1.0/24 is for static addresses
    if (third > 255) throw new Error('load balancer address range exhausted');
    return `127.${this.#o.gatewayOctet}.${third}.${((n - 1) % 250) + 1}`;
  }

  /** One pass: load balancer addresses, then proxies. */
  async reconcile(): Promise<void> {
    const { api } = this.#o;
    const services = await api.list('/api/v1/services', MANAGED_SELECTOR);
    const bindIp = new Map<string, string>();
    for (const svc of services) {
      const ns = svc.metadata.namespace ?? 'default';
      const spec = (svc.spec ?? {}) as { type?: string; externalIPs?: string[] };
      if (spec.type !== 'LoadBalancer') continue;
      const requested = spec.externalIPs ?? [];
      const servable = requested.filter((ip) => ip.startsWith(`127.${this.#o.gatewayOctet}.`));
      let want: string[];
      if (requested.length > 0) want = servable;
      else {
        const uid = svc.metadata.uid ?? `${ns}/${svc.metadata.name}`;
        let ip = this.#ips.get(uid);
        if (!ip) this.#ips.set(uid, (ip = this.#allocate()));
        want = [ip];
      }
      const have = (((svc.status ?? {}) as { loadBalancer?: { ingress?: Array<{ ip?: string }> } }).loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
      if (JSON.stringify(have) !== JSON.stringify(want)) {
        const path = `/api/v1/namespaces/${ns}/services/${svc.metadata.name}/status`;
        await api.call('PATCH', path, { status: { loadBalancer: { ingress: want.map((ip) => ({ ip })) } } }, 'application/merge-patch+json');
      }
      if (want[0]) bindIp.set(`${ns}/${svc.metadata.name}`, want[0]);
    }

    const deployments = await api.list('/apis/apps/v1/deployments', MANAGED_SELECTOR);
    const wanted = new Set<string>();
    for (const dep of deployments) {
      const ns = dep.metadata.namespace ?? 'default';
      const id = `${ns}/${dep.metadata.name}`;
      const ip = bindIp.get(id);
      const tpl = (dep.spec?.['template'] ?? {}) as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: { containers?: Array<{ args?: string[] }>; volumes?: Array<{ secret?: { secretName: string } }> } };
      const args = tpl.spec?.containers?.[0]?.args ?? [];
      const arg = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
      const secretName = tpl.spec?.volumes?.find((v) => v.secret)?.secret?.secretName;
      if (!ip || !secretName) continue;
      const [code, secret] = await api.call('GET', `/api/v1/namespaces/${ns}/secrets/${secretName}`);
      if (code !== 200) continue;
      const s = secret as Obj;
      const token = s.stringData?.['token'] ?? (s.data?.['token'] ? Buffer.from(s.data['token'], 'base64').toString('utf8') : undefined);
      const controller = arg('--controller');
      const gateway = arg('--gateway');
      if (!token || !controller || !gateway) continue;
      wanted.add(id);
      const key = createHash('sha1').update(JSON.stringify([dep.metadata.uid, ip, token, controller, gateway, tpl.metadata])).digest('hex').slice(0, 10);
      const running = this.#procs.get(id);
      if (running?.key === key && running.child.exitCode === null) continue;
      if (running) await this.#stopProxy(id);
      await this.#startProxy(id, key, { ip, token, controller, gateway, dep, tpl: tpl.metadata ?? {} });
    }
    for (const id of [...this.#procs.keys()]) if (!wanted.has(id)) await this.#stopProxy(id);
  }

  async #startProxy(id: string, key: string, p: { ip: string; token: string; controller: string; gateway: string; dep: Obj; tpl: { labels?: Record<string, string>; annotations?: Record<string, string> } }): Promise<void> {
    const ns = p.dep.metadata.namespace ?? 'default';
    const tokenFile = join(this.#o.tmpDir, `token-${key}`);
    await writeFile(tokenFile, p.token, { mode: 0o600 });
    const [cmd, ...args] = waygateArgv(this.#o, ['proxy', '--controller', p.controller, '--gateway', p.gateway, '--token-file', tokenFile,
      '--bind-address', p.ip, '--admin-address', '127.0.0.1:0', '--grace-period', '1s', '--log-level', 'warn', '--log-format', 'text']);
    const child = spawn(cmd!, args, { cwd: this.#o.repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#o.onSpawn?.(child);
    const tag = (chunk: Buffer): void => this.#log(`[proxy ${id}] ${chunk.toString()}`);
    child.stdout?.on('data', tag);
    child.stderr?.on('data', tag);
    // The Pod a ReplicaSet would create: template labels/annotations, owned by the Deployment.
    const pod = { namespace: ns, name: `${p.dep.metadata.name}-${key.slice(0, 8)}-${key.slice(-5)}` };
    this.#procs.set(id, { key, child, pod });
    this.#log(`kubelet: started waygate proxy for ${p.gateway} on ${p.ip} (pid ${child.pid ?? '?'})`);
    await this.#o.api.call('POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: pod.name, namespace: ns, labels: p.tpl.labels ?? {}, annotations: p.tpl.annotations ?? {},
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: p.dep.metadata.name, uid: p.dep.metadata.uid ?? '', controller: true }],
      },
      spec: { containers: [{ name: 'proxy', image: 'waygate' }] },
    });
  }

  async #stopProxy(id: string): Promise<void> {
    const proc = this.#procs.get(id);
    if (!proc) return;
    this.#procs.delete(id);
    await stopChild(proc.child, 3000);
    await this.#o.api.call('DELETE', `/api/v1/namespaces/${proc.pod.namespace}/pods/${proc.pod.name}`).catch(() => undefined);
    this.#log(`kubelet: stopped waygate proxy ${id}`);
  }

  /** Stops polling and every proxy. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    await Promise.all([...this.#procs.values()].map((p) => stopChild(p.child, 3000)));
    this.#procs.clear();
  }
}
