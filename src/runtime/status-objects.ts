/**
 * Renders the controller's status updates as Kubernetes objects, the shape `/status`,
 * `waygate validate -o` and `waygate status -o` print:
 * `{apiVersion, kind, metadata: {name, namespace, generation, creationTimestamp}, spec, status}`.
 * The spec is included as loaded (defaulted), so readers such as `waygate status` can show a
 * listener's port and protocol next to its conditions.
 */
import type { KubeObject } from '../api/types.js';
import type { StatusUpdate } from '../controller/translate.js';
import { identityKey } from '../source/snapshot.js';

/** One object with the status waygate wrote (or would write) for it. */
export interface StatusObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    /** Absent for cluster-scoped kinds (GatewayClass), as Kubernetes prints them. */
    readonly namespace?: string;
    readonly generation: number;
    readonly creationTimestamp: string | null;
  };
  /** The object's spec as loaded and defaulted (absent if the kind has none). */
  readonly spec?: unknown;
  readonly status: Record<string, unknown>;
}

/** The apiVersion used when the source object is not found (it always should be). */
const FALLBACK_API_VERSION = 'gateway.networking.k8s.io/v1';

/**
 * Joins each status update with the object it belongs to (for apiVersion and
 * creationTimestamp). Output order is the controller's order.
 */
export function toStatusObjects(updates: readonly StatusUpdate[], objects: readonly KubeObject[]): StatusObject[] {
  const byKey = new Map<string, KubeObject>();
  for (const obj of objects) byKey.set(identityKey(obj.kind, obj.metadata.namespace, obj.metadata.name), obj);
  return updates.map((u) => {
    const source = byKey.get(identityKey(u.kind, u.namespace, u.name));
    const spec = source ? (source as KubeObject & { spec?: unknown }).spec : undefined;
    return {
      apiVersion: source?.apiVersion ?? FALLBACK_API_VERSION,
      kind: u.kind,
      metadata: {
        name: u.name,
        ...(u.namespace !== null ? { namespace: u.namespace } : {}),
        generation: u.generation,
        creationTimestamp: source?.metadata.creationTimestamp ?? null,
      },
      ...(spec !== undefined ? { spec } : {}),
      status: u.status,
    };
  });
}
