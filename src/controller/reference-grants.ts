/**
 * ReferenceGrant checks for cross-namespace references (spec digest §d.6).
 *
 * ReferenceGrant godoc: "ReferenceGrant identifies kinds of resources in other namespaces that
 * are trusted to reference the specified kinds of resources in the same namespace as the
 * policy." The grant lives in the *target* namespace; a reference is allowed when one grant
 * there has a `from` entry equal to the referrer's {group, kind, namespace} AND a `to` entry
 * equal to the target's {group, kind} whose `name` is unset or equal to the target's name.
 * Every field compares exactly (`""` is the core group). Same-namespace references need no
 * grant.
 */
import type { ResourceIndex } from './model.js';

/** The referring object: an HTTPRoute, a Gateway, a ListenerSet, … */
export interface ReferenceFrom {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
}

/** The referenced object. */
export interface ReferenceTo {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** Is `from` allowed to reference `to`? Same namespace always; otherwise only through a grant. */
export function isReferenceAllowed(index: ResourceIndex, from: ReferenceFrom, to: ReferenceTo): boolean {
  if (from.namespace === to.namespace) return true;
  const grants = index.referenceGrantsByNamespace.get(to.namespace) ?? [];
  return grants.some((grant) => {
    const spec = grant.spec;
    if (!spec) return false;
    const fromOk = (spec.from ?? []).some(
      (f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace,
    );
    if (!fromOk) return false;
    return (spec.to ?? []).some(
      (t) => t.group === to.group && t.kind === to.kind && (t.name === undefined || t.name === '' || t.name === to.name),
    );
  });
}
