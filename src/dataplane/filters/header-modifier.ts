/**
 * RequestHeaderModifier and ResponseHeaderModifier: the same edit on a header map.
 *
 * Spec (HTTPHeaderFilter): "Set overwrites the request with the given header (name, value)
 * before the action." ... "Add adds the given header(s) (name, value) to the request before the
 * action. It appends to any existing values associated with the header name." with the example
 * `my-header: foo` + add `my-header: bar` → `my-header: foo,bar`. "Remove the given header(s)
 * from the HTTP request before the action. The value of Remove is a list of HTTP header names.
 * Note that the header names are case-insensitive."
 */
import type * as ir from '../../ir/types.js';
import type { HeaderMap } from '../headers.js';

/**
 * Lower-cases the header names once, at config time ("header names are case-insensitive"), so
 * the per-request edit compares names without converting them. The IR already carries lower-cased
 * names (the controller writes them so); an IR that does not is still served correctly.
 */
export function compileHeaderModifier(mod: ir.HeaderModifier): ir.HeaderModifier {
  // The usual case: served as it is (no copy kept per rule and edit pass).
  if (isLowerCased(mod)) return mod;
  const lower = (h: { readonly name: string; readonly value: string }) => ({ name: h.name.toLowerCase(), value: h.value });
  return { set: mod.set.map(lower), add: mod.add.map(lower), remove: mod.remove.map((n) => n.toLowerCase()) };
}

/** Every name of `mod` is lower-case already. */
function isLowerCased(mod: ir.HeaderModifier): boolean {
  for (const h of mod.set) if (h.name !== h.name.toLowerCase()) return false;
  for (const h of mod.add) if (h.name !== h.name.toLowerCase()) return false;
  for (const n of mod.remove) if (n !== n.toLowerCase()) return false;
  return true;
}

/** Applies set, then add, then remove to `headers` in place. Names come from compileHeaderModifier. */
export function applyHeaderModifier(headers: HeaderMap, mod: ir.HeaderModifier): void {
  const set = mod.set;
  for (let i = 0; i < set.length; i++) {
    const h = set[i] as { readonly name: string; readonly value: string };
    headers[h.name] = h.value;
  }
  const add = mod.add;
  for (let i = 0; i < add.length; i++) {
    const h = add[i] as { readonly name: string; readonly value: string };
    const name = h.name;
    const prev = headers[name];
    if (prev === undefined) headers[name] = h.value;
    // Set-Cookie cannot be comma-joined: it stays a list of lines.
    else if (name === 'set-cookie') headers[name] = typeof prev === 'string' ? [prev, h.value] : [...prev, h.value];
    else headers[name] = `${typeof prev === 'string' ? prev : prev.join(',')},${h.value}`;
  }
  const remove = mod.remove;
  for (let i = 0; i < remove.length; i++) delete headers[remove[i] as string];
}
