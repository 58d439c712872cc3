/**
 * BackendTLSPolicy ancestors and status.
 *
 * "PolicyAncestorStatus [...] For BackendTLSPolicy the ancestor is the Gateway" (digest §d.1):
 * a policy gets one `status.ancestors` entry per Gateway of ours that sends traffic to a Service
 * port the policy targets, through a route attached to it (rule backends, mirror backends,
 * stream route backends). "keyed by (ancestorRef, controllerName)"; at most 16 entries.
 */
import { GATEWAY_GROUP } from '../api/types.js';
import type * as api from '../api/types.js';
import type * as ir from '../ir/types.js';
import { objectKey } from '../source/snapshot.js';
import { BACKEND_TLS_INVALID_REASON, policiesTargeting, type BackendTLSPolicyNode, type BackendTLSPolicyTable } from './backend-tls-policies.js';
import type { GatewayNode, ResourceIndex } from './model.js';
import { mergeConditionTimes, sameParentRef, toConditions } from './status.js';
import type { StatusUpdate } from './translate.js';

/** "MaxItems=16" on PolicyStatus.ancestors. */
const MAX_ANCESTORS = 16;

/**
 * Records, on every policy node, the Gateways that use a Service port it targets: from the
 * route attachments of the Gateway graph (HTTP-style rules) and from the IR's stream listeners
 * (TLS/TCP routes).
 */
export function collectPolicyAncestors(
  table: BackendTLSPolicyTable,
  gateways: readonly GatewayNode[],
  servers: readonly ir.Server[],
  index: ResourceIndex,
): void {
  if (table.nodes.length === 0) return;
  const visit = (gateway: string, b: ir.Backend): void => {
    if (b.kind === 'invalid' && b.reason !== BACKEND_TLS_INVALID_REASON) return;
    for (const node of policiesForBackend(table, index, b.name)) node.ancestors.add(gateway);
  };
  for (const gw of gateways) {
    const key = objectKey(gw.gateway);
    for (const listener of gw.listeners) {
      for (const attachment of listener.attachments) {
        for (const { rule } of attachment.rules) visitRule(rule, (b) => visit(key, b));
      }
    }
  }
  for (const server of servers) {
    for (const listener of server.listeners) for (const rule of listener.rules) visitRule(rule, (b) => visit(server.gateway, b));
    for (const stream of server.streamListeners) {
      for (const route of stream.routes) for (const b of route.backends) visit(server.gateway, b);
    }
  }
}

function visitRule(rule: ir.Rule, visit: (b: ir.Backend) => void): void {
  if (rule.action.kind === 'forward') for (const b of rule.action.backends) visit(b);
  for (const m of rule.mirrors) visit(m.backend);
}

/** `<ns>/<service>:<port>` (the IR name of a Service backend) → the policies targeting it. */
function policiesForBackend(table: BackendTLSPolicyTable, index: ResourceIndex, name: string): readonly BackendTLSPolicyNode[] {
  const m = /^([^/]+)\/([^/:]+):(\d+)$/.exec(name);
  if (!m) return [];
  const [, namespace = '', service = '', portText = ''] = m;
  const port = index.services.get(`${namespace}/${service}`)?.spec?.ports?.find((p) => p.port === Number(portText));
  return port ? policiesTargeting(table, namespace, service, port) : [];
}

/**
 * One StatusUpdate per policy that has at least one ancestor: an entry per Gateway (sorted by
 * `ns/name`) with our controllerName and the policy's Accepted and ResolvedRefs conditions.
 */
export function renderBackendTLSPolicyStatuses(table: BackendTLSPolicyTable, controllerName: string, now: string): StatusUpdate[] {
  const out: StatusUpdate[] = [];
  for (const node of table.nodes) {
    if (node.ancestors.size === 0) continue;
    out.push(renderBackendTLSPolicyStatus(node, controllerName, now));
  }
  return out;
}

function renderBackendTLSPolicyStatus(node: BackendTLSPolicyNode, controllerName: string, now: string): StatusUpdate {
  const policy = node.policy;
  const generation = policy.metadata.generation ?? 0;
  const previous = policy.status?.ancestors ?? [];
  const ancestors = [...node.ancestors].sort().slice(0, MAX_ANCESTORS).map((key): api.PolicyAncestorStatus => {
    const slash = key.indexOf('/');
    const ancestorRef: api.ParentReference = { group: GATEWAY_GROUP, kind: 'Gateway', namespace: key.slice(0, slash), name: key.slice(slash + 1) };
    const before = previous.find((p) => p.controllerName === controllerName && sameParentRef(p.ancestorRef, ancestorRef));
    return {
      ancestorRef,
      controllerName,
      conditions: mergeConditionTimes(before?.conditions, toConditions(node.conditions, generation, now)),
    };
  });
  return {
    kind: 'BackendTLSPolicy',
    namespace: policy.metadata.namespace ?? null,
    name: policy.metadata.name,
    generation,
    status: { ancestors },
  };
}
