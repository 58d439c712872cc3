/**
 * IP address syntax as the Kubernetes IP library accepts it, without `node:net` (so the
 * controller, the schema's CEL `isIP()` and the file source share one definition).
 */

/** IPv4 dotted quad, no leading zeros (the Kubernetes IP library rejects them too). */
export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  return parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/** IPv6 literal (with optional trailing dotted quad), no zone, no brackets. */
export function isIPv6(s: string): boolean {
  if (!s.includes(':') || s.includes('%')) return false;
  let groups = 8;
  let text = s;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return false;
    // The IPv4 tail is two groups; replace it by one placeholder group and expect seven.
    text = text.slice(0, lastColon + 1) + '0';
    groups = 7;
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const hex = /^[0-9a-fA-F]{1,4}$/;
  const count = (h: string): number | null => {
    if (h === '') return 0;
    const gs = h.split(':');
    return gs.every((g) => hex.test(g)) ? gs.length : null;
  };
  const a = count(halves[0] ?? '');
  if (a === null) return false;
  if (halves.length === 1) return a === groups;
  const b = count(halves[1] ?? '');
  if (b === null) return false;
  return a + b < groups;
}

/** True for an IPv4 or IPv6 address (see above). */
export function isIPAddress(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}
