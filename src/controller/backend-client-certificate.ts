/**
 * The Gateway's backend client certificate (`spec.tls.backend.clientCertificateRef`): resolved
 * per Gateway, reported in the Gateway's ResolvedRefs condition, and put on every backend that
 * Gateway reaches over TLS.
 *
 * GatewayBackendTLS: "Note that this contains only details for the Gateway as a TLS client,
 * and does _not_ imply behavior about how to choose which backend should get a TLS connection.
 * That is determined by the presence of a BackendTLSPolicy."
 */
import { CORE_GROUP, GATEWAY_GROUP } from '../api/types.js';
import type * as ir from '../ir/types.js';
import { objectKey } from '../source/snapshot.js';
import { readTlsSecret } from './certificates.js';
import { sentence } from './conditions.js';
import type { ConditionSpec, GatewayNode, ResourceIndex } from './model.js';
import { isReferenceAllowed } from './reference-grants.js';
import { tlsProtocol } from './backend-tls-policies.js';

/** Gateway `ns/name` → the client certificate it presents to TLS backends. */
export type ClientCertificates = ReadonlyMap<string, ir.Certificate>;

function resolvedRefs(status: 'True' | 'False', reason: string, message: string): ConditionSpec {
  return { type: 'ResolvedRefs', status, reason, message: sentence(message) };
}

/**
 * Resolves the clientCertificateRef of every Gateway that has one and appends the Gateway's
 * ResolvedRefs condition (only those Gateways get one; the Gateway stays Accepted either way):
 *
 * "A ClientCertificateRef is considered invalid if: It refers to a resource that cannot be
 * resolved (e.g., the referenced resource does not exist) or is misconfigured (e.g., a Secret
 * does not contain the keys named `tls.crt` and `tls.key`). In this case, the `ResolvedRefs`
 * condition on the Gateway MUST be set to False with the Reason `InvalidClientCertificateRef`
 * [...] It refers to a resource in another namespace UNLESS there is a ReferenceGrant in the
 * target namespace that allows the certificate to be attached. If a ReferenceGrant does not
 * allow this reference, the `ResolvedRefs` condition on the Gateway MUST be set to False with
 * the Reason `RefNotPermitted`."
 *
 * Supported: a core Secret of type `kubernetes.io/tls` (the "Core" support level). A Gateway
 * whose reference is invalid still originates TLS, without a client certificate.
 */
export function resolveBackendClientCertificates(gateways: readonly GatewayNode[], index: ResourceIndex): ClientCertificates {
  const out = new Map<string, ir.Certificate>();
  for (const node of gateways) {
    const ref = node.gateway.spec.tls?.backend?.clientCertificateRef;
    if (!ref) continue;
    const gwNamespace = node.gateway.metadata.namespace ?? 'default';
    const field = 'spec.tls.backend.clientCertificateRef';
    const group = ref.group ?? CORE_GROUP;
    const kind = ref.kind ?? 'Secret';
    const namespace = ref.namespace ?? gwNamespace;
    const invalid = (message: string): void => {
      node.conditions.push(resolvedRefs('False', 'InvalidClientCertificateRef', message));
    };
    if (group !== CORE_GROUP || kind !== 'Secret') {
      invalid(`Only core Secrets are supported in ${field}; it refers to ${group === CORE_GROUP ? kind : `${kind}.${group}`} ${ref.name}.`);
      continue;
    }
    const allowed = isReferenceAllowed(
      index,
      { group: GATEWAY_GROUP, kind: 'Gateway', namespace: gwNamespace },
      { group: CORE_GROUP, kind: 'Secret', namespace, name: ref.name },
    );
    if (!allowed) {
      node.conditions.push(
        resolvedRefs('False', 'RefNotPermitted', `No ReferenceGrant in namespace ${namespace} allows ${field} to refer to Secret ${namespace}/${ref.name}.`),
      );
      continue;
    }
    const secret = index.secrets.get(`${namespace}/${ref.name}`);
    if (!secret) {
      invalid(`Secret ${namespace}/${ref.name} (${field}) does not exist.`);
      continue;
    }
    const material = readTlsSecret(secret);
    if (typeof material === 'string') {
      invalid(`Secret ${namespace}/${ref.name} (${field}) ${material}`);
      continue;
    }
    node.conditions.push(resolvedRefs('True', 'ResolvedRefs', 'All references are resolved.'));
    out.set(objectKey(node.gateway), { name: `${namespace}/${ref.name}`, certPem: material.certPem, keyPem: material.keyPem });
  }
  return out;
}

/**
 * Final touch on the IR's TLS backends, per Gateway: the Gateway's client certificate goes into
 * each `tls`, and an h2c protocol over TLS becomes h2 (another stage may have set h2c, e.g. for
 * gRPC). Rules are shared between the Gateways a route attaches to, so changed parts are copied,
 * never mutated.
 */
export function finishBackendTLS(servers: readonly ir.Server[], certificates: ClientCertificates): ir.Server[] {
  return servers.map((server) => {
    const cert = certificates.get(server.gateway) ?? null;
    const backend = (b: ir.Backend): ir.Backend => {
      if (b.kind !== 'service' || b.tls === null) return b;
      const protocol = tlsProtocol(b.protocol);
      if (cert === null && protocol === b.protocol) return b;
      return { ...b, protocol, tls: cert === null ? b.tls : { ...b.tls, clientCertificate: cert } };
    };
    const rule = (r: ir.Rule): ir.Rule => {
      if (!ruleHasTLS(r)) return r;
      const action: ir.Action = r.action.kind === 'forward' ? { kind: 'forward', backends: r.action.backends.map(backend) } : r.action;
      return { ...r, action, mirrors: r.mirrors.map((m) => ({ ...m, backend: backend(m.backend) })) };
    };
    const listeners = server.listeners.map((l) => (l.rules.some(ruleHasTLS) ? { ...l, rules: l.rules.map(rule) } : l));
    const streamListeners = server.streamListeners.map((s) =>
      s.routes.some((r) => r.backends.some(hasTLS)) ? { ...s, routes: s.routes.map((r) => ({ ...r, backends: r.backends.map(backend) })) } : s,
    );
    return { ...server, listeners, streamListeners };
  });
}

function hasTLS(b: ir.Backend): boolean {
  return b.kind === 'service' && b.tls !== null;
}

/** Whether a rule has TLS backends, once per rule object (IR objects are immutable and reused across passes). */
const rulesWithTLS = new WeakMap<ir.Rule, boolean>();

function ruleHasTLS(r: ir.Rule): boolean {
  let has = rulesWithTLS.get(r);
  if (has === undefined) {
    has = (r.action.kind === 'forward' && r.action.backends.some(hasTLS)) || r.mirrors.some((m) => hasTLS(m.backend));
    rulesWithTLS.set(r, has);
  }
  return has;
}
