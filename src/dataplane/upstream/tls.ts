/**
 * TLS from the gateway to a backend (ir.BackendTLS, from a BackendTLSPolicy and the Gateway's
 * spec.tls.backend): connect options for undici pools, HTTP/2 sessions and raw sockets, the
 * identity check, and the key that keeps one connection pool per (endpoint, TLS identity).
 *
 * BackendTLSPolicyValidation.Hostname: "1. Hostname MUST be used as the SNI to connect to the
 * backend (RFC 6066). 2. Hostname MUST be used for authentication and MUST match the
 * certificate served by the matching backend, unless SubjectAltNames is specified. 3. If
 * SubjectAltNames are specified, Hostname can be used for certificate selection but MUST NOT be
 * used for authentication."
 * SubjectAltNames: "When specified the certificate served from the backend MUST have at least
 * one Subject Alternate Name matching one of the specified SubjectAltNames."
 */
import { createHash } from 'node:crypto';
import tls from 'node:tls';
import type * as ir from '../../ir/types.js';

/**
 * Options for `tls.connect` (and undici's `connect`, and `http2.connect`) to reach a backend:
 * SNI = serverName, chain verified against the policy's CAs (or the platform's roots for
 * `system`), identity by checkBackendIdentity, the Gateway's client certificate when set.
 */
export function backendTLSConnectOptions(t: ir.BackendTLS, alpn: readonly string[]): tls.ConnectionOptions {
  const options: tls.ConnectionOptions = {
    servername: t.serverName,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ALPNProtocols: [...alpn],
    checkServerIdentity: (_host, cert) => checkBackendIdentity(t, cert),
  };
  if (t.caPems !== 'system') options.ca = [...t.caPems];
  if (t.clientCertificate !== null) {
    options.cert = t.clientCertificate.certPem;
    options.key = t.clientCertificate.keyPem;
  }
  return options;
}

/**
 * The identity check of a verified chain: the certificate must match the hostname, or — when
 * subjectAltNames are given — at least one of them (Hostname: DNS SANs with the usual wildcard
 * rules; URI: an exact URI SAN). Returns an Error to reject, undefined to accept.
 */
export function checkBackendIdentity(t: ir.BackendTLS, cert: tls.PeerCertificate): Error | undefined {
  if (t.subjectAltNames.length === 0) return tls.checkServerIdentity(t.serverName, cert);
  const uris = subjectAltNameEntries(cert.subjectaltname ?? '')
    .filter((e) => e.type === 'URI')
    .map((e) => e.value);
  for (const san of t.subjectAltNames) {
    if (san.type === 'Hostname' && tls.checkServerIdentity(san.value, cert) === undefined) return undefined;
    if (san.type === 'URI' && uris.includes(san.value)) return undefined;
  }
  const wanted = t.subjectAltNames.map((s) => `${s.type}:${s.value}`).join(', ');
  return Object.assign(new Error(`backend certificate matches none of the subjectAltNames (${wanted})`), {
    code: 'ERR_TLS_CERT_ALTNAME_INVALID',
  });
}

/**
 * Parses Node's `subjectaltname` string (`DNS:a.example.com, URI:spiffe://x/y`); values with
 * special characters are JSON-quoted (`URI:"spiffe://x/a,b"`).
 */
export function subjectAltNameEntries(text: string): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    const colon = text.indexOf(':', i);
    if (colon === -1) break;
    const type = text.slice(i, colon);
    i = colon + 1;
    let value: string;
    if (text[i] === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(i, j + 1)) as string;
      } catch {
        value = text.slice(i + 1, j);
      }
      i = j + 1;
    } else {
      const end = text.indexOf(', ', i);
      value = end === -1 ? text.slice(i) : text.slice(i, end);
      i = end === -1 ? text.length : end;
    }
    out.push({ type, value });
  }
  return out;
}

const identities = new WeakMap<ir.BackendTLS, string>();

/**
 * A short stable digest of everything that makes a TLS connection different (SNI, trusted CAs,
 * accepted identities, client certificate). Pools are keyed by endpoint plus this, so a policy
 * change opens new connections instead of reusing ones verified under the old settings.
 * Cached per IR object (configs are immutable).
 */
export function tlsIdentity(t: ir.BackendTLS): string {
  let id = identities.get(t);
  if (id === undefined) {
    const c = t.clientCertificate;
    const material = JSON.stringify([t.serverName, t.caPems, t.subjectAltNames, c === null ? null : [c.certPem, c.keyPem]]);
    id = createHash('sha256').update(material).digest('hex').slice(0, 16);
    identities.set(t, id);
  }
  return id;
}
