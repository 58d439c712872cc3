/**
 * Gateway `spec.tls.frontend`: client certificate validation (mutual TLS) for HTTPS listeners.
 *
 * "Default specifies the default client certificate validation configuration for all Listeners
 * handling HTTPS traffic, unless a per-port configuration is defined." — "PerPort [...] Once set
 * this configuration overrides the default configuration for all Listeners handling HTTPS
 * traffic that match this port." (FrontendTLSConfig)
 *
 * CA references ("CACertificateRefs", FrontendTLSValidation): a ConfigMap with key `ca.crt` is
 * Core; waygate also takes a core Secret with key `ca.crt` (implementation-specific) and several
 * references (their certificates are all trusted).
 * - "refers to a resource that cannot be resolved [...] or is misconfigured (e.g., a ConfigMap
 *   does not contain a key named `ca.crt`)" → InvalidCACertificateRef;
 * - "refers to an unknown or unsupported kind of resource" → InvalidCACertificateKind;
 * - another namespace without a ReferenceGrant → RefNotPermitted;
 * - "the implementation MUST ensure that the `ResolvedRefs` condition is set to `status: False`
 *   on all targeted listeners [...] If ALL CACertificateRefs are invalid, the implementation
 *   MUST also ensure the `Accepted` condition on the listener is set to `status: False`, with
 *   the Reason `NoValidCACertificate`."
 * Mode AllowInsecureFallback sets the Gateway condition InsecureFrontendValidationMode=True
 * (reason ConfigurationChanged); the condition is absent otherwise.
 */
import type * as api from '../api/types.js';
import { GATEWAY_GROUP } from '../api/types.js';
import type * as ir from '../ir/types.js';
import type { ConditionSpec, ResourceIndex } from './model.js';
import { hasPemBlock, secretValue } from './certificates.js';
import { listenerNotProgrammedInvalid, sentence } from './conditions.js';
import { withClientValidation } from './listener-tls.js';
import type { ListenerValidation } from './listeners.js';
import { isReferenceAllowed } from './reference-grants.js';

/** What one validation block (default or a perPort entry) resolves to. */
export interface FrontendDecision {
  /** The trusted CAs and mode, or null when every reference is invalid. */
  readonly clientValidation: ir.ClientValidation | null;
  /** ResolvedRefs=False for the first invalid reference, or null when all resolved. */
  readonly resolvedRefs: ConditionSpec | null;
  /** Accepted=False NoValidCACertificate when every reference is invalid, else null. */
  readonly accepted: ConditionSpec | null;
}

/** The frontend validation of one Gateway, resolved once and looked up per listener port. */
export interface FrontendPlan {
  /** The decision for HTTPS listeners on `port`, or null when no validation applies. */
  forPort(port: number): FrontendDecision | null;
  /** Gateway condition InsecureFrontendValidationMode, or null when not applicable. */
  readonly gatewayCondition: ConditionSpec | null;
}

const NO_PLAN: FrontendPlan = { forPort: () => null, gatewayCondition: null };

/** Resolves `spec.tls.frontend` of `gateway`. */
export function resolveFrontendValidation(gateway: api.Gateway, index: ResourceIndex): FrontendPlan {
  const frontend = gateway.spec.tls?.frontend;
  if (!frontend) return NO_PLAN;
  const namespace = gateway.metadata.namespace ?? '';
  const defaultValidation = frontend.default?.validation;
  const byPort = new Map<number, FrontendDecision | null>();
  let insecure = false;
  for (const entry of frontend.perPort ?? []) {
    // "Each override port requires a unique TLS configuration": the first entry for a port wins.
    if (byPort.has(entry.port)) continue;
    const validation = entry.tls?.validation;
    byPort.set(entry.port, validation ? resolveValidation(validation, namespace, index, `spec.tls.frontend.perPort[port ${entry.port}]`) : null);
    if (validation?.mode === 'AllowInsecureFallback') insecure = true;
  }
  const fallback = defaultValidation ? resolveValidation(defaultValidation, namespace, index, 'spec.tls.frontend.default') : null;
  if (defaultValidation?.mode === 'AllowInsecureFallback') insecure = true;
  return {
    forPort: (port) => (byPort.has(port) ? (byPort.get(port) ?? null) : fallback),
    gatewayCondition: insecure
      ? {
          type: 'InsecureFrontendValidationMode',
          status: 'True',
          reason: 'ConfigurationChanged',
          message: 'Frontend client certificate validation uses AllowInsecureFallback: connections without a valid client certificate are accepted.',
        }
      : null,
  };
}

function resolveValidation(v: api.FrontendTLSValidation, namespace: string, index: ResourceIndex, field: string): FrontendDecision {
  const mode: ir.ClientValidation['mode'] = v.mode === 'AllowInsecureFallback' ? 'AllowInsecureFallback' : 'AllowValidOnly';
  const refs = v.caCertificateRefs ?? [];
  const pems: string[] = [];
  let firstProblem: ConditionSpec | null = null;
  for (let i = 0; i < refs.length; i++) {
    const result = resolveCARef(refs[i]!, namespace, index, `${field}.validation.caCertificateRefs[${i}]`);
    if (typeof result === 'string') pems.push(result);
    else firstProblem ??= result;
  }
  if (refs.length === 0) {
    firstProblem = caCondition('InvalidCACertificateRef', `The frontend validation ${field}.validation has no caCertificateRefs.`);
  }
  if (pems.length === 0) {
    return {
      clientValidation: null,
      resolvedRefs: firstProblem,
      accepted: {
        type: 'Accepted',
        status: 'False',
        reason: 'NoValidCACertificate',
        message: sentence(`No CA certificate of ${field}.validation can be used, so client certificates cannot be validated`),
      },
    };
  }
  return { clientValidation: { caPems: pems, mode }, resolvedRefs: firstProblem, accepted: null };
}

function caCondition(reason: string, message: string): ConditionSpec {
  return { type: 'ResolvedRefs', status: 'False', reason, message: sentence(message) };
}

/** The PEM bundle of one CA reference, or the ResolvedRefs condition explaining why not. */
function resolveCARef(ref: api.SecretObjectReference, gwNamespace: string, index: ResourceIndex, field: string): string | ConditionSpec {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'ConfigMap';
  const namespace = ref.namespace ?? gwNamespace;
  if (group !== '' || (kind !== 'ConfigMap' && kind !== 'Secret')) {
    return caCondition('InvalidCACertificateKind', `The CA certificate reference ${field} refers to ${group || 'core'}/${kind}; only core ConfigMaps and Secrets hold CA certificates.`);
  }
  const allowed = isReferenceAllowed(
    index,
    { group: GATEWAY_GROUP, kind: 'Gateway', namespace: gwNamespace },
    { group: '', kind, namespace, name: ref.name },
  );
  if (!allowed) {
    return caCondition('RefNotPermitted', `No ReferenceGrant allows a reference to ${kind} ${namespace}/${ref.name} (${field}).`);
  }
  let pem: string | null;
  if (kind === 'ConfigMap') {
    const cm = index.configMaps.get(`${namespace}/${ref.name}`);
    if (!cm) return caCondition('InvalidCACertificateRef', `ConfigMap ${namespace}/${ref.name} (${field}) does not exist.`);
    pem = cm.data?.['ca.crt'] ?? null;
  } else {
    const secret = index.secrets.get(`${namespace}/${ref.name}`);
    if (!secret) return caCondition('InvalidCACertificateRef', `Secret ${namespace}/${ref.name} (${field}) does not exist.`);
    pem = secretValue(secret, 'ca.crt');
  }
  if (pem === null) return caCondition('InvalidCACertificateRef', `${kind} ${namespace}/${ref.name} (${field}) has no key ca.crt.`);
  if (!hasPemBlock(pem, /CERTIFICATE/)) {
    return caCondition('InvalidCACertificateRef', `${kind} ${namespace}/${ref.name} (${field}) has no PEM certificate in ca.crt.`);
  }
  return pem;
}

/**
 * Applies the frontend decision for the listener's port to its validation: only HTTPS listeners
 * are affected ("HTTP listeners are unaffected"); conditions already False stay as they are.
 */
export function applyFrontendValidation(v: ListenerValidation, listener: api.Listener, plan: FrontendPlan): ListenerValidation {
  if (listener.protocol !== 'HTTPS') return v;
  const d = plan.forPort(listener.port);
  if (d === null) return v;
  let { accepted, resolvedRefs, notProgrammed } = v;
  if (d.resolvedRefs !== null && resolvedRefs.status === 'True') resolvedRefs = d.resolvedRefs;
  if (d.accepted !== null && accepted.status === 'True') {
    accepted = d.accepted;
    notProgrammed = listenerNotProgrammedInvalid('The listener is not accepted.');
  }
  const tls = v.tls === null ? null : withClientValidation(v.tls, d.clientValidation);
  return { ...v, accepted, resolvedRefs, notProgrammed, tls };
}
