/**
 * The resources the test API server knows: group, versions, plural, kind, scope, and whether
 * status is a subresource. Discovery documents (/api, /apis, /apis/G/V) are built from it, which
 * is what @kubernetes/client-node's KubernetesObjectApi reads to map kinds to paths.
 */

/** One resource type. Objects are stored once per group+plural, whatever version is asked. */
export interface ResourceType {
  readonly group: string;
  readonly versions: readonly string[];
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** True when `status` is a subresource (writes to the main resource keep the old status). */
  readonly statusSubresource: boolean;
}

const GW = 'gateway.networking.k8s.io';

/** Every resource the test API server serves. */
export const RESOURCES: readonly ResourceType[] = [
  { group: '', versions: ['v1'], plural: 'namespaces', kind: 'Namespace', namespaced: false, statusSubresource: true },
  { group: '', versions: ['v1'], plural: 'services', kind: 'Service', namespaced: true, statusSubresource: true },
  { group: '', versions: ['v1'], plural: 'secrets', kind: 'Secret', namespaced: true, statusSubresource: false },
  { group: '', versions: ['v1'], plural: 'configmaps', kind: 'ConfigMap', namespaced: true, statusSubresource: false },
  { group: '', versions: ['v1'], plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, statusSubresource: false },
  { group: '', versions: ['v1'], plural: 'pods', kind: 'Pod', namespaced: true, statusSubresource: true },
  { group: 'apps', versions: ['v1'], plural: 'deployments', kind: 'Deployment', namespaced: true, statusSubresource: true },
  { group: 'discovery.k8s.io', versions: ['v1'], plural: 'endpointslices', kind: 'EndpointSlice', namespaced: true, statusSubresource: false },
  { group: 'coordination.k8s.io', versions: ['v1'], plural: 'leases', kind: 'Lease', namespaced: true, statusSubresource: false },
  { group: GW, versions: ['v1', 'v1beta1'], plural: 'gatewayclasses', kind: 'GatewayClass', namespaced: false, statusSubresource: true },
  { group: GW, versions: ['v1', 'v1beta1'], plural: 'gateways', kind: 'Gateway', namespaced: true, statusSubresource: true },
  { group: GW, versions: ['v1'], plural: 'listenersets', kind: 'ListenerSet', namespaced: true, statusSubresource: true },
  { group: GW, versions: ['v1', 'v1beta1'], plural: 'httproutes', kind: 'HTTPRoute', namespaced: true, statusSubresource: true },
  { group: GW, versions: ['v1'], plural: 'grpcroutes', kind: 'GRPCRoute', namespaced: true, statusSubresource: true },
  { group: GW, versions: ['v1', 'v1alpha2', 'v1alpha3'], plural: 'tlsroutes', kind: 'TLSRoute', namespaced: true, statusSubresource: true },
  { group: GW, versions: ['v1alpha2', 'v1'], plural: 'tcproutes', kind: 'TCPRoute', namespaced: true, statusSubresource: true },
  { group: GW, versions: ['v1alpha2', 'v1'], plural: 'udproutes', kind: 'UDPRoute', namespaced: true, statusSubresource: true },
  { group: GW, versions: ['v1', 'v1beta1'], plural: 'referencegrants', kind: 'ReferenceGrant', namespaced: true, statusSubresource: false },
  { group: GW, versions: ['v1', 'v1alpha3'], plural: 'backendtlspolicies', kind: 'BackendTLSPolicy', namespaced: true, statusSubresource: true },
  { group: 'waygate.dev', versions: ['v1alpha1'], plural: 'waygateparameters', kind: 'WaygateParameters', namespaced: true, statusSubresource: false },
];

/** `group/plural` (core: `/plural`): the storage key of a resource type. */
export function resourceKey(r: ResourceType): string {
  return `${r.group}/${r.plural}`;
}

/** Finds a resource by group, version and plural. */
export function findResource(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCES.find((r) => r.group === group && r.plural === plural && r.versions.includes(version));
}

/** Finds a resource by apiVersion and kind. */
export function resourceForKind(apiVersion: string, kind: string): ResourceType | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return RESOURCES.find((r) => r.group === group && r.kind === kind && r.versions.includes(version ?? ''));
}

/** `apiVersion` of a group/version. */
export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** The APIResourceList of one group/version, or undefined when the version is unknown. */
export function resourceList(group: string, version: string): Record<string, unknown> | undefined {
  const rs = RESOURCES.filter((r) => r.group === group && r.versions.includes(version));
  if (rs.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const r of rs) {
    resources.push({ name: r.plural, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: VERBS });
    if (r.statusSubresource) resources.push({ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources };
}

/** The APIGroupList (/apis). */
export function groupList(): Record<string, unknown> {
  const groups = new Map<string, Set<string>>();
  for (const r of RESOURCES) {
    if (r.group === '') continue;
    const set = groups.get(r.group) ?? new Set<string>();
    for (const v of r.versions) set.add(v);
    groups.set(r.group, set);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => {
      const vs = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
      return { name, versions: vs, preferredVersion: vs[0] };
    }),
  };
}
