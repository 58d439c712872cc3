/**
 * What changed between two versions of an IR array whose unchanged elements are the very same
 * objects (docs/decisions.md 7): the controller hands a new `rules` or `virtualHosts` array per
 * pass, mostly of the previous elements, with some replaced in place, appended or removed.
 */
import { alignByIdentity } from '../../ir/identity-diff.js';

/**
 * `removed` and `added` as multisets: `next` holds exactly the elements of `prev`, minus
 * `removed`, plus `added` (an element that moved may be in both). Both arrays hold the same
 * element at every index of `prev` below `same` and from `sameFrom` on (`Infinity` when
 * elements shifted); `appendOnly` when `next` is `prev` with elements appended (every element
 * of `prev` keeps its index).
 */
export interface ArrayChanges<T> {
  readonly removed: readonly T[];
  readonly added: readonly T[];
  readonly same: number;
  readonly sameFrom: number;
  readonly appendOnly: boolean;
}

/**
 * Compares `prev` and `next` by identity after cutting their common prefix and suffix; what
 * is left in between is compared position by position when both sides are as long, else taken
 * whole when short, else lined up by identity (ir/identity-diff.ts). Null when more than
 * `limit` elements would be listed on either side (then rebuilding costs about as much as
 * patching).
 */
export function arrayChanges<T>(prev: readonly T[], next: readonly T[], limit: number): ArrayChanges<T> | null {
  const min = Math.min(prev.length, next.length);
  let start = 0;
  while (start < min && prev[start] === next[start]) start++;
  if (start === prev.length && start === next.length) return { removed: [], added: [], same: start, sameFrom: start, appendOnly: true };
  let prevEnd = prev.length;
  let nextEnd = next.length;
  while (prevEnd > start && nextEnd > start && prev[prevEnd - 1] === next[nextEnd - 1]) {
    prevEnd--;
    nextEnd--;
  }
  if (prevEnd - start === nextEnd - start) {
    const removed: T[] = [];
    const added: T[] = [];
    for (let i = start; i < prevEnd; i++) {
      if (prev[i] === next[i]) continue;
      if (removed.length >= limit) return null;
      removed.push(prev[i] as T);
      added.push(next[i] as T);
    }
    return { removed, added, same: start, sameFrom: prevEnd, appendOnly: false };
  }
  const appendOnly = start === prev.length;
  if (prevEnd - start <= limit && nextEnd - start <= limit) {
    return { removed: prev.slice(start, prevEnd), added: next.slice(start, nextEnd), same: start, sameFrom: appendOnly ? start : Infinity, appendOnly };
  }
  // A long span between changes at both ends (an edit at one place, an insertion at another):
  // line its elements up by identity to list only what came and went.
  const before = prev.slice(start, prevEnd);
  const after = next.slice(start, nextEnd);
  const diff = alignByIdentity(before, after, 2 * limit);
  if (diff === null || diff.removed.length > limit || diff.inserted.length > limit) return null;
  return { removed: diff.removed.map((i) => before[i]!), added: diff.inserted.map((j) => after[j]!), same: start, sameFrom: Infinity, appendOnly: false };
}
