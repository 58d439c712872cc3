/**
 * waygate's parameters kind: `WaygateParameters` in group `waygate.dev` (namespaced; the CRD
 * is in deploy/crds). A GatewayClass `spec.parametersRef` or a Gateway
 * `spec.infrastructure.parametersRef` naming one that exists is valid; any other reference is
 * "InvalidParameters: the parametersRef field was invalid".
 */
import type * as api from '../api/types.js';

export const PARAMETERS_GROUP = 'waygate.dev';
export const PARAMETERS_KIND = 'WaygateParameters';

/** `ns/name` of every WaygateParameters object. */
export function knownParameters(objects: readonly api.KubeObject[] | undefined): ReadonlySet<string> {
  return new Set((objects ?? []).map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`));
}

/**
 * Returns why a parametersRef cannot be used, or null. `namespace` is where a reference without
 * one points (the Gateway's own namespace for infrastructure.parametersRef).
 */
export function parametersRefProblem(
  ref: { group: string; kind: string; name: string; namespace?: string },
  namespace: string | undefined,
  known: ReadonlySet<string>,
): string | null {
  const group = ref.group === '' ? 'core' : ref.group;
  if (ref.group !== PARAMETERS_GROUP || ref.kind !== PARAMETERS_KIND) {
    return `The parametersRef ${group}/${ref.kind} ${ref.name} is not supported: this controller takes ${PARAMETERS_GROUP}/${PARAMETERS_KIND} only`;
  }
  const ns = ref.namespace ?? namespace;
  if (ns === undefined) return `The parametersRef ${group}/${ref.kind} ${ref.name} needs a namespace`;
  if (!known.has(`${ns}/${ref.name}`)) return `The parametersRef ${group}/${ref.kind} ${ns}/${ref.name} does not exist`;
  return null;
}
