/**
 * GatewayClasses: which are ours, and whether we accept them.
 *
 * "Watch all GatewayClasses; reconcile those whose spec.controllerName equals yours. [...] The
 * status of this condition MUST be set to True if the controller will support provisioning
 * Gateways using this class. Otherwise, this status MUST be set to False." Classes of other
 * controllers are left alone: no node, no status.
 */
import type * as api from '../api/types.js';
import type { GatewayClassNode } from './model.js';
import { classAccepted, classInvalidParameters } from './conditions.js';
import { parametersRefProblem } from './parameters-ref.js';

/** Builds a node for every GatewayClass whose controllerName is ours, in input order. */
export function buildGatewayClassNodes(
  classes: readonly api.GatewayClass[],
  controllerName: string,
  knownParameters: ReadonlySet<string> = new Set(),
): GatewayClassNode[] {
  const nodes: GatewayClassNode[] = [];
  for (const gatewayClass of classes) {
    if (gatewayClass.spec.controllerName !== controllerName) continue;
    const invalid = validateParametersRef(gatewayClass.spec.parametersRef, knownParameters);
    nodes.push({
      gatewayClass,
      accepted: invalid === null,
      conditions: [invalid === null ? classAccepted() : classInvalidParameters(invalid)],
    });
  }
  return nodes;
}

/**
 * "InvalidParameters: the GatewayClass was not accepted because the parametersRef field was
 * invalid." Only an existing waygate.dev WaygateParameters is valid (parameters-ref.ts).
 * Returns the problem, or null when there is none.
 */
function validateParametersRef(ref: api.ParametersReference | undefined, knownParameters: ReadonlySet<string> = new Set()): string | null {
  if (!ref) return null;
  return parametersRefProblem(ref, undefined, knownParameters);
}

/** Our accepted classes by name, for the Gateway stage. */
export function acceptedClassesByName(nodes: readonly GatewayClassNode[]): Map<string, GatewayClassNode> {
  const map = new Map<string, GatewayClassNode>();
  for (const node of nodes) if (node.accepted) map.set(node.gatewayClass.metadata.name, node);
  return map;
}
