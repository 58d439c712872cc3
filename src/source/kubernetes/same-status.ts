/**
 * Whether a status write would change anything: two statuses are the same when they differ only
 * in `lastTransitionTime` values or in the order of lists (another controller's entries in
 * `status.parents` may come before or after ours). Walks both values without building anything:
 * comparing canonical JSON copies of both allocated ~20 MB/s in the controller while 5k routes
 * churned (a thousand writes a second), a tenth of all it allocated (docs/performance.md §14).
 */

/** True when `a` and `b` are the same status (see the module comment); absent counts as `{}`. */
export function sameStatus(a: unknown, b: unknown): boolean {
  return equalApartFromTimes(a ?? {}, b ?? {});
}

/**
 * JSON values equal once every `lastTransitionTime` key is dropped and every list is taken as a
 * multiset. Keys whose value is undefined count as absent, as in JSON.
 */
function equalApartFromTimes(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && sameMembers(a, b);
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const k in x) {
    if (k === 'lastTransitionTime' || x[k] === undefined) continue;
    if (!equalApartFromTimes(x[k], y[k])) return false;
    keys++;
  }
  for (const k in y) if (k !== 'lastTransitionTime' && y[k] !== undefined) keys--;
  return keys === 0;
}

/**
 * The same elements, in any order. Each element of `a` takes an equal, not yet taken element of
 * `b`, looked for from its own position on (lists mostly keep their order); equality here is an
 * equivalence, so taking the first equal one never misses a matching. The lists are short (a
 * route has at most 32 parents, a parent a few conditions).
 */
function sameMembers(a: readonly unknown[], b: readonly unknown[]): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  const taken = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let found = false;
    for (let d = 0; d < n && !found; d++) {
      const j = (i + d) % n;
      if (taken[j] === 0 && equalApartFromTimes(a[i], b[j])) {
        taken[j] = 1;
        found = true;
      }
    }
    if (!found) return false;
  }
  return true;
}
