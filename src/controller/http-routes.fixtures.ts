/**
 * Hand-built controller graph pieces for the route-side unit tests (not shipped code paths):
 * Gateways, listeners, ListenerSets, indexes, Services and EndpointSlices.
 */
import type * as api from '../api/types.js';
import type { GatewayClassNode, GatewayNode, ListenerNode, ListenerSetNode, ResourceIndex } from './model.js';

const HTTP_KINDS: api.RouteGroupKind[] = [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }];

const CLASS: GatewayClassNode = {
  gatewayClass: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'waygate' }, spec: { controllerName: 'waygate.dev/gateway-controller' } },
  accepted: true,
  conditions: [],
};

/** A Gateway node with its own listeners (HTTP unless given), all accepted. */
export function gatewayNode(ns: string, name: string, listeners: api.Listener[]): GatewayNode {
  const gateway: api.Gateway = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: ns },
    spec: { gatewayClassName: 'waygate', listeners },
  };
  const node: GatewayNode = { gateway, gatewayClass: CLASS, accepted: true, addresses: ['127.0.0.1'], conditions: [], listeners: [], listenerSets: [] };
  for (const l of listeners) node.listeners.push(listenerNode(node, null, l));
  return node;
}

/** Adds a ListenerSet (accepted unless told) with its listeners to a Gateway node. */
export function addListenerSet(gw: GatewayNode, ns: string, name: string, listeners: api.Listener[], accepted = true): ListenerSetNode {
  const listenerSet: api.ListenerSet = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'ListenerSet',
    metadata: { name, namespace: ns },
    spec: { parentRef: { name: gw.gateway.metadata.name }, listeners },
  };
  const node: ListenerSetNode = { listenerSet, gateway: gw, accepted, conditions: [], listeners: [] };
  for (const l of listeners) {
    const ln = listenerNode(gw, node, l);
    node.listeners.push(ln);
    gw.listeners.push(ln);
  }
  gw.listenerSets.push(node);
  return node;
}

function listenerNode(gw: GatewayNode, ls: ListenerSetNode | null, listener: api.Listener): ListenerNode {
  const owner = ls ? ls.listenerSet.metadata : gw.gateway.metadata;
  const http = listener.protocol === 'HTTP' || listener.protocol === 'HTTPS';
  return {
    key: `${owner.namespace}/${owner.name}/${listener.name}`,
    slot: `${gw.gateway.metadata.namespace}/${gw.gateway.metadata.name}#${gw.listeners.length}`,
    gateway: gw,
    listenerSet: ls,
    listener,
    supportedKinds: http ? HTTP_KINDS : [],
    accepted: true,
    programmed: true,
    conditions: [],
    attachedRoutes: 0,
    attachments: [],
  };
}

/** An HTTP listener. */
export function http(name: string, port = 80, hostname?: string, allowedRoutes?: api.AllowedRoutes): api.Listener {
  const l: api.Listener = { name, port, protocol: 'HTTP' };
  if (hostname !== undefined) l.hostname = hostname;
  if (allowedRoutes !== undefined) l.allowedRoutes = allowedRoutes;
  return l;
}

/** An index over the given objects (grouped like index.ts does). */
export function indexOf(objects: api.KubeObject[]): ResourceIndex {
  const namespaces = new Map<string, api.Namespace>();
  const services = new Map<string, api.Service>();
  const endpointSlicesByService = new Map<string, api.EndpointSlice[]>();
  const referenceGrantsByNamespace = new Map<string, api.ReferenceGrant[]>();
  for (const o of objects) {
    const key = o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
    if (o.kind === 'Namespace') namespaces.set(key, o as api.Namespace);
    if (o.kind === 'Service') services.set(key, o as api.Service);
    if (o.kind === 'EndpointSlice') {
      const svc = `${o.metadata.namespace}/${o.metadata.labels?.['kubernetes.io/service-name'] ?? ''}`;
      endpointSlicesByService.set(svc, [...(endpointSlicesByService.get(svc) ?? []), o as api.EndpointSlice]);
    }
    if (o.kind === 'ReferenceGrant') {
      const ns = o.metadata.namespace ?? '';
      referenceGrantsByNamespace.set(ns, [...(referenceGrantsByNamespace.get(ns) ?? []), o as api.ReferenceGrant]);
    }
  }
  return { namespaces, services, endpointSlicesByService, secrets: new Map(), configMaps: new Map(), referenceGrantsByNamespace };
}

/** A Service with the given ports. */
export function service(ns: string, name: string, ports: api.ServicePort[], type?: string): api.Service {
  const spec: api.Service['spec'] = { ports };
  if (type !== undefined) spec.type = type;
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec };
}

/** An EndpointSlice for a Service. */
export function endpointSlice(
  ns: string,
  svc: string,
  ports: api.EndpointPort[],
  endpoints: api.Endpoint[],
  addressType = 'IPv4',
): api.EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-${Math.abs(hash(JSON.stringify(endpoints))) % 100000}`, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    addressType,
    ports,
    endpoints,
  };
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

/** An HTTPRoute. */
export function httpRoute(ns: string, name: string, spec: api.HTTPRoute['spec'], created = '2024-01-01T00:00:00Z'): api.HTTPRoute {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace: ns, creationTimestamp: created, generation: 1 }, spec };
}
