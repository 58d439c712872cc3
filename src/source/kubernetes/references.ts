/**
 * Which Secrets and ConfigMaps the Gateway API objects reference, so only those are watched:
 * listener certificateRefs (Gateways and ListenerSets), the Gateway's backend client
 * certificate and frontend CA certificates, and BackendTLSPolicy CA certificates.
 */
import type { KObj } from './rest.js';
import { identityKey } from '../snapshot.js';

/** `Kind/namespace/name` of a referenced Secret or ConfigMap. */
export interface ObjectRef {
  readonly kind: 'Secret' | 'ConfigMap';
  readonly namespace: string;
  readonly name: string;
}

interface Ref {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

function add(out: Map<string, ObjectRef>, ref: Ref | undefined, defaultKind: 'Secret' | 'ConfigMap', namespace: string): void {
  if (!ref?.name) return;
  if ((ref.group ?? '') !== '') return;
  const kind = ref.kind ?? defaultKind;
  if (kind !== 'Secret' && kind !== 'ConfigMap') return;
  const r: ObjectRef = { kind, namespace: ref.namespace ?? namespace, name: ref.name };
  // The informers find a referenced object's watch by objectKeyOf: the same key.
  out.set(identityKey(r.kind, r.namespace, r.name), r);
}

type Listeners = { tls?: { certificateRefs?: Ref[] } }[] | undefined;

/** The kinds whose objects can reference a Secret or ConfigMap (see referencedObjects). */
export const REFERENCING_KINDS: ReadonlySet<string> = new Set(['Gateway', 'ListenerSet', 'BackendTLSPolicy']);

/** Every Secret and ConfigMap referenced by `objects`, keyed `Kind/ns/name`. */
export function referencedObjects(objects: readonly KObj[]): Map<string, ObjectRef> {
  const out = new Map<string, ObjectRef>();
  for (const o of objects) {
    const ns = o.metadata.namespace ?? '';
    const spec = (o['spec'] ?? {}) as Record<string, unknown>;
    if (o.kind === 'Gateway' || o.kind === 'ListenerSet') {
      for (const l of (spec['listeners'] as Listeners) ?? []) for (const r of l.tls?.certificateRefs ?? []) add(out, r, 'Secret', ns);
    }
    if (o.kind === 'Gateway') {
      const tls = (spec['tls'] ?? {}) as {
        backend?: { clientCertificateRef?: Ref };
        frontend?: { default?: { validation?: { caCertificateRefs?: Ref[] } }; perPort?: { tls?: { validation?: { caCertificateRefs?: Ref[] } } }[] };
      };
      add(out, tls.backend?.clientCertificateRef, 'Secret', ns);
      for (const r of tls.frontend?.default?.validation?.caCertificateRefs ?? []) add(out, r, 'ConfigMap', ns);
      for (const p of tls.frontend?.perPort ?? []) for (const r of p.tls?.validation?.caCertificateRefs ?? []) add(out, r, 'ConfigMap', ns);
    }
    if (o.kind === 'BackendTLSPolicy') {
      const v = (spec['validation'] ?? {}) as { caCertificateRefs?: Ref[] };
      for (const r of v.caCertificateRefs ?? []) add(out, { ...r, namespace: ns }, 'ConfigMap', ns);
    }
  }
  return out;
}
