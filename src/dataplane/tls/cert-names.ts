/**
 * The DNS names a certificate serves (its dNSName SANs, else its subject CN), read once at
 * compile time with node:crypto, and how well one of them matches a TLS SNI.
 *
 * Spec (Listener.TLS, certificateRefs): "the implementation SHOULD select the certificate whose
 * SAN best matches the server name (the longest match)". Wildcards follow RFC 6125 §6.4.3: `*`
 * stands for exactly one left-most label.
 */
import { X509Certificate } from 'node:crypto';

/** Lower-cased DNS names of the first certificate in `certPem`; empty when it has none. */
export function certificateNames(certPem: string): string[] {
  const cert = new X509Certificate(certPem);
  const names: string[] = [];
  const san = cert.subjectAltName;
  if (san !== undefined) {
    for (const part of san.split(',')) {
      const entry = part.trim();
      if (entry.startsWith('DNS:')) names.push(entry.slice(4).toLowerCase());
    }
  }
  if (names.length === 0) {
    for (const line of cert.subject.split('\n')) {
      if (line.startsWith('CN=')) names.push(line.slice(3).toLowerCase());
    }
  }
  return names;
}

/**
 * A score for how well `name` (a certificate name) covers `host` (a lower-cased SNI): 0 for no
 * match, an exact match beats any wildcard, a longer wildcard beats a shorter one.
 */
export function nameMatchScore(name: string, host: string): number {
  if (name === host) return 2 * host.length + 2;
  if (name.startsWith('*.')) {
    const suffix = name.slice(1);
    const dot = host.indexOf('.');
    if (dot > 0 && host.slice(dot) === suffix) return suffix.length + 1;
  }
  return 0;
}

/** The best score of any of `names` for `host`. */
export function bestNameScore(names: readonly string[], host: string): number {
  let best = 0;
  for (let i = 0; i < names.length; i++) {
    const s = nameMatchScore(names[i] as string, host);
    if (s > best) best = s;
  }
  return best;
}
