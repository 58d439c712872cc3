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

/** Builds a node for every GatewayClass whose controllerName is ours, in input order. */
export function buildGatewayClassNodes(classes: readonly api.GatewayClass[], controllerName: string): GatewayClassNode[] {
  const nodes: GatewayClassNode[] = [];
  for (const gatewayClass of classes) {
    if (gatewayClass.spec.controllerName !== controllerName) continue;
    const invalid = validateParametersRef(gatewayClass.spec.parametersRef);
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
 * invalid." waygate defines no parameters kind yet, so any parametersRef names a kind we cannot
 * resolve. Returns the problem, or null when there is none.
 */
export function validateParametersRef(ref: api.ParametersReference | undefined): string | null {
  if (!ref) return null;
  const group = ref.group === '' ? 'core' : ref.group;
  return `The parametersRef ${group}/${ref.kind} ${ref.name} is not supported: this controller takes no parameters`;
}

/** Our accepted classes by name, for the Gateway stage. */
export function acceptedClassesByName(nodes: readonly GatewayClassNode[]): Map<string, GatewayClassNode> {
  const map = new Map<string, GatewayClassNode>();
  for (const node of nodes) if (node.accepted) map.set(node.gatewayClass.metadata.name, node);
  return map;
}
