/**
 * Listener `tls.certificateRefs`: kind, existence, ReferenceGrants and a structural check of the
 * PEM material. Deep validation (parsing the certificate, matching key and certificate) belongs
 * to the shell and the data plane; the controller stays free of node:crypto.
 */
import type * as api from '../api/types.js';
import { GATEWAY_GROUP } from '../api/types.js';
import type { ConditionSpec, ResourceIndex } from './model.js';
import { listenerInvalidCertificateRef, listenerRefNotPermitted } from './conditions.js';
import { isReferenceAllowed } from './reference-grants.js';

/** Who holds the certificateRefs: a Gateway or a ListenerSet (grants are not inherited). */
export interface CertificateOwner {
  readonly kind: 'Gateway' | 'ListenerSet';
  readonly namespace: string;
}

/** A resolved certificate: the Secret's `ns/name` and its PEM material. */
export interface ResolvedCertificate {
  readonly secret: string;
  readonly certPem: string;
  readonly keyPem: string;
}

export type CertificateResult =
  | { readonly ok: true; readonly certificates: readonly ResolvedCertificate[] }
  | { readonly ok: false; readonly condition: ConditionSpec };

/**
 * Resolves every certificateRef of a Terminate listener. The first failing reference decides the
 * ResolvedRefs condition:
 *
 * "InvalidCertificateRef: [...] A CertificateRef is considered invalid when it refers to a
 * nonexistent or unsupported resource or kind, or when the data within that resource is
 * malformed. This reason must be used only when the reference is allowed [...] If the reference
 * is not allowed, the reason RefNotPermitted must be used instead." (ListenerConditionReason)
 */
export function resolveCertificateRefs(
  refs: readonly api.SecretObjectReference[],
  owner: CertificateOwner,
  index: ResourceIndex,
): CertificateResult {
  if (refs.length === 0) {
    return { ok: false, condition: listenerInvalidCertificateRef('The listener has no certificateRefs; at least one Secret is required.') };
  }
  const certificates: ResolvedCertificate[] = [];
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!;
    const field = `tls.certificateRefs[${i}]`;
    const group = ref.group ?? '';
    const kind = ref.kind ?? 'Secret';
    const namespace = ref.namespace ?? owner.namespace;
    if (group !== '' || kind !== 'Secret') {
      return { ok: false, condition: listenerInvalidCertificateRef(`Only core Secrets are supported as certificates; ${field} refers to ${group || 'core'}/${kind}.`) };
    }
    if (namespace !== owner.namespace) {
      const allowed = isReferenceAllowed(
        index,
        { group: GATEWAY_GROUP, kind: owner.kind, namespace: owner.namespace },
        { group: '', kind: 'Secret', namespace, name: ref.name },
      );
      if (!allowed) {
        return { ok: false, condition: listenerRefNotPermitted(`No ReferenceGrant allows a reference to Secret ${namespace}/${ref.name} (${field}).`) };
      }
    }
    const secret = index.secrets.get(`${namespace}/${ref.name}`);
    if (!secret) {
      return { ok: false, condition: listenerInvalidCertificateRef(`Secret ${namespace}/${ref.name} (${field}) does not exist.`) };
    }
    const material = readTlsSecret(secret);
    if (typeof material === 'string') {
      return { ok: false, condition: listenerInvalidCertificateRef(`Secret ${namespace}/${ref.name} (${field}) ${material}`) };
    }
    certificates.push({ secret: `${namespace}/${ref.name}`, ...material });
  }
  return { ok: true, certificates };
}

/**
 * Reads `tls.crt` and `tls.key` from a `kubernetes.io/tls` Secret (`data` is base64, file-mode
 * `stringData` is plain) and checks their PEM structure. Returns the material or a problem.
 */
export function readTlsSecret(secret: api.Secret): { certPem: string; keyPem: string } | string {
  if (secret.type !== 'kubernetes.io/tls') {
    return `has type ${secret.type ?? 'Opaque'}, not kubernetes.io/tls.`;
  }
  const certPem = secretValue(secret, 'tls.crt');
  const keyPem = secretValue(secret, 'tls.key');
  if (certPem === null || keyPem === null) return 'has no readable tls.crt and tls.key.';
  if (!hasPemBlock(certPem, /CERTIFICATE/)) return 'has no PEM certificate in tls.crt.';
  if (!hasPemBlock(keyPem, /(?:RSA |EC |ENCRYPTED )?PRIVATE KEY/)) return 'has no PEM private key in tls.key.';
  return { certPem, keyPem };
}

/** A Secret value: `stringData` as written (file mode), else `data` base64-decoded; null when absent. */
export function secretValue(secret: api.Secret, key: string): string | null {
  const plain = secret.stringData?.[key];
  if (plain !== undefined) return plain;
  const encoded = secret.data?.[key];
  if (encoded === undefined) return null;
  try {
    return atob(encoded.replace(/\s+/g, ''));
  } catch {
    return null;
  }
}

/**
 * True when `text` holds at least one PEM block whose label matches `label`, with a non-empty,
 * base64-decodable body (RFC 7468 textual encoding; the DER inside is not parsed).
 */
export function hasPemBlock(text: string, label: RegExp): boolean {
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const name = m[1] ?? '';
    const body = (m[2] ?? '').replace(/\s+/g, '');
    if (!new RegExp(`^(?:${label.source})$`).test(name)) continue;
    if (body === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) continue;
    try {
      atob(body);
      return true;
    } catch {
      continue;
    }
  }
  return false;
}
