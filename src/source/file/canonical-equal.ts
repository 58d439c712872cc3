/**
 * Equality of two values as their stable JSON (object keys sorted) would say, without writing
 * the JSON: what FileSource uses to tell whether an edit changed an object (reordering keys in
 * YAML is not a change). As in JSON.stringify, undefined, NaN, ±Infinity, functions and
 * symbols are all `null`, and -0 is 0.
 */

function isJsonNull(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) || typeof v === 'function' || typeof v === 'symbol';
}

const enumerable = Object.prototype.propertyIsEnumerable;
const own = Object.prototype.hasOwnProperty;

/** `a` and `b` have the same stable JSON. */
export function canonicalEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!canonicalEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const aObject = a !== null && typeof a === 'object';
  const bObject = b !== null && typeof b === 'object';
  if (aObject || bObject) return aObject && bObject && equalExcept(a, b, NONE);
  return isJsonNull(a) && isJsonNull(b);
}

const NONE: ReadonlySet<string> = new Set();

/**
 * The objects `a` and `b` with the keys in `skip` left out have the same stable JSON. Own
 * enumerable keys, as Object.keys has them, walked with for-in (no key array per object).
 */
export function equalExcept(a: object, b: object, skip: ReadonlySet<string>): boolean {
  let count = 0;
  for (const k in a) {
    if (!own.call(a, k) || skip.has(k)) continue;
    count++;
    if (!enumerable.call(b, k) || !canonicalEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  for (const k in b) if (own.call(b, k) && !skip.has(k)) count--;
  return count === 0;
}
