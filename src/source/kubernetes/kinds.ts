/**
 * The kinds the controller reads, with the API version and resource path of each.
 *
 * Which Secrets and ConfigMaps: only those referenced by the Gateway API objects (listener
 * certificateRefs, frontend/backend TLS references, BackendTLSPolicy CA certificates). Each is
 * watched by name (a field selector on metadata.name in its namespace), so the controller never
 * caches (or needs RBAC-visible list results of) every Secret in the cluster. Namespaces,
 * Services and EndpointSlices are watched whole: routes may point at any of them.
 */

/** One watched kind. */
export interface KindSpec {
  readonly kind: string;
  readonly apiVersion: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** Optional kinds may be missing from the cluster (their CRD not installed): an empty list. */
  readonly optional: boolean;
}

const GW = 'gateway.networking.k8s.io';

export const GATEWAY_CLASS: KindSpec = { kind: 'GatewayClass', apiVersion: `${GW}/v1`, plural: 'gatewayclasses', namespaced: false, optional: false };
export const GATEWAY: KindSpec = { kind: 'Gateway', apiVersion: `${GW}/v1`, plural: 'gateways', namespaced: true, optional: false };
export const HTTP_ROUTE: KindSpec = { kind: 'HTTPRoute', apiVersion: `${GW}/v1`, plural: 'httproutes', namespaced: true, optional: false };
export const SERVICE: KindSpec = { kind: 'Service', apiVersion: 'v1', plural: 'services', namespaced: true, optional: false };
export const SECRET: KindSpec = { kind: 'Secret', apiVersion: 'v1', plural: 'secrets', namespaced: true, optional: false };
export const CONFIG_MAP: KindSpec = { kind: 'ConfigMap', apiVersion: 'v1', plural: 'configmaps', namespaced: true, optional: false };
export const SERVICE_ACCOUNT: KindSpec = { kind: 'ServiceAccount', apiVersion: 'v1', plural: 'serviceaccounts', namespaced: true, optional: false };
export const DEPLOYMENT: KindSpec = { kind: 'Deployment', apiVersion: 'apps/v1', plural: 'deployments', namespaced: true, optional: false };
export const LEASE: KindSpec = { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespaced: true, optional: false };
export const WAYGATE_PARAMETERS: KindSpec = { kind: 'WaygateParameters', apiVersion: 'waygate.dev/v1alpha1', plural: 'waygateparameters', namespaced: true, optional: true };

/** Every kind watched whole (Secrets and ConfigMaps are watched per reference). */
export const WATCHED_KINDS: readonly KindSpec[] = [
  GATEWAY_CLASS,
  GATEWAY,
  { kind: 'ListenerSet', apiVersion: `${GW}/v1`, plural: 'listenersets', namespaced: true, optional: true },
  HTTP_ROUTE,
  { kind: 'GRPCRoute', apiVersion: `${GW}/v1`, plural: 'grpcroutes', namespaced: true, optional: true },
  { kind: 'TLSRoute', apiVersion: `${GW}/v1alpha2`, plural: 'tlsroutes', namespaced: true, optional: true },
  { kind: 'TCPRoute', apiVersion: `${GW}/v1alpha2`, plural: 'tcproutes', namespaced: true, optional: true },
  { kind: 'UDPRoute', apiVersion: `${GW}/v1alpha2`, plural: 'udproutes', namespaced: true, optional: true },
  { kind: 'ReferenceGrant', apiVersion: `${GW}/v1beta1`, plural: 'referencegrants', namespaced: true, optional: false },
  { kind: 'BackendTLSPolicy', apiVersion: `${GW}/v1`, plural: 'backendtlspolicies', namespaced: true, optional: true },
  { kind: 'Namespace', apiVersion: 'v1', plural: 'namespaces', namespaced: false, optional: false },
  SERVICE,
  { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', plural: 'endpointslices', namespaced: true, optional: false },
  WAYGATE_PARAMETERS,
];

function apiPrefix(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The collection path, cluster-wide or in one namespace. */
export function collectionPath(spec: KindSpec, namespace?: string): string {
  const ns = spec.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${apiPrefix(spec.apiVersion)}${ns}/${spec.plural}`;
}

/** The path of one object, or of its status subresource. */
export function objectPath(spec: KindSpec, namespace: string | null | undefined, name: string, subresource?: 'status'): string {
  const base = collectionPath(spec, namespace ?? undefined);
  return `${base}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}

/** The spec of a kind by name (watched kinds and the ones we write). */
export function kindSpec(kind: string): KindSpec | undefined {
  return [...WATCHED_KINDS, SECRET, CONFIG_MAP, SERVICE_ACCOUNT, DEPLOYMENT, LEASE].find((k) => k.kind === kind);
}
