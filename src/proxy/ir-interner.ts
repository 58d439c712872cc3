/**
 * Keeps the identity of unchanged IR parts across configs received from the controller.
 *
 * `waygate proxy` receives its Gateway's whole IR as JSON on every change, so every server,
 * rule and match arrives as a new object, and the data plane's caches — compiled servers by
 * server object, compiled rules and matches by IR object (CompileCache), pools by endpoint
 * object — would miss on everything: one changed route would recompile the whole server.
 *
 * `IrInterner.intern(config)` returns a config in which every value deep-equal to the
 * corresponding value of the previous result IS that previous object. Correspondence: array
 * elements that carry a `name` (servers, listeners, rules, backends, certificates…) or else a
 * `hostname` (virtual hosts) are paired with the previous element of the same name, so a route
 * added in the middle does not shift the pairing; other elements (route entries, endpoints)
 * by position. A previous object is returned only when all of its fields are identical to the
 * new one's after interning them (so, recursively, deep-equal) and it has no other fields:
 * never a stale object. Any difference produces a new object, whose unchanged children are
 * still shared.
 *
 * Cost: one walk over the new config (the JSON was just parsed, so it is in cache).
 */
import type * as ir from '../ir/types.js';

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The pairing key of an array element: its `name`, else its `hostname`, else none. */
function keyOf(v: unknown): string | null {
  if (!isPlain(v)) return null;
  const name = v['name'];
  if (typeof name === 'string') return name;
  const hostname = v['hostname'];
  return typeof hostname === 'string' ? hostname : null;
}

/** Whether `v` is paired by its `name` (true) or its `hostname` (false); only when keyOf(v) !== null. */
function byName(v: unknown): boolean {
  return typeof (v as Plain)['name'] === 'string';
}

/** `next` with every part deep-equal to the paired part of `prev` replaced by it. Pure. */
export function share(prev: unknown, next: unknown): unknown {
  if (prev === next) return prev;
  if (typeof next !== 'object' || next === null || typeof prev !== 'object' || prev === null) return next;
  if (Array.isArray(next)) return Array.isArray(prev) ? shareArray(prev, next) : next;
  if (Array.isArray(prev) || Object.getPrototypeOf(next) !== Object.prototype || Object.getPrototypeOf(prev) !== Object.prototype) return next;
  const p = prev as Plain;
  const n = next as Plain;
  const keys = Object.keys(n);
  // `out` is only built once a field differs (most objects of a config are unchanged).
  let out: Plain | null = null;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const has = Object.prototype.hasOwnProperty.call(p, k);
    const v = has ? share(p[k], n[k]) : n[k];
    if (out === null && (!has || v !== p[k])) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]!] = p[keys[j]!];
    }
    if (out !== null) out[k] = v;
  }
  if (out !== null) return out;
  if (Object.keys(p).length === keys.length) return prev;
  // Every field of `next` is the previous one, but `prev` has more: a new object of those fields.
  out = {};
  for (const k of keys) out[k] = p[k];
  return out;
}

function shareArray(prev: readonly unknown[], next: readonly unknown[]): readonly unknown[] {
  let names: Map<string, unknown> | null = null;
  let hostnames: Map<string, unknown> | null = null;
  let same = prev.length === next.length;
  const out = new Array<unknown>(next.length);
  for (let i = 0; i < next.length; i++) {
    const v = next[i];
    const key = keyOf(v);
    let partner: unknown = prev[i];
    if (key !== null && (keyOf(partner) !== key || byName(partner) !== byName(v))) {
      if (names === null || hostnames === null) {
        names = new Map();
        hostnames = new Map();
        for (const e of prev) {
          const k = keyOf(e);
          if (k === null) continue;
          const m = byName(e) ? names : hostnames;
          if (!m.has(k)) m.set(k, e);
        }
      }
      partner = (byName(v) ? names : hostnames).get(key);
    }
    const shared = partner === undefined ? v : share(partner, v);
    out[i] = shared;
    if (shared !== prev[i]) same = false;
  }
  return same ? prev : out;
}

/** See the module comment. One per stream; `intern()` every config before applying it. */
export class IrInterner {
  #prev: ir.Config | null = null;

  /** `config` with the unchanged parts of the previous result (see the module comment). */
  intern(config: ir.Config): ir.Config {
    const out = (this.#prev === null ? config : share(this.#prev, config)) as ir.Config;
    this.#prev = out;
    return out;
  }

  /** Forgets the previous config (its objects can then be collected). */
  reset(): void {
    this.#prev = null;
  }
}
