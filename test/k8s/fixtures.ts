/**
 * Shared pieces of the Kubernetes-mode tests: a KubeConfig for the test API server, bounded
 * waiting, and a small Gateway API world (class, Gateway, route, backend).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesController } from '../../src/source/kubernetes/controller.js';
import { Provisioner } from '../../src/source/kubernetes/provisioner.js';
import { KubeRest } from '../../src/source/kubernetes/rest.js';
import { TestApiServer } from './apiserver.js';
import { resourceForKind } from './resources.js';
import type { Obj } from './store.js';

export const CONTROLLER = 'waygate.dev/gateway-controller';
export const TOKEN = 'test-token';

/** A KubeConfig pointing at a test server. */
export function kubeConfigFor(url: string, token = TOKEN): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: url, skipTLSVerify: true }],
    users: [{ name: 'test', token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test', namespace: 'default' }],
    currentContext: 'test',
  });
  return kc;
}

/** Polls `fn` until it returns a truthy value (bounded); throws with `what` on timeout. */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Reads an object from the server's store. */
export function read(server: TestApiServer, apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined {
  const r = resourceForKind(apiVersion, kind);
  if (!r) throw new Error(`unknown ${apiVersion} ${kind}`);
  return server.store.get(r, namespace, name);
}

/** Sets an object's status directly (as another controller would). */
export function setStatus(server: TestApiServer, apiVersion: string, kind: string, namespace: string | undefined, name: string, status: unknown): void {
  const r = resourceForKind(apiVersion, kind)!;
  const o = server.store.get(r, namespace, name)!;
  server.store.update(r, namespace, name, { ...o, status } as Obj, true);
}

const GW = 'gateway.networking.k8s.io/v1';

/** Namespace, GatewayClass, Gateway `infra/gw`, Service + EndpointSlice, HTTPRoute `app/route`. */
export function seedWorld(server: TestApiServer): void {
  for (const name of ['infra', 'app']) server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  server.apply({ apiVersion: GW, kind: 'GatewayClass', metadata: { name: 'waygate' }, spec: { controllerName: CONTROLLER } });
  server.apply({
    apiVersion: GW, kind: 'Gateway', metadata: { name: 'gw', namespace: 'infra' },
    spec: { gatewayClassName: 'waygate', listeners: [{ name: 'http', port: 8080, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] },
  });
  server.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo', namespace: 'app' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 3000, protocol: 'TCP' }] } });
  server.apply({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'echo-1', namespace: 'app', labels: { 'kubernetes.io/service-name': 'echo' } },
    addressType: 'IPv4', ports: [{ name: 'http', port: 3000, protocol: 'TCP' }], endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
  });
  server.apply(route('route', ['/']));
}

/** An HTTPRoute in `app` attached to `infra/gw`. */
export function route(name: string, prefixes: readonly string[], parent = 'gw'): Obj {
  return {
    apiVersion: GW, kind: 'HTTPRoute', metadata: { name, namespace: 'app' },
    spec: {
      parentRefs: [{ name: parent, namespace: 'infra' }],
      rules: [{ matches: prefixes.map((p) => ({ path: { type: 'PathPrefix', value: p } })), backendRefs: [{ name: 'echo', port: 80 }] }],
    },
  };
}

/** The condition `type` of a status conditions list. */
export function condition(status: unknown, type: string): { status: string; reason: string; observedGeneration?: number; lastTransitionTime: string } | undefined {
  const list = ((status ?? {}) as { conditions?: { type: string; status: string; reason: string; lastTransitionTime: string }[] }).conditions ?? [];
  return list.find((c) => c.type === type);
}

/**
 * A test API server seeded with `seedWorld` and a KubernetesController that provisions
 * (leader election off, short coalescing and backoff), started and ready. `stop` tears both down.
 */
export async function startProvisioningWorld(opts: {
  readonly streamUrl: string;
  readonly caPem: string | null;
  readonly extraFeatures?: readonly string[];
}): Promise<{ readonly server: TestApiServer; readonly controller: KubernetesController; stop(): Promise<void> }> {
  const server = await TestApiServer.start({ token: TOKEN });
  seedWorld(server);
  const rest = new KubeRest(kubeConfigFor(server.url));
  const controller = new KubernetesController({
    rest,
    controllerName: CONTROLLER,
    leaderElection: null,
    provision: new Provisioner({ rest, image: 'waygate:test', streamUrl: opts.streamUrl, tokenFor: (gw) => `token-${gw}`, caPem: opts.caPem }),
    ...(opts.extraFeatures !== undefined ? { extraFeatures: opts.extraFeatures } : {}),
    coalesceMs: 10,
    initialBackoffMs: 20,
  });
  controller.start();
  await controller.whenReady();
  return {
    server,
    controller,
    stop: async () => {
      await controller.stop();
      await server.close();
    },
  };
}
