/**
 * Hostname lookup tables for listener selection and virtual hosts.
 *
 * Spec (Listener.Hostname): "Hostname can be 'precise' which is a domain name without the
 * terminating dot of a network host (e.g. 'foo.example.com') or 'wildcard', which is a domain
 * name prefixed with a single wildcard label (e.g. `*.example.com`). The wildcard character `*`
 * must appear by itself as the first DNS label and matches only a single label."
 * ... but for matching: "`*.example.com` matches `foo.example.com` and `foo.bar.example.com`,
 * not `example.com`" (HTTPRoute hostnames; listener wildcards behave alike in conformance
 * HTTPRouteListenerHostnameMatching: `multiple.prefixes.bar.com` matches `*.bar.com`).
 */
import type { HostTable, Removed, WildcardSlot } from './types.js';
import { REMOVED } from './types.js';

/**
 * The host a request is routed by: the Host header (or `:authority`) without its port,
 * lower-cased, without a trailing dot. IPv6 literals keep their brackets.
 */
export function normalizeHost(raw: string): string {
  let end = raw.length;
  if (raw.charCodeAt(0) === 91 /* [ */) {
    const close = raw.indexOf(']');
    end = close === -1 ? raw.length : close + 1;
  } else {
    const colon = raw.indexOf(':');
    if (colon !== -1) end = colon;
  }
  if (end > 0 && raw.charCodeAt(end - 1) === 46 /* . */) end--;
  const host = end === raw.length ? raw : raw.slice(0, end);
  return host.toLowerCase();
}

/** A hostname as a table files it: `*` (catch-all), `*.suffix` (wildcard) or an exact name. */
function hostKey(hostname: string | null): string {
  return hostname === null ? '*' : normalizeHost(hostname);
}

function isWildcard(k: string): boolean {
  return k.charCodeAt(0) === 42 /* * */ && k.charCodeAt(1) === 46 /* . */;
}

type Names<V> = Record<string, V>;

function names<V>(): Names<V> {
  return Object.create(null) as Names<V>;
}

/**
 * How many names each `exact` record holds (kept here, off the request path's objects). Both
 * `exact` and `recent` are null-prototype records, not Maps: a request's host looks up faster
 * in them (V8 internalizes the key once, then compares pointers).
 */
const sizes = new WeakMap<object, number>();

/**
 * Collects (hostname, value) pairs in priority order into a table. `null` or `*` is the
 * catch-all. When a hostname repeats, the first one wins (the IR lists the winner first).
 */
export class HostTableBuilder<T> {
  readonly #exact = names<T>();
  #size = 0;
  readonly #wildcards: WildcardSlot<T>[] = [];
  #any: T | null = null;
  #hasAny = false;

  /** Adds `value` under `hostname`; false (and nothing added) when the name is already taken. */
  add(hostname: string | null, value: T): boolean {
    const k = hostKey(hostname);
    if (k === '*') {
      if (this.#hasAny) return false;
      this.#any = value;
      this.#hasAny = true;
    } else if (isWildcard(k)) {
      const suffix = k.slice(1);
      if (this.#wildcards.some((w) => w.suffix === suffix)) return false;
      this.#wildcards.push({ suffix, value });
    } else {
      if (this.#exact[k] !== undefined) return false;
      this.#exact[k] = value;
      this.#size++;
    }
    return true;
  }

  finish(): HostTable<T> {
    // Longest suffix first: the most specific wildcard wins. Stable for equal lengths.
    this.#wildcards.sort(longestSuffixFirst);
    sizes.set(this.#exact, this.#size);
    return { exact: this.#exact, recent: null, wildcards: this.#wildcards, any: this.#any };
  }
}

/** Builds a table from (hostname, value) pairs in priority order (see `HostTableBuilder`). */
export function buildHostTable<T>(items: readonly { readonly hostname: string | null; readonly value: T }[]): HostTable<T> {
  const b = new HostTableBuilder<T>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as { readonly hostname: string | null; readonly value: T };
    b.add(item.hostname, item.value);
  }
  return b.finish();
}

function longestSuffixFirst(a: { readonly suffix: string }, b: { readonly suffix: string }): number {
  return b.suffix.length - a.suffix.length;
}

/** Every exact name a table answers: those of `exact` that `recent` does not override, then `recent`'s live ones. */
function forEachExact<T>(exact: Readonly<Names<T>>, recent: Readonly<Names<T | Removed>> | null, visit: (name: string, value: T) => void): void {
  for (const k in exact) if (recent === null || recent[k] === undefined) visit(k, exact[k] as T);
  if (recent !== null) for (const k in recent) if (recent[k] !== REMOVED) visit(k, recent[k] as T);
}

/** Edited tables fold their `recent` names into a new `exact` record past this many. */
function compactAt(exactSize: number): number {
  return Math.max(16, Math.sqrt(exactSize));
}

/**
 * A new table made from `prev` by replacing, adding and removing names, in time and memory
 * proportional to the changes: `prev` stays as it is (a draining server may still route by
 * it). Exact names changed since `exact` was built go to the small `recent` record, copied per
 * edit; once it outgrows `compactAt`, one edit folds it into a new `exact` (so n one-name edits
 * cost O(n·√n) in all instead of O(n²)). Values must not be undefined.
 *
 * Unlike the builder there is no first-wins rule: the caller keeps names unique (`get` tells).
 */
export class HostTableEdit<T> {
  readonly #prev: HostTable<T>;
  #recent: Names<T | Removed> | null = null;
  #recentSize = 0;
  #wildcards: WildcardSlot<T>[] | null = null;
  #any: T | null;

  constructor(prev: HostTable<T>) {
    this.#prev = prev;
    this.#any = prev.any;
  }

  /** The value under `hostname` now, or undefined. */
  get(hostname: string | null): T | undefined {
    const k = hostKey(hostname);
    if (k === '*') return this.#any ?? undefined;
    if (isWildcard(k)) {
      const suffix = k.slice(1);
      return (this.#wildcards ?? this.#prev.wildcards).find((w) => w.suffix === suffix)?.value;
    }
    const recent = this.#recent ?? this.#prev.recent;
    const r = recent === null ? undefined : recent[k];
    if (r !== undefined) return r === REMOVED ? undefined : r;
    return this.#prev.exact[k];
  }

  /** Puts `value` under `hostname`, replacing what was there. */
  set(hostname: string | null, value: T): void {
    this.#put(hostKey(hostname), value);
  }

  /** Removes `hostname` (nothing happens when it is not there). */
  delete(hostname: string | null): void {
    this.#put(hostKey(hostname), undefined);
  }

  /** Puts `value` under key `k`; undefined removes it. */
  #put(k: string, value: T | undefined): void {
    if (k === '*') this.#any = value ?? null;
    else if (isWildcard(k)) {
      const suffix = k.slice(1);
      const w = this.#ownWildcards();
      const i = w.findIndex((s) => s.suffix === suffix);
      if (value === undefined) {
        if (i !== -1) w.splice(i, 1);
      } else if (i === -1) w.push({ suffix, value });
      else w[i] = { suffix, value };
    } else {
      const built = this.#prev.exact[k];
      // In `recent` only when it differs from `exact`: a value, or REMOVED for a name `exact` has.
      this.#note(k, value === built ? undefined : value ?? REMOVED);
    }
  }

  /** Records exact name `k` in `recent` (undefined: as in `exact`, so not at all). */
  #note(k: string, v: T | Removed | undefined): void {
    let recent = this.#recent;
    if (recent === null) {
      recent = names<T | Removed>();
      const from = this.#prev.recent;
      if (from !== null) {
        for (const name in from) {
          recent[name] = from[name] as T | Removed;
          this.#recentSize++;
        }
      }
      this.#recent = recent;
    }
    const had = recent[k] !== undefined;
    if (v === undefined) {
      if (had) {
        delete recent[k];
        this.#recentSize--;
      }
    } else {
      recent[k] = v;
      if (!had) this.#recentSize++;
    }
  }

  #ownWildcards(): WildcardSlot<T>[] {
    if (this.#wildcards === null) this.#wildcards = [...this.#prev.wildcards];
    return this.#wildcards;
  }

  /** The edited table (`prev` itself when nothing changed). */
  finish(): HostTable<T> {
    const prev = this.#prev;
    if (this.#recent === null && this.#wildcards === null && this.#any === prev.any) return prev;
    let exact = prev.exact;
    let recent: Readonly<Names<T | Removed>> | null = this.#recent ?? prev.recent;
    const exactSize = sizes.get(exact) ?? 0;
    if (recent !== null && this.#recent !== null && this.#recentSize > compactAt(exactSize)) {
      const folded = names<T>();
      let size = 0;
      forEachExact(exact, recent, (k, v) => {
        folded[k] = v;
        size++;
      });
      sizes.set(folded, size);
      exact = folded;
      recent = null;
    } else if (this.#recent !== null && this.#recentSize === 0) recent = null;
    const wildcards = this.#wildcards ?? prev.wildcards;
    if (this.#wildcards !== null) this.#wildcards.sort(longestSuffixFirst);
    return { exact, recent, wildcards, any: this.#any };
  }
}

/**
 * Every (name, value) of a table, exact names sorted, then wildcards as `*.suffix` longest
 * first (equal lengths by name: no host matches two of them), then `*` for the catch-all: what
 * a table answers, whatever edits made it.
 */
export function hostTableEntries<T>(table: HostTable<T>): [string, T][] {
  const out: [string, T][] = [];
  forEachExact(table.exact, table.recent, (k, v) => out.push([k, v]));
  out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const wildcards = [...table.wildcards].sort((a, b) => longestSuffixFirst(a, b) || (a.suffix < b.suffix ? -1 : a.suffix > b.suffix ? 1 : 0));
  for (const w of wildcards) out.push([`*${w.suffix}`, w.value]);
  if (table.any !== null) out.push(['*', table.any]);
  return out;
}

/** Every value a table can answer with (what `hostTableEntries` lists, without the names). */
export function hostTableValues<T>(table: HostTable<T>): T[] {
  const out: T[] = [];
  forEachExact(table.exact, table.recent, (_, v) => out.push(v));
  for (const w of table.wildcards) out.push(w.value);
  if (table.any !== null) out.push(table.any);
  return out;
}

/**
 * Finds the value for a normalized host: exact name, else the longest wildcard whose suffix
 * covers it with at least one more label, else the catch-all, else null. There is no fallback
 * past the first hit (listener isolation).
 */
export function lookupHost<T>(table: HostTable<T>, host: string): T | null {
  const recent = table.recent;
  const changed = recent === null ? undefined : recent[host];
  const hit = changed === undefined ? table.exact[host] : changed;
  if (hit !== undefined && hit !== REMOVED) return hit;
  const w = table.wildcards;
  for (let i = 0; i < w.length; i++) {
    const slot = w[i] as WildcardSlot<T>;
    // `.example.com` must be a proper suffix: `example.com` itself is not covered.
    if (host.length > slot.suffix.length && host.endsWith(slot.suffix)) return slot.value;
  }
  return table.any;
}
