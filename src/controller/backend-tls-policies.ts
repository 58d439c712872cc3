/**
 * BackendTLSPolicy: which Service ports the Gateway reaches over TLS, and how it verifies them
 * (spec digest §d.10, backendtlspolicy_types.go).
 *
 * Stage order: buildBackendTLSPolicies runs before the route stages (they look policies up while
 * resolving backendRefs, see applyBackendTLS), the ancestors and statuses are computed after
 * the IR (backend-tls-status.ts).
 *
 * Scope (the godoc's "Extended" support level): a policy applies to a Kubernetes Service
 * referenced by a backendRef of one of our routes (HTTPRoute, GRPCRoute, TLSRoute Terminate,
 * RequestMirror backends). Other target kinds never match anything.
 */
import { CORE_GROUP } from '../api/types.js';
import type * as api from '../api/types.js';
import type * as ir from '../ir/types.js';
import { hasPemBlock } from './certificates.js';
import { sentence } from './conditions.js';
import type { ConditionSpec, ResourceIndex } from './model.js';

/** The `reason` of an IR backend that is unusable because its BackendTLSPolicy is invalid. */
export const BACKEND_TLS_INVALID_REASON = 'BackendTLSPolicyInvalid';

/** One policy and what the controller decided about it. */
export interface BackendTLSPolicyNode {
  readonly policy: api.BackendTLSPolicy;
  /** Accepted, then ResolvedRefs (the same for every ancestor). */
  readonly conditions: readonly ConditionSpec[];
  /**
   * The TLS settings backends get (without the Gateway's client certificate, added per
   * Gateway later); null when the policy cannot be used: its backends then answer 500.
   */
  readonly tls: ir.BackendTLS | null;
  /** Lost a target to an older policy: Accepted=False Conflicted, applies nowhere. */
  readonly conflicted: boolean;
  /** `ns/name` of the Gateways that use a targeted Service port (filled after the IR). */
  readonly ancestors: Set<string>;
}

/** Every policy, plus the winner and all claimants per target. */
export interface BackendTLSPolicyTable {
  /** In precedence order: oldest first, then `ns/name`. */
  readonly nodes: readonly BackendTLSPolicyNode[];
  /** `ns/service#sectionName` (`#` alone: the whole Service) → the policy that applies. */
  readonly winners: ReadonlyMap<string, BackendTLSPolicyNode>;
  /** The same keys → every policy targeting it, winner first (for ancestors of losers too). */
  readonly claimants: ReadonlyMap<string, readonly BackendTLSPolicyNode[]>;
}

/** What a Service port's backends get: plaintext, TLS, or a 500 (invalid policy). */
export type BackendTLSDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'tls'; readonly tls: ir.BackendTLS; readonly policy: BackendTLSPolicyNode }
  | { readonly kind: 'invalid'; readonly policy: BackendTLSPolicyNode };

const NONE: BackendTLSDecision = { kind: 'none' };

function targetKey(namespace: string, service: string, sectionName: string): string {
  return `${namespace}/${service}#${sectionName}`;
}

/**
 * Validates every policy and resolves conflicts. `policies` arrive in the snapshot's canonical
 * order (oldest first, then `ns/name`), which is the precedence order the spec asks for:
 *
 * "When more than one BackendTLSPolicy selects the same target and sectionName, implementations
 * MUST determine precedence using the following criteria, continuing on ties: The older policy
 * by creation timestamp takes precedence. [...] The policy appearing first in alphabetical order
 * by {namespace}/{name}. [...] For any BackendTLSPolicy that does not take precedence, the
 * implementation MUST ensure the `Accepted` Condition is set to `status: False`, with Reason
 * `Conflicted`."
 *
 * A policy that loses any of its targets is Conflicted and applies nowhere (the godoc advises
 * a single targetRef, so this only matters for unusual policies). A target with a sectionName
 * and one without are different targets: both policies are accepted, and for the named port
 * the one with the sectionName applies.
 */
export function buildBackendTLSPolicies(policies: readonly api.BackendTLSPolicy[], index: ResourceIndex): BackendTLSPolicyTable {
  const nodes: BackendTLSPolicyNode[] = [];
  const winners = new Map<string, BackendTLSPolicyNode>();
  const claimants = new Map<string, BackendTLSPolicyNode[]>();
  for (const policy of policies) {
    const namespace = policy.metadata.namespace ?? 'default';
    const keys = serviceTargets(policy).map((t) => targetKey(namespace, t.name, t.sectionName ?? ''));
    const lostTo = keys.map((k) => winners.get(k)).find((w) => w !== undefined);
    const validation = validatePolicy(policy, index);
    const conditions: ConditionSpec[] = [];
    if (lostTo) {
      const winner = `${lostTo.policy.metadata.namespace ?? 'default'}/${lostTo.policy.metadata.name}`;
      conditions.push(cond('Accepted', 'False', 'Conflicted', `The policy targets the same Service (and sectionName) as the older policy ${winner}, which takes precedence.`));
    } else {
      conditions.push(validation.accepted);
    }
    conditions.push(validation.resolvedRefs);
    const node: BackendTLSPolicyNode = {
      policy,
      conditions,
      tls: lostTo ? null : validation.tls,
      conflicted: lostTo !== undefined,
      ancestors: new Set(),
    };
    nodes.push(node);
    for (const key of keys) {
      if (!lostTo) winners.set(key, node);
      const list = claimants.get(key);
      if (list) list.push(node);
      else claimants.set(key, [node]);
    }
  }
  return { nodes, winners, claimants };
}

/** The targetRefs that name a core Service (other kinds are not supported targets). */
function serviceTargets(policy: api.BackendTLSPolicy): { name: string; sectionName?: string }[] {
  return (policy.spec?.targetRefs ?? []).filter((t) => (t.group ?? '') === CORE_GROUP && t.kind === 'Service');
}

/** The policy that applies to a Service port, if any: the port's sectionName first. */
export function findBackendTLSPolicy(
  table: BackendTLSPolicyTable,
  namespace: string,
  service: string,
  port: api.ServicePort,
): BackendTLSPolicyNode | null {
  const named = port.name ? table.winners.get(targetKey(namespace, service, port.name)) : undefined;
  return named ?? table.winners.get(targetKey(namespace, service, '')) ?? null;
}

/** Every policy targeting the Service port (winner first), for ancestor bookkeeping. */
export function policiesTargeting(
  table: BackendTLSPolicyTable,
  namespace: string,
  service: string,
  port: api.ServicePort,
): readonly BackendTLSPolicyNode[] {
  const named = port.name ? table.claimants.get(targetKey(namespace, service, port.name)) : undefined;
  return named ?? table.claimants.get(targetKey(namespace, service, '')) ?? [];
}

/**
 * What backends of a Service port get. "Connections using an invalid CACertificateRef MUST
 * fail, and the client MUST receive an HTTP 5xx error response." — a policy that applies but
 * cannot be used makes the backend invalid (500), never plaintext.
 */
export function decideBackendTLS(index: ResourceIndex, namespace: string, service: string, port: api.ServicePort): BackendTLSDecision {
  const table = index.backendTLSPolicies;
  if (!table) return NONE;
  const policy = findBackendTLSPolicy(table, namespace, service, port);
  if (!policy) return NONE;
  return policy.tls ? { kind: 'tls', tls: policy.tls, policy } : { kind: 'invalid', policy };
}

/** A Service backend with the BackendTLSPolicy of its port applied (see decideBackendTLS). */
export function applyBackendTLS(
  index: ResourceIndex,
  namespace: string,
  service: string,
  port: api.ServicePort,
  backend: Extract<ir.Backend, { kind: 'service' }>,
): ir.Backend {
  const decision = decideBackendTLS(index, namespace, service, port);
  if (decision.kind === 'none') return backend;
  if (decision.kind === 'invalid') {
    return { kind: 'invalid', name: backend.name, weight: backend.weight, status: 500, reason: BACKEND_TLS_INVALID_REASON };
  }
  return { ...backend, tls: decision.tls, protocol: tlsProtocol(backend.protocol) };
}

/** HTTP/2 over TLS is `h2` (ALPN), whatever the cleartext flavour would have been. */
export function tlsProtocol(protocol: ir.BackendProtocol): ir.BackendProtocol {
  return protocol === 'h2c' ? 'h2' : protocol;
}

// ---------------------------------------------------------------- validation

interface PolicyValidation {
  readonly accepted: ConditionSpec;
  readonly resolvedRefs: ConditionSpec;
  readonly tls: ir.BackendTLS | null;
}

interface RefProblem {
  readonly reason: 'InvalidCACertificateRef' | 'InvalidKind';
  readonly message: string;
}

function cond(type: string, status: ConditionSpec['status'], reason: string, message: string): ConditionSpec {
  return { type, status, reason, message: sentence(message) };
}

const ACCEPTED = cond('Accepted', 'True', 'Accepted', 'The policy is accepted.');
const RESOLVED = cond('ResolvedRefs', 'True', 'ResolvedRefs', 'All references are resolved.');

/**
 * Validates the CA references, well-known CAs and subjectAltNames of one policy.
 *
 * caCertificateRefs: "A CACertificateRef is invalid if: It refers to a resource that cannot be
 * resolved [...] or is misconfigured (e.g., a ConfigMap does not contain a key named `ca.crt`).
 * In this case, the Reason must be set to `InvalidCACertificateRef` [...] It refers to an
 * unknown or unsupported kind of resource. In this case, the Reason must be set to
 * `InvalidKind` [...] In all cases, the implementation MUST ensure the `ResolvedRefs`
 * Condition on the BackendTLSPolicy is set to `status: False` [...] If ALL CACertificateRefs
 * are invalid, the implementation MUST also ensure the `Accepted` Condition on the
 * BackendTLSPolicy is set to `status: False`, with a Reason `NoValidCACertificate`."
 * When only some are invalid, the valid ones are trusted.
 *
 * wellKnownCACertificates: "If an implementation does not support the WellKnownCACertificates
 * field, or the supplied value is not recognized, the implementation MUST ensure the
 * `Accepted` Condition on the BackendTLSPolicy is set to `status: False`, with a Reason
 * `Invalid`." `System` (the platform's roots) is supported.
 */
function validatePolicy(policy: api.BackendTLSPolicy, index: ResourceIndex): PolicyValidation {
  const namespace = policy.metadata.namespace ?? 'default';
  const validation = policy.spec?.validation;
  const hostname = validation?.hostname ?? '';
  const sans = (validation?.subjectAltNames ?? []).flatMap((s): ir.BackendTLS['subjectAltNames'][number][] => {
    if (s.type === 'Hostname' && s.hostname) return [{ type: 'Hostname', value: s.hostname.toLowerCase() }];
    if (s.type === 'URI' && s.uri) return [{ type: 'URI', value: s.uri }];
    return [];
  });
  const refs = validation?.caCertificateRefs ?? [];
  const wellKnown = validation?.wellKnownCACertificates ?? '';

  if (refs.length === 0) {
    if (wellKnown === 'System') {
      return { accepted: ACCEPTED, resolvedRefs: RESOLVED, tls: tlsOf(hostname, 'system', sans) };
    }
    const message = wellKnown === ''
      ? 'The policy names neither caCertificateRefs nor wellKnownCACertificates.'
      : `The wellKnownCACertificates value "${wellKnown}" is not supported; only System is.`;
    return { accepted: cond('Accepted', 'False', 'Invalid', message), resolvedRefs: RESOLVED, tls: null };
  }

  const pems: string[] = [];
  const problems: RefProblem[] = [];
  refs.forEach((ref, i) => {
    const result = resolveCARef(ref, namespace, index, `spec.validation.caCertificateRefs[${i}]`);
    if (typeof result === 'string') pems.push(result);
    else problems.push(result);
  });
  const first = problems[0];
  const resolvedRefs = first
    ? cond('ResolvedRefs', 'False', first.reason, problems.map((p) => p.message).join(' '))
    : RESOLVED;
  if (pems.length === 0) {
    return {
      accepted: cond('Accepted', 'False', 'NoValidCACertificate', 'None of the caCertificateRefs is valid.'),
      resolvedRefs,
      tls: null,
    };
  }
  return { accepted: ACCEPTED, resolvedRefs, tls: tlsOf(hostname, pems, sans) };
}

function tlsOf(serverName: string, caPems: ir.BackendTLS['caPems'], subjectAltNames: ir.BackendTLS['subjectAltNames']): ir.BackendTLS {
  return { serverName: serverName.toLowerCase(), caPems, subjectAltNames, clientCertificate: null };
}

/**
 * One caCertificateRef: a ConfigMap in the policy's namespace with a PEM certificate in
 * `ca.crt` (the "Core" support level). Returns the PEM or the problem.
 */
function resolveCARef(ref: api.LocalObjectReference, namespace: string, index: ResourceIndex, field: string): string | RefProblem {
  const group = ref.group ?? '';
  if (group !== CORE_GROUP || ref.kind !== 'ConfigMap') {
    const gk = group === CORE_GROUP ? ref.kind : `${ref.kind}.${group}`;
    return { reason: 'InvalidKind', message: `${gk} ${ref.name} (${field}) is not a supported kind; only ConfigMaps are.` };
  }
  const configMap = index.configMaps.get(`${namespace}/${ref.name}`);
  if (!configMap) return { reason: 'InvalidCACertificateRef', message: `ConfigMap ${namespace}/${ref.name} (${field}) does not exist.` };
  const pem = configMap.data?.['ca.crt'];
  if (pem === undefined) return { reason: 'InvalidCACertificateRef', message: `ConfigMap ${namespace}/${ref.name} (${field}) has no ca.crt key.` };
  if (!hasPemBlock(pem, /CERTIFICATE/)) {
    return { reason: 'InvalidCACertificateRef', message: `ConfigMap ${namespace}/${ref.name} (${field}) has no PEM certificate in ca.crt.` };
  }
  return pem;
}
