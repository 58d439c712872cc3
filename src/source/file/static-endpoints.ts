/**
 * Static endpoints without a cluster: a Service annotated with
 * `waygate.dev/endpoint-addresses: "127.0.0.1, 127.0.0.2"` that has no EndpointSlice of its own
 * gets a synthesized one, as the EndpointSlice controller would make for a selector match.
 * (The plain Kubernetes way also works: a selector-less Service plus a hand-written
 * EndpointSlice labelled `kubernetes.io/service-name`.) See docs/loading.md.
 */
import type { EndpointPort, EndpointSlice, KubeObject, Service } from '../../api/types.js';
import { isIPv4, isIPv6 } from '../../api/ip-syntax.js';

/** The annotation naming a Service's endpoint addresses (comma- or space-separated IPs). */
export const ENDPOINT_ADDRESSES_ANNOTATION = 'waygate.dev/endpoint-addresses';
/** The label tying an EndpointSlice to its Service (discovery.k8s.io/v1). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Label marking slices waygate synthesized. */
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'waygate.dev/static-endpoints';

/** A problem with one Service's annotation. */
export interface StaticEndpointProblem {
  readonly service: Service;
  readonly path: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

export interface StaticEndpointsResult {
  /** The synthesized EndpointSlices, one per address family in use. */
  readonly slices: EndpointSlice[];
  readonly problems: StaticEndpointProblem[];
}

const ANNOTATION_PATH = `metadata.annotations[${JSON.stringify(ENDPOINT_ADDRESSES_ANNOTATION)}]`;

/**
 * Synthesizes EndpointSlices for annotated Services that have none. Each gets one ready
 * endpoint per address and one port per Service port, named as the Service port, with the
 * Service port's numeric `targetPort` (else its `port`).
 */
export function synthesizeStaticEndpoints(objects: readonly KubeObject[]): StaticEndpointsResult {
  const slices: EndpointSlice[] = [];
  const problems: StaticEndpointProblem[] = [];
  const owned = new Set<string>();
  const sliceNames = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'EndpointSlice') continue;
    const ns = o.metadata.namespace ?? '';
    sliceNames.add(`${ns}/${o.metadata.name}`);
    const svc = o.metadata.labels?.[SERVICE_NAME_LABEL];
    if (svc) owned.add(`${ns}/${svc}`);
  }
  for (const o of objects) {
    if (o.kind !== 'Service') continue;
    const svc = o as Service;
    const raw = svc.metadata.annotations?.[ENDPOINT_ADDRESSES_ANNOTATION];
    if (raw === undefined) continue;
    const ns = svc.metadata.namespace ?? 'default';
    if (owned.has(`${ns}/${svc.metadata.name}`)) {
      problems.push({ service: svc, path: ANNOTATION_PATH, message: 'is ignored: the Service already has an EndpointSlice', severity: 'warning' });
      continue;
    }
    const v4: string[] = [];
    const v6: string[] = [];
    for (const addr of raw.split(/[\s,]+/).filter((a) => a !== '')) {
      if (isIPv4(addr)) v4.push(addr);
      else if (isIPv6(addr)) v6.push(addr);
      else problems.push({ service: svc, path: ANNOTATION_PATH, message: `"${addr}" is not an IP address`, severity: 'error' });
    }
    const ports = toEndpointPorts(svc);
    const families = [
      { type: 'IPv4', addrs: v4 },
      { type: 'IPv6', addrs: v6 },
    ].filter((f) => f.addrs.length > 0);
    families.forEach((family, i) => {
      const name = `${svc.metadata.name}-static${i === 0 ? '' : `-${family.type.toLowerCase()}`}`;
      if (sliceNames.has(`${ns}/${name}`)) {
        problems.push({ service: svc, path: ANNOTATION_PATH, message: `is ignored: an EndpointSlice named ${name} already exists`, severity: 'warning' });
        return;
      }
      slices.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name,
          namespace: ns,
          labels: { [SERVICE_NAME_LABEL]: svc.metadata.name, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
        },
        addressType: family.type,
        endpoints: family.addrs.map((a) => ({ addresses: [a], conditions: { ready: true, serving: true, terminating: false } })),
        ports: ports.map((p) => ({ ...p })),
      });
    });
  }
  return { slices, problems };
}

function toEndpointPorts(svc: Service): EndpointPort[] {
  return (svc.spec?.ports ?? []).map((p) => ({
    name: p.name ?? '',
    port: typeof p.targetPort === 'number' ? p.targetPort : p.port,
    protocol: p.protocol ?? 'TCP',
    ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
  }));
}
