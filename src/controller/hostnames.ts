/**
 * Hostname matching and listener × route hostname intersection (spec digest §d.4).
 *
 * Hostnames compare case-insensitively (everything is lower-cased first). A wildcard is a
 * leading `*.` label and matches by labels: HTTPRouteSpec.Hostnames — "Hostnames that are
 * prefixed with a wildcard label (`*.`) are interpreted as a suffix match. That means that a
 * match for `*.example.com` would match both `test.example.com`, and `foo.test.example.com`, but
 * not `example.com`."
 */

/** True for `*.example.com`-style hostnames. */
export function isWildcard(hostname: string): boolean {
  return hostname.startsWith('*.');
}

/**
 * Does `pattern` (exact or wildcard) cover `hostname` (exact or wildcard)? A wildcard covers
 * every name with at least one more label in front of its suffix, including narrower wildcards
 * (`*.example.com` covers `a.b.example.com` and `*.a.example.com`, not `example.com`).
 */
export function hostnameCovers(pattern: string, hostname: string): boolean {
  const p = pattern.toLowerCase();
  const h = hostname.toLowerCase();
  if (!isWildcard(p)) return p === h;
  const suffix = p.slice(1); // ".example.com"
  if (!h.endsWith(suffix)) return false;
  const head = h.slice(0, h.length - suffix.length);
  // At least one whole label in front: "a", "a.b" or "*" (a narrower wildcard).
  return head.length > 0 && !head.startsWith('.') && !head.endsWith('.');
}

/**
 * The hostnames a route effectively serves on a listener.
 *
 * Returns `[]` for "any host" (neither side sets hostnames), the intersecting hostnames
 * otherwise, or `null` when both sides set hostnames and none intersect (the route cannot
 * attach to this listener: NoMatchingListenerHostname).
 *
 * HTTPRouteSpec.Hostnames: "If a hostname is specified by both the Listener and HTTPRoute,
 * there must be at least one intersecting hostname for the HTTPRoute to be attached to the
 * Listener. […] If both the Listener and HTTPRoute have specified hostnames, any HTTPRoute
 * hostnames that do not match the Listener hostname MUST be ignored."
 *
 * | listener   | route                              | effective              |
 * |------------|------------------------------------|------------------------|
 * | empty      | empty                              | any host (`[]`)        |
 * | empty      | H                                  | H                      |
 * | L          | empty                              | L                      |
 * | L exact    | L, or a wildcard covering L        | L                      |
 * | `*.d`      | exact h under d                    | h                      |
 * | `*.d`      | `*.d` or a narrower `*.x.d`        | that wildcard          |
 * | `*.d`      | a broader wildcard (`*.com`)       | L                      |
 */
export function intersectHostnames(
  listenerHostname: string | undefined | null,
  routeHostnames: readonly string[] | undefined,
): string[] | null {
  const route = dedupe((routeHostnames ?? []).map((h) => h.toLowerCase()));
  const listener = listenerHostname ? listenerHostname.toLowerCase() : null;
  if (listener === null) return route;
  if (route.length === 0) return [listener];
  const out: string[] = [];
  for (const h of route) {
    if (hostnameCovers(listener, h)) out.push(h); // h is L itself or narrower than L
    else if (hostnameCovers(h, listener)) out.push(listener); // h is broader than L
  }
  const result = dedupe(out);
  return result.length > 0 ? result : null;
}

/** Does a (lower-case) effective hostname list serve the virtual host name `vhost`? */
export function servesHostname(effective: readonly string[], vhost: string): boolean {
  if (effective.length === 0) return true; // any host
  if (vhost === '*') return false;
  return effective.some((h) => hostnameCovers(h, vhost));
}

function dedupe(list: readonly string[]): string[] {
  return [...new Set(list)];
}
