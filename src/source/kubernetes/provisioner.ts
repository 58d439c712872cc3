/**
 * Provisioning (GEP-1762): for every accepted Gateway of ours, a ServiceAccount, a Secret (the
 * proxy's stream credentials), a Deployment running `waygate proxy` and a Service, all in the
 * Gateway's namespace, owned by the Gateway (garbage-collected with it), labelled
 * `gateway.networking.k8s.io/gateway-name` and `gateway-class-name`, and carrying
 * `spec.infrastructure` labels and annotations ("Infrastructure defines infrastructure level
 * attributes about this Gateway instance [...] labels/annotations that SHOULD be applied to any
 * resources created in response to this Gateway").
 *
 * Writes are skipped when the object already carries the hash of what we want; objects of
 * Gateways that are gone or no longer accepted are deleted. The Service's assigned addresses
 * become the Gateway's status.addresses (through TranslateOptions.addresses.assigned).
 */
import { createHash } from 'node:crypto';
import type { TranslateResult } from '../../controller/translate.js';
import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import { childName, labelValue } from './child-names.js';
import type { ProvisionHook } from './controller.js';
import { collectionPath, DEPLOYMENT, kindSpec, objectPath, SECRET, SERVICE, SERVICE_ACCOUNT } from './kinds.js';
import { effectiveParameters, resolveParameters, type EffectiveParameters } from './parameters.js';
import { KubeApiError, objectKeyOf, type KObj, type KubeRest } from './rest.js';

export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
export const GATEWAY_CLASS_LABEL = 'gateway.networking.k8s.io/gateway-class-name';
/** `ns/name` of the Gateway an object was made for. */
export const GATEWAY_ANNOTATION = 'waygate.dev/gateway';
const HASH_ANNOTATION = 'waygate.dev/spec-hash';
/** The proxy's admin port (health and readiness). */
export const PROXY_ADMIN_PORT = 9902;
/**
 * Conformance features only Kubernetes mode implements (standalone mode provisions nothing):
 * GatewayInfrastructurePropagation ("labels/annotations that SHOULD be applied to any
 * resources created in response to this Gateway"). The controller adds them to the
 * GatewayClass supportedFeatures when it provisions.
 */
export const PROVISIONING_FEATURES: readonly string[] = ['GatewayInfrastructurePropagation'];

export interface ProvisionerOptions {
  readonly rest: KubeRest;
  /** Default proxy image. */
  readonly image: string;
  /** The controller's config stream URL as proxies reach it. */
  readonly streamUrl: string;
  /** The stream token of a Gateway (`ns/name`). */
  readonly tokenFor: (gateway: string) => string;
  /** CA certificate proxies verify the stream server with (PEM), or null (plain HTTP). */
  readonly caPem: string | null;
  readonly log?: Logger;
}

function hashOf(o: KObj): string {
  const { metadata, ...rest } = o;
  return createHash('sha256').update(JSON.stringify({ labels: metadata['labels'], annotations: metadata['annotations'], ownerReferences: metadata['ownerReferences'], rest })).digest('hex').slice(0, 16);
}

function withHash(o: KObj): KObj {
  const annotations = { ...((o.metadata['annotations'] as Record<string, string> | undefined) ?? {}), [HASH_ANNOTATION]: hashOf(o) };
  return { ...o, metadata: { ...o.metadata, annotations } };
}

/**
 * The objects one Gateway needs. Pure. `extraPorts` are ports served beyond `spec.listeners`
 * (listeners of attached ListenerSets, from the IR).
 */
export function buildProvisionedObjects(gateway: KObj, params: EffectiveParameters, opts: Pick<ProvisionerOptions, 'streamUrl' | 'tokenFor' | 'caPem'>, extraPorts: readonly { port: number; protocol: 'TCP' | 'UDP' }[] = []): KObj[] {
  const ns = gateway.metadata.namespace ?? 'default';
  const gwName = gateway.metadata.name;
  const key = `${ns}/${gwName}`;
  const spec = (gateway['spec'] ?? {}) as { gatewayClassName?: string; listeners?: { port: number; protocol: string }[]; addresses?: { type?: string; value?: string }[]; infrastructure?: { labels?: Record<string, string>; annotations?: Record<string, string> } };
  const name = childName(gwName);
  const selector = { 'app.kubernetes.io/name': 'waygate-proxy', 'app.kubernetes.io/instance': name };
  const labels: Record<string, string> = {
    ...(spec.infrastructure?.labels ?? {}),
    ...selector,
    [MANAGED_BY]: 'waygate',
    [GATEWAY_NAME_LABEL]: labelValue(gwName),
    [GATEWAY_CLASS_LABEL]: labelValue(spec.gatewayClassName ?? ''),
  };
  const annotations: Record<string, string> = { ...(spec.infrastructure?.annotations ?? {}), [GATEWAY_ANNOTATION]: key };
  const ownerReferences = [{ apiVersion: gateway.apiVersion ?? 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: gwName, uid: String(gateway.metadata.uid ?? ''), controller: true, blockOwnerDeletion: true }];
  const meta = (n: string, extra: Record<string, string> = {}) => ({ name: n, namespace: ns, labels, annotations: { ...annotations, ...extra }, ownerReferences });
  const ports = new Map<string, { port: number; protocol: 'TCP' | 'UDP' }>();
  for (const l of spec.listeners ?? []) {
    const protocol = l.protocol === 'UDP' ? 'UDP' : 'TCP';
    ports.set(`${protocol}/${l.port}`, { port: l.port, protocol });
  }
  for (const p of extraPorts) ports.set(`${p.protocol}/${p.port}`, { port: p.port, protocol: p.protocol });
  // "The implementation MUST bind all Listeners to every GatewayAddress that it assigns to the
  // Gateway": static IPAddress values are requested from the cluster as the Service's
  // externalIPs; a load balancer reports those it could assign in status.loadBalancer.ingress,
  // and only those count as usable (see Provisioner.addresses).
  const staticIPs = [...new Set((spec.addresses ?? []).filter((a) => (a.type ?? 'IPAddress') === 'IPAddress' && a.value).map((a) => a.value!))];
  const secretName = `${name}-stream`;
  const secretData: Record<string, string> = { token: opts.tokenFor(key) };
  if (opts.caPem) secretData['ca.crt'] = opts.caPem;
  const args = ['proxy', '--controller', opts.streamUrl, '--gateway', key, '--token-file', '/etc/waygate/stream/token', '--admin-address', `0.0.0.0:${PROXY_ADMIN_PORT}`];
  if (opts.caPem) args.push('--ca-file', '/etc/waygate/stream/ca.crt');
  const container: Record<string, unknown> = {
    name: 'proxy',
    image: params.image,
    args,
    ports: [...ports.values()].map((p) => ({ containerPort: p.port, protocol: p.protocol })),
    readinessProbe: { httpGet: { path: '/readyz', port: PROXY_ADMIN_PORT }, periodSeconds: 2 },
    livenessProbe: { httpGet: { path: '/healthz', port: PROXY_ADMIN_PORT }, periodSeconds: 10 },
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } },
    volumeMounts: [{ name: 'stream', mountPath: '/etc/waygate/stream', readOnly: true }],
    ...(params.resources ? { resources: params.resources } : {}),
  };
  return [
    withHash({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name), automountServiceAccountToken: false }),
    withHash({ apiVersion: 'v1', kind: 'Secret', metadata: meta(secretName), type: 'Opaque', stringData: secretData }),
    withHash({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(name),
      spec: {
        replicas: params.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels, annotations },
          spec: { serviceAccountName: name, automountServiceAccountToken: false, containers: [container], volumes: [{ name: 'stream', secret: { secretName } }] },
        },
      },
    }),
    withHash({
      apiVersion: 'v1', kind: 'Service', metadata: meta(name, params.serviceAnnotations),
      spec: { type: params.serviceType, selector, ...(staticIPs.length > 0 ? { externalIPs: staticIPs } : {}), ports: [...ports.values()].map((p) => ({ name: `${p.protocol.toLowerCase()}-${p.port}`, port: p.port, targetPort: p.port, protocol: p.protocol })) },
    }),
  ];
}

/**
 * Addresses of a provisioned Service: load balancer ingress IPs; for other types its external
 * IPs (requested static addresses, routed by the cluster as they are), then its cluster IPs.
 */
export function serviceAddresses(svc: KObj): string[] {
  const spec = (svc['spec'] ?? {}) as { type?: string; clusterIPs?: string[]; clusterIP?: string; externalIPs?: string[] };
  if (spec.type === 'LoadBalancer') {
    const ingress = ((svc['status'] ?? {}) as { loadBalancer?: { ingress?: { ip?: string }[] } }).loadBalancer?.ingress ?? [];
    return ingress.map((i) => i.ip).filter((ip): ip is string => !!ip);
  }
  return [...(spec.externalIPs ?? []), ...(spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []))].filter((ip) => ip !== 'None');
}

/** Ports of the accepted ListenerSets attached to Gateway `key` (`ns/name`). */
export function listenerSetPorts(key: string, result: TranslateResult, objects: readonly KObj[]): { port: number; protocol: 'TCP' | 'UDP' }[] {
  const out: { port: number; protocol: 'TCP' | 'UDP' }[] = [];
  for (const st of result.infrastructureStatuses) {
    if (st.kind !== 'ListenerSet') continue;
    const accepted = ((st.status['conditions'] as { type: string; status: string }[] | undefined) ?? []).some((c) => c.type === 'Accepted' && c.status === 'True');
    const ls = objects.find((o) => o.kind === 'ListenerSet' && o.metadata.namespace === st.namespace && o.metadata.name === st.name);
    const spec = (ls?.['spec'] ?? {}) as { parentRef?: { name?: string; namespace?: string }; listeners?: { port: number; protocol: string }[] };
    if (!accepted || `${spec.parentRef?.namespace ?? st.namespace}/${spec.parentRef?.name ?? ''}` !== key) continue;
    for (const l of spec.listeners ?? []) out.push({ port: l.port, protocol: l.protocol === 'UDP' ? 'UDP' : 'TCP' });
  }
  return out;
}

/** The ProvisionHook of the controller. */
export class Provisioner implements ProvisionHook {
  readonly #o: ProvisionerOptions;
  readonly #log: Logger;
  readonly watch = [SERVICE_ACCOUNT, SECRET, DEPLOYMENT, SERVICE].map((spec) => ({ spec, labelSelector: `${MANAGED_BY}=waygate` }));
  readonly reads = ['GatewayClass', 'Gateway', 'ListenerSet', 'WaygateParameters'];

  constructor(options: ProvisionerOptions) {
    this.#o = options;
    this.#log = options.log ?? silentLogger;
  }

  addresses(observed: readonly KObj[]): Record<string, readonly string[]> {
    const out: Record<string, readonly string[]> = {};
    for (const o of observed) {
      const gw = (o.metadata['annotations'] as Record<string, string> | undefined)?.[GATEWAY_ANNOTATION];
      if (o.kind !== 'Service' || !gw) continue;
      const ips = serviceAddresses(o);
      if (ips.length > 0) out[gw] = ips;
    }
    return out;
  }

  async reconcile(result: TranslateResult, objects: readonly KObj[], observed: readonly KObj[]): Promise<void> {
    const accepted = new Set(
      result.infrastructureStatuses
        .filter((s) => s.kind === 'Gateway' && ((s.status['conditions'] as { type: string; status: string }[] | undefined) ?? []).some((c) => c.type === 'Accepted' && c.status === 'True'))
        .map((s) => `${s.namespace}/${s.name}`),
    );
    const byKey = new Map(observed.map((o) => [objectKeyOf(o), o]));
    const wanted = new Set<string>();
    for (const gw of objects) {
      if (gw.kind !== 'Gateway' || !accepted.has(`${gw.metadata.namespace}/${gw.metadata.name}`)) continue;
      const className = (gw['spec'] as { gatewayClassName: string }).gatewayClassName;
      const gc = objects.find((o) => o.kind === 'GatewayClass' && o.metadata.name === className);
      const params = effectiveParameters(
        resolveParameters((gc?.['spec'] as { parametersRef?: never } | undefined)?.parametersRef, undefined, objects),
        resolveParameters((gw['spec'] as { infrastructure?: { parametersRef?: never } }).infrastructure?.parametersRef, gw.metadata.namespace, objects),
        this.#o.image,
      );
      const key = `${gw.metadata.namespace}/${gw.metadata.name}`;
      for (const desired of buildProvisionedObjects(gw, params, this.#o, listenerSetPorts(key, result, objects))) {
        const objKey = objectKeyOf(desired);
        wanted.add(objKey);
        const current = byKey.get(objKey);
        const hash = (desired.metadata['annotations'] as Record<string, string>)[HASH_ANNOTATION];
        if ((current?.metadata['annotations'] as Record<string, string> | undefined)?.[HASH_ANNOTATION] === hash) continue;
        await this.#apply(desired, current ?? null);
      }
    }
    for (const [key, o] of byKey) {
      if (wanted.has(key) || !(o.metadata['annotations'] as Record<string, string> | undefined)?.[GATEWAY_ANNOTATION]) continue;
      const spec = kindSpec(o.kind ?? '');
      if (!spec) continue;
      try {
        await this.#o.rest.send('DELETE', objectPath(spec, o.metadata.namespace, o.metadata.name));
        this.#log.info('deleted provisioned object', { kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 404)) this.#log.warn('delete failed', { kind: o.kind, name: o.metadata.name, error: (err as Error).message });
      }
    }
  }

  async #apply(desired: KObj, current: KObj | null): Promise<void> {
    const spec = kindSpec(desired.kind ?? '')!;
    try {
      if (!current) {
        try {
          await this.#o.rest.send('POST', collectionPath(spec, desired.metadata.namespace), { body: desired });
          this.#log.info('provisioned', { kind: desired.kind, namespace: desired.metadata.namespace, name: desired.metadata.name });
          return;
        } catch (err) {
          if (!(err instanceof KubeApiError && err.code === 409)) throw err;
        }
      }
      const { apiVersion: _a, kind: _k, ...body } = desired;
      await this.#o.rest.send('PATCH', objectPath(spec, desired.metadata.namespace, desired.metadata.name), { body, contentType: 'application/merge-patch+json' });
    } catch (err) {
      this.#log.warn('provisioning failed', { kind: desired.kind, namespace: desired.metadata.namespace, name: desired.metadata.name, error: (err as Error).message });
    }
  }
}
