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
import { alignByIdentity, changeBudget, type IdentityDiff } from '../../ir/identity-diff.js';
import { equalExcept } from '../file/canonical-equal.js';
import { objectKeyOf, type KObj } from './rest.js';

/** Top-level fields compared on their own (metadata) or not at all (status). */
const STATUS_AND_METADATA: ReadonlySet<string> = new Set(['status', 'metadata']);
/** Fields of `metadata` that change without the object's meaning changing. */
const VOLATILE_METADATA: ReadonlySet<string> = new Set(['resourceVersion', 'managedFields']);

/** True when `a` and `b` are equal apart from status, resourceVersion and managedFields. */
export function sameApartFromStatus(a: KObj, b: KObj): boolean {
  if (a === b) return true;
  return equalExcept(a, b, STATUS_AND_METADATA) && equalExcept(a.metadata, b.metadata, VOLATILE_METADATA);
}

/**
 * Makes `current`, equal to `previous` apart from status (sameApartFromStatus), share
 * `previous`'s values for everything else: its spec and the parts of its metadata that did not
 * change (labels, annotations, owners). Only for a freshly received object no one has read yet.
 * The view keeps handing out `previous` while the cache holds `current` (see the module
 * comment), so without this every route whose status was written kept two copies of its spec
 * alive and promoted both, one per edit: at 5k churning routes ~18 MB of a ~80 MB heap that
 * every Mark-Compact marks (docs/performance.md §15).
 */
export function shareUnchanged(previous: KObj, current: KObj): void {
  for (const key of Object.keys(current)) if (!STATUS_AND_METADATA.has(key)) current[key] = previous[key];
  const meta = current.metadata as Record<string, unknown>;
  const before = previous.metadata as Record<string, unknown>;
  for (const key of Object.keys(meta)) if (!VOLATILE_METADATA.has(key)) meta[key] = before[key];
}

/** What changed in the objects `view()` handed out, against the previous pass. */
export interface ViewChange {
  readonly removed: readonly KObj[];
  readonly added: readonly KObj[];
}

/** See the module comment. One instance per controller; `view()` once per pass. */
export class StableObjects {
  /** The informers' objects of the previous pass, and what was handed out for each. */
  #seen: readonly KObj[] = [];
  #views: readonly KObj[] = [];
  #change: ViewChange | null = null;

  /**
   * The objects to translate: each the same as in the previous pass unless something besides
   * status changed. Objects no longer present are forgotten. Informers keep unchanged objects
   * in place, so the new list is lined up with the previous one by identity (ir/identity-diff.ts)
   * and only the objects that came or went are looked at.
   */
  view(objects: readonly KObj[]): KObj[] {
    const diff = alignByIdentity(this.#seen, objects, changeBudget(objects.length));
    const out = diff === null ? this.#viewAll(objects) : this.#viewChanged(objects, diff);
    this.#seen = objects;
    this.#views = out;
    return out;
  }

  /**
   * The objects the last `view()` removed and added against the one before (a view kept for
   * an object whose status alone changed is neither); null when it looked at every object.
   */
  lastChange(): ViewChange | null {
    return this.#change;
  }

  #viewChanged(objects: readonly KObj[], diff: IdentityDiff): KObj[] {
    const out = new Array<KObj>(objects.length);
    for (let j = 0; j < objects.length; j++) {
      const i = diff.newToOld[j]!;
      if (i !== -1) out[j] = this.#views[i]!;
    }
    // A modified object is a removed one and an inserted one with the same key.
    const gone = new Map<string, KObj>();
    for (const i of diff.removed) gone.set(objectKeyOf(this.#seen[i]!), this.#views[i]!);
    const added: KObj[] = [];
    for (const j of diff.inserted) {
      const o = objects[j]!;
      const key = objectKeyOf(o);
      const before = gone.get(key);
      if (before !== undefined && sameApartFromStatus(before, o)) {
        out[j] = before;
        gone.delete(key);
        continue;
      }
      out[j] = o;
      added.push(o);
    }
    this.#change = { removed: [...gone.values()], added };
    return out;
  }

  #viewAll(objects: readonly KObj[]): KObj[] {
    const before = new Map<string, number>();
    for (let i = 0; i < this.#seen.length; i++) before.set(objectKeyOf(this.#seen[i]!), i);
    const out = objects.map((o) => {
      const i = before.get(objectKeyOf(o));
      if (i === undefined) return o;
      // The object seen last time: its view stands without comparing (many do, past the budget).
      const prev = this.#views[i]!;
      return this.#seen[i] === o || sameApartFromStatus(prev, o) ? prev : o;
    });
    this.#change = null;
    return out;
  }
}
