/**
 * Object identity across controller passes, blind to our own status writes.
 *
 * translate()'s TranslateCache reuses work per route object and drops everything when any
 * non-route object is a different object (translate-cache.ts). Informers hand out a new object
 * for every MODIFIED event, and most events in a busy cluster are the controller's own status
 * writes: a new route changes its Gateway's `attachedRoutes`, an edited route gets a new
 * `observedGeneration`. Each would make the next pass start from scratch.
 *
 * `StableObjects.view()` returns, per object, the object it returned in the previous pass when
 * the new one differs only in `status`, `metadata.resourceVersion` or `metadata.managedFields`.
 * translate() reads status only to keep `lastTransitionTime` of unchanged conditions; the
 * status writer merges those times again against the object as it is now (desiredStatus), so
 * a view with an older status writes the same statuses. The status writer and the provisioner
 * keep receiving the informers' current objects.
 */
import { equalExcept } from '../file/canonical-equal.js';
import type { KObj } from './rest.js';

/** Top-level fields compared on their own (metadata) or not at all (status). */
const STATUS_AND_METADATA: ReadonlySet<string> = new Set(['status', 'metadata']);
/** Fields of `metadata` that change without the object's meaning changing. */
const VOLATILE_METADATA: ReadonlySet<string> = new Set(['resourceVersion', 'managedFields']);

/** True when `a` and `b` are equal apart from status, resourceVersion and managedFields. */
export function sameApartFromStatus(a: KObj, b: KObj): boolean {
  if (a === b) return true;
  return equalExcept(a, b, STATUS_AND_METADATA) && equalExcept(a.metadata, b.metadata, VOLATILE_METADATA);
}

function keyOf(o: KObj): string {
  return `${o.kind ?? ''}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** See the module comment. One instance per controller; `view()` once per pass. */
export class StableObjects {
  /** Per object key: the informer's object last seen and the object handed out for it. */
  #entries = new Map<string, { readonly seen: KObj; readonly view: KObj }>();

  /**
   * The objects to translate: each the same as in the previous pass unless something besides
   * status changed. Objects no longer present are forgotten.
   */
  view(objects: readonly KObj[]): KObj[] {
    const next = new Map<string, { readonly seen: KObj; readonly view: KObj }>();
    const out = objects.map((o) => {
      const key = keyOf(o);
      const prev = this.#entries.get(key);
      let view = o;
      if (prev !== undefined && (prev.seen === o || sameApartFromStatus(prev.view, o))) view = prev.view;
      next.set(key, { seen: o, view });
      return view;
    });
    this.#entries = next;
    return out;
  }
}
