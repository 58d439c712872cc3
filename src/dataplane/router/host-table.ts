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
import type { HostTable, WildcardSlot } from './types.js';

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

/**
 * Builds a table from (hostname, value) pairs in priority order. `null` or `*` is the
 * catch-all. When a hostname repeats, the first one wins (the IR lists the winner first).
 */
export function buildHostTable<T>(items: readonly { readonly hostname: string | null; readonly value: T }[]): HostTable<T> {
  const exact = Object.create(null) as Record<string, T>;
  const wildcards: WildcardSlot<T>[] = [];
  let any: T | null = null;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as { readonly hostname: string | null; readonly value: T };
    const h = item.hostname === null ? null : normalizeHost(item.hostname);
    if (h === null || h === '*') {
      if (any === null) any = item.value;
    } else if (h.startsWith('*.')) {
      const suffix = h.slice(1);
      if (!wildcards.some((w) => w.suffix === suffix)) wildcards.push({ suffix, value: item.value });
    } else if (exact[h] === undefined) {
      exact[h] = item.value;
    }
  }
  // Longest suffix first: the most specific wildcard wins. Stable for equal lengths.
  wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  return { exact, wildcards, any };
}

/**
 * Finds the value for a normalized host: exact name, else the longest wildcard whose suffix
 * covers it with at least one more label, else the catch-all, else null. There is no fallback
 * past the first hit (listener isolation).
 */
export function lookupHost<T>(table: HostTable<T>, host: string): T | null {
  const hit = table.exact[host];
  if (hit !== undefined) return hit;
  const w = table.wildcards;
  for (let i = 0; i < w.length; i++) {
    const slot = w[i] as WildcardSlot<T>;
    // `.example.com` must be a proper suffix: `example.com` itself is not covered.
    if (host.length > slot.suffix.length && host.endsWith(slot.suffix)) return slot.value;
  }
  return table.any;
}
