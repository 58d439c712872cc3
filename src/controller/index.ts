/**
 * The resource index: lookup tables built once per translate() pass from the Snapshot, so the
 * later stages never scan lists. Keys are `ns/name` (see objectKey).
 */
import type * as api from '../api/types.js';
import { objectKey, type Snapshot } from '../source/snapshot.js';
import type { ResourceIndex } from './model.js';

/** The label EndpointSlices carry to name the Service they belong to. */
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The label Kubernetes puts on every Namespace (since 1.22), naming it. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Builds every lookup table of the pass. Input lists keep their canonical (age, key) order. */
export function buildResourceIndex(snapshot: Snapshot): ResourceIndex {
  const endpointSlicesByService = new Map<string, api.EndpointSlice[]>();
  for (const slice of snapshot.endpointSlices) {
    const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!service) continue;
    const key = `${slice.metadata.namespace ?? ''}/${service}`;
    const list = endpointSlicesByService.get(key);
    if (list) list.push(slice);
    else endpointSlicesByService.set(key, [slice]);
  }
  const referenceGrantsByNamespace = new Map<string, api.ReferenceGrant[]>();
  for (const grant of snapshot.referenceGrants) {
    const ns = grant.metadata.namespace ?? '';
    const list = referenceGrantsByNamespace.get(ns);
    if (list) list.push(grant);
    else referenceGrantsByNamespace.set(ns, [grant]);
  }
  return {
    namespaces: byKey(snapshot.namespaces),
    services: byKey(snapshot.services),
    endpointSlicesByService,
    secrets: byKey(snapshot.secrets),
    configMaps: byKey(snapshot.configMaps),
    referenceGrantsByNamespace,
  };
}

/**
 * The labels of a namespace, including the `kubernetes.io/metadata.name` label the API server
 * adds to every Namespace, so selectors on it work even when the Namespace object is not in
 * the snapshot (file mode often omits it).
 */
export function namespaceLabels(index: ResourceIndex, namespace: string): Record<string, string> {
  const labels = index.namespaces.get(namespace)?.metadata.labels ?? {};
  return { ...labels, [NAMESPACE_NAME_LABEL]: namespace };
}

function byKey<T extends api.KubeObject>(objects: readonly T[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const obj of objects) map.set(objectKey(obj), obj);
  return map;
}
