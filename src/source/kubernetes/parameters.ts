/**
 * `WaygateParameters` (group `waygate.dev`, namespaced; CRD in deploy/crds): how the data plane
 * of a Gateway is provisioned. Referenced by a GatewayClass `spec.parametersRef` (defaults for
 * every Gateway of the class) and by a Gateway `spec.infrastructure.parametersRef` (same
 * namespace; overrides the class's values field by field).
 */
import type { KObj } from './rest.js';

export const PARAMETERS_GROUP = 'waygate.dev';
export const PARAMETERS_KIND = 'WaygateParameters';

/** The spec of a WaygateParameters. */
export interface WaygateParametersSpec {
  /** Proxy replicas (default 1). */
  replicas?: number;
  /** Proxy image (default: the controller's --proxy-image). */
  image?: string;
  /** Service type (default LoadBalancer). */
  serviceType?: 'LoadBalancer' | 'ClusterIP' | 'NodePort';
  /** Container resources, as in a Pod spec. */
  resources?: Record<string, unknown>;
  /** Extra annotations on the Service (e.g. for a cloud load balancer). */
  serviceAnnotations?: Record<string, string>;
}

/** The effective provisioning parameters of one Gateway. */
export interface EffectiveParameters {
  readonly replicas: number;
  readonly image: string;
  readonly serviceType: 'LoadBalancer' | 'ClusterIP' | 'NodePort';
  readonly resources: Record<string, unknown> | null;
  readonly serviceAnnotations: Record<string, string>;
}

interface Ref {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

/** Finds the WaygateParameters a reference names, or null (wrong kind or missing). */
export function resolveParameters(ref: Ref | undefined, defaultNamespace: string | undefined, objects: readonly KObj[]): KObj | null {
  if (!ref || ref.group !== PARAMETERS_GROUP || ref.kind !== PARAMETERS_KIND) return null;
  const ns = ref.namespace ?? defaultNamespace;
  return objects.find((o) => o.kind === PARAMETERS_KIND && o.metadata.name === ref.name && o.metadata.namespace === ns) ?? null;
}

/** Class parameters overlaid with the Gateway's. */
export function effectiveParameters(classParams: KObj | null, gatewayParams: KObj | null, defaultImage: string): EffectiveParameters {
  const a = (classParams?.['spec'] ?? {}) as WaygateParametersSpec;
  const b = (gatewayParams?.['spec'] ?? {}) as WaygateParametersSpec;
  return {
    replicas: b.replicas ?? a.replicas ?? 1,
    image: b.image ?? a.image ?? defaultImage,
    serviceType: b.serviceType ?? a.serviceType ?? 'LoadBalancer',
    resources: b.resources ?? a.resources ?? null,
    serviceAnnotations: { ...(a.serviceAnnotations ?? {}), ...(b.serviceAnnotations ?? {}) },
  };
}
