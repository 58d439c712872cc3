/**
 * What a cluster's workload controllers would do, for the runner: Deployments become echo
 * "pods" (hosted by ONE echo child process, each pod on its own loopback IP) and Services get
 * EndpointSlices selecting those pods, exactly as the EndpointSlice controller writes them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Cluster, ClusterController } from './cluster.js';
import type { EchoPodSpec } from './echo/echo.js';
import type { KObject } from './manifests.js';
import { stopChild } from './util.js';

/** One pod the runner emulates. */
export interface PodInfo {
  name: string;
  namespace: string;
  ip: string;
  labels: Record<string, string>;
  deployment: string;
  /** False when the image is not the echo backend (e.g. CoreDNS): never started. */
  supported: boolean;
  ready: boolean;
}

/** A log line of a pod, with the time the runner received it. */
export interface PodLogLine {
  at: number;
  line: string;
}

const ECHO_IMAGE = /echo-basic/;
/** CoreDNS (base manifests, UDPRoute tests): stood in for by the UDP echo's DNS mode. */
const COREDNS_IMAGE = /coredns\/coredns/;

/** The echo child process and the pods it hosts. */
export class EchoProcess {
  #child: ChildProcess | undefined;
  readonly #waiters = new Map<string, Array<(err?: Error) => void>>();
  readonly #logs = new Map<string, PodLogLine[]>();
  #verbose: boolean;

  constructor(opts: { verbose?: boolean } = {}) {
    this.#verbose = opts.verbose ?? false;
  }

  /** Starts the child process. */
  start(): void {
    const server = join(dirname(fileURLToPath(import.meta.url)), 'echo', 'server.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', server], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#child = child;
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => this.#onLine(line));
    child.on('exit', () => {
      for (const [k, ws] of this.#waiters) for (const w of ws) w(new Error(`echo process exited before ${k} was ready`));
      this.#waiters.clear();
    });
  }

  #onLine(line: string): void {
    if (line.startsWith('#')) {
      const [tag, key = '', ...rest] = line.split(' ');
      const ws = this.#waiters.get(key);
      if (this.#verbose || tag === '#error') process.stderr.write(`[echo] ${line}\n`);
      if (!ws) return;
      this.#waiters.delete(key);
      const err = tag === '#error' ? new Error(`pod ${key}: ${rest.join(' ')}`) : undefined;
      for (const w of ws) w(err);
      return;
    }
    const i = line.indexOf(' | ');
    if (i < 0) return;
    const key = line.slice(0, i);
    let arr = this.#logs.get(key);
    if (!arr) this.#logs.set(key, (arr = []));
    arr.push({ at: Date.now(), line: line.slice(i + 3) });
    if (arr.length > 50_000) arr.splice(0, arr.length - 40_000);
  }

  #send(msg: unknown, keys: string[]): Promise<void> {
    const child = this.#child;
    if (!child?.stdin) return Promise.reject(new Error('echo process not started'));
    const waits = keys.map(
      (k) =>
        new Promise<void>((resolve, reject) => {
          const list = this.#waiters.get(k) ?? [];
          list.push((err) => (err ? reject(err) : resolve()));
          this.#waiters.set(k, list);
        }),
    );
    child.stdin.write(`${JSON.stringify(msg)}\n`);
    return Promise.all(waits).then(() => undefined);
  }

  /** Starts pods; resolves when all are listening (rejects on the first failure). */
  add(pods: EchoPodSpec[]): Promise<void> {
    if (pods.length === 0) return Promise.resolve();
    return this.#send({ op: 'add', pods }, pods.map((p) => `${p.namespace}/${p.name}`));
  }

  /** Stops pods by `namespace/name`. */
  remove(keys: string[]): Promise<void> {
    if (keys.length === 0) return Promise.resolve();
    return this.#send({ op: 'remove', pods: keys }, keys);
  }

  /** Log lines of a pod received at or after `since` (ms epoch). */
  logs(namespace: string, pod: string, since = 0): PodLogLine[] {
    return (this.#logs.get(`${namespace}/${pod}`) ?? []).filter((l) => l.at >= since);
  }

  /** Stops the child process (closing its stdin asks it to exit). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child) await stopChild(child, 3000, () => child.stdin?.end());
  }

}

/** Allocates pod IPs 127.20.0.1, 127.20.0.2, … (never reused within a run). */
export class PodIpAllocator {
  #next = 1;
  readonly #base: [number, number];
  constructor(base: [number, number] = [127, 20]) {
    this.#base = base;
  }
  next(): string {
    const n = this.#next++;
    if (n > 65_000) throw new Error('pod IP range exhausted');
    return `${this.#base[0]}.${this.#base[1]}.${n >> 8}.${n & 255}`;
  }
}

type Container = {
  image?: string;
  env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
};
type Volume = {
  name: string;
  secret?: { secretName: string; items?: Array<{ key: string; path: string }> };
  configMap?: { name: string; items?: Array<{ key: string; path: string }> };
};
type DeploymentSpec = {
  replicas?: number;
  template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: Container[]; volumes?: Volume[] } };
};

/** The planned pods of one Deployment, with their echo specs (files not yet written). */
export interface PlannedPod {
  info: PodInfo;
  spec: EchoPodSpec;
  files: Array<{ path: string; content: Buffer }>;
}

/**
 * Plans the pods of a Deployment: `replicas` pods named `<deployment>-<template hash>-<n>`
 * (two trailing segments, like ReplicaSet pods, so "pod name minus its last two segments"
 * is the Deployment name), the container env with fieldRefs resolved, and the files of its
 * secret/configMap volumes (mount paths rewritten to real files under `podsDir`).
 */
export function planDeployment(dep: KObject, cluster: Pick<Cluster, 'get'>, podsDir: string, allocate: () => string): PlannedPod[] {
  const ns = dep.metadata.namespace ?? 'default';
  const spec = (dep['spec'] ?? {}) as DeploymentSpec;
  const replicas = spec.replicas ?? 1;
  const hash = createHash('sha1').update(JSON.stringify(spec.template ?? {})).digest('hex').slice(0, 10);
  const container = spec.template?.spec?.containers?.[0] ?? {};
  const coredns = COREDNS_IMAGE.test(container.image ?? '');
  const supported = ECHO_IMAGE.test(container.image ?? '') || coredns;
  const labels = spec.template?.metadata?.labels ?? {};
  const out: PlannedPod[] = [];
  for (let i = 0; i < replicas; i++) {
    const suffix = createHash('sha1').update(`${hash}/${i}`).digest('hex').slice(0, 5);
    const name = `${dep.metadata.name}-${hash}-${suffix}`;
    const podDir = join(podsDir, ns, name);
    const env: Record<string, string> = {};
    const files: PlannedPod['files'] = [];
    const mounts = new Map<string, string>();
    for (const vm of container.volumeMounts ?? []) {
      const vol = spec.template?.spec?.volumes?.find((v) => v.name === vm.name);
      if (!vol) continue;
      const dir = join(podDir, vm.name);
      mounts.set(vm.mountPath.replace(/\/+$/, ''), dir);
      if (vol.secret) {
        const secret = cluster.get('Secret', ns, vol.secret.secretName);
        const data = (secret?.['data'] ?? {}) as Record<string, string>;
        const items = vol.secret.items ?? Object.keys(data).map((k) => ({ key: k, path: k }));
        for (const it of items) {
          const v = data[it.key];
          if (v !== undefined) files.push({ path: join(dir, it.path), content: Buffer.from(v, 'base64') });
        }
      } else if (vol.configMap) {
        const cm = cluster.get('ConfigMap', ns, vol.configMap.name);
        const data = (cm?.['data'] ?? {}) as Record<string, string>;
        const items = vol.configMap.items ?? Object.keys(data).map((k) => ({ key: k, path: k }));
        for (const it of items) {
          const v = data[it.key];
          if (v !== undefined) files.push({ path: join(dir, it.path), content: Buffer.from(v) });
        }
      }
    }
    for (const e of container.env ?? []) {
      const field = e.valueFrom?.fieldRef?.fieldPath;
      let value = field === 'metadata.name' ? name : field === 'metadata.namespace' ? ns : (e.value ?? '');
      for (const [mountPath, real] of mounts) {
        if (value === mountPath || value.startsWith(`${mountPath}/`)) value = real + value.slice(mountPath.length);
      }
      env[e.name] = value;
    }
    if (coredns) Object.assign(env, { UDP_ECHO_SERVER: '1', WAYGATE_DNS: '1', UDP_PORT: '53', POD_NAME: name, NAMESPACE: ns });
    const ip = supported ? allocate() : '';
    out.push({ info: { name, namespace: ns, ip, labels, deployment: dep.metadata.name, supported, ready: false }, spec: { name, namespace: ns, ip, env }, files });
  }
  return out;
}

/** Turns Deployments into running echo pods. */
export class PodController implements ClusterController {
  readonly #echo: EchoProcess;
  readonly #podsDir: string;
  readonly #ips: PodIpAllocator;
  /** Running pods by `namespace/name`. */
  readonly pods = new Map<string, PodInfo>();

  constructor(echo: EchoProcess, podsDir: string, ipBase: [number, number] = [127, 20]) {
    this.#echo = echo;
    this.#podsDir = podsDir;
    this.#ips = new PodIpAllocator(ipBase);
  }

  async reconcile(cluster: Cluster): Promise<void> {
    const wanted = new Map<string, PlannedPod | undefined>();
    const toStart: PlannedPod[] = [];
    for (const dep of cluster.list('Deployment')) {
      const ns = dep.metadata.namespace ?? 'default';
      const spec = (dep['spec'] ?? {}) as DeploymentSpec;
      const hash = createHash('sha1').update(JSON.stringify(spec.template ?? {})).digest('hex').slice(0, 10);
      const prefix = `${ns}/${dep.metadata.name}-${hash}-`;
      const replicas = spec.replicas ?? 1;
      const existing = [...this.pods.keys()].filter((k) => k.startsWith(prefix));
      if (existing.length === replicas) {
        for (const k of existing) wanted.set(k, undefined);
        continue;
      }
      for (const p of planDeployment(dep, cluster, this.#podsDir, () => this.#ips.next())) {
        const k = `${p.info.namespace}/${p.info.name}`;
        wanted.set(k, undefined);
        if (!this.pods.has(k)) toStart.push(p);
      }
    }
    const toStop = [...this.pods.keys()].filter((k) => !wanted.has(k));
    for (const k of toStop) this.pods.delete(k);
    await this.#echo.remove(toStop);
    for (const p of toStart) {
      for (const f of p.files) {
        await mkdir(dirname(f.path), { recursive: true });
        await writeFile(f.path, f.content);
      }
    }
    const supported = toStart.filter((p) => p.info.supported);
    await this.#echo.add(supported.map((p) => p.spec));
    for (const p of toStart) this.pods.set(`${p.info.namespace}/${p.info.name}`, { ...p.info, ready: p.info.supported });
  }

  /** Pods whose name starts with `prefix` in a namespace (e.g. the mirror backend's pods). */
  podsOf(namespace: string, deploymentOrPrefix: string): PodInfo[] {
    return [...this.pods.values()].filter((p) => p.namespace === namespace && (p.deployment === deploymentOrPrefix || p.name.startsWith(deploymentOrPrefix)));
  }
}

type ServicePort = { name?: string; port: number; targetPort?: number | string; protocol?: string; appProtocol?: string };

/** Builds the EndpointSlice of a Service from the ready pods its selector selects. */
export function endpointSliceFor(svc: KObject, pods: Iterable<PodInfo>): KObject | undefined {
  const spec = (svc['spec'] ?? {}) as { selector?: Record<string, string>; ports?: ServicePort[] };
  if (!spec.selector || Object.keys(spec.selector).length === 0) return undefined;
  const ns = svc.metadata.namespace ?? 'default';
  const selected = [...pods].filter(
    (p) => p.namespace === ns && p.ready && Object.entries(spec.selector ?? {}).every(([k, v]) => p.labels[k] === v),
  );
  selected.sort((a, b) => a.name.localeCompare(b.name));
  const ports: Array<Record<string, unknown>> = [];
  for (const p of spec.ports ?? []) {
    // Containers of the conformance Deployments declare no ports, so only numeric targetPorts
    // resolve; a named one would need the container's port of that name.
    const target = p.targetPort === undefined ? p.port : typeof p.targetPort === 'number' ? p.targetPort : Number.NaN;
    if (!Number.isInteger(target)) continue;
    ports.push({
      name: p.name ?? '',
      port: target,
      protocol: p.protocol ?? 'TCP',
      ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    });
  }
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${svc.metadata.name}-eps`,
      namespace: ns,
      labels: {
        'kubernetes.io/service-name': svc.metadata.name,
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      },
    },
    addressType: 'IPv4',
    endpoints: selected.map((p) => ({
      addresses: [p.ip],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', name: p.name, namespace: p.namespace },
    })),
    ports,
  };
}

/** Keeps one EndpointSlice per selector Service, like the EndpointSlice controller. */
export class EndpointSliceController implements ClusterController {
  readonly #pods: PodController;
  constructor(pods: PodController) {
    this.#pods = pods;
  }

  async reconcile(cluster: Cluster): Promise<void> {
    const wanted = new Set<string>();
    const writes: KObject[] = [];
    for (const svc of cluster.list('Service')) {
      const slice = endpointSliceFor(svc, this.#pods.pods.values());
      if (!slice) continue;
      const ns = slice.metadata.namespace ?? 'default';
      wanted.add(`${ns}/${slice.metadata.name}`);
      const cur = cluster.get('EndpointSlice', ns, slice.metadata.name);
      if (cur && JSON.stringify(strip(cur)) === JSON.stringify(strip(slice))) continue;
      writes.push(slice);
    }
    await cluster.applyQuiet(writes);
    const stale = cluster
      .list('EndpointSlice')
      .filter((s) => s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === 'endpointslice-controller.k8s.io')
      .filter((s) => !wanted.has(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`));
    await cluster.deleteQuiet(stale);
  }
}

function strip(o: KObject): unknown {
  const { metadata, ...rest } = o;
  return { ...rest, labels: metadata.labels, name: metadata.name };
}
