/**
 * TLS settings of one HTTPS server (one `ir.Server`), compiled at apply time: a secure context
 * per certificate, listeners by SNI hostname, the server-wide handshake options.
 *
 * SNI selects the listener the way Host does for HTTP (exact, else the longest wildcard, else the
 * listener without hostname) and, among its certificates, the one whose SAN matches the SNI
 * best. A handshake without SNI uses the hostname-less listener, else the most specific one.
 *
 * Certificate material the controller could only check structurally (a key that does not match
 * its certificate, an unparsable DER) is skipped with a problem report instead of failing the
 * whole config: the other listeners keep serving.
 */
import { createHash } from 'node:crypto';
import tls, { type SecureContext, type SecureContextOptions } from 'node:tls';
import type * as ir from '../../ir/types.js';
import { buildHostTable, lookupHost, normalizeHost } from '../router/host-table.js';
import type { HostTable } from '../router/types.js';
import { bestNameScore, certificateNames } from './cert-names.js';

/**
 * TLS 1.3 suites and, for TLS 1.2, ECDHE key exchange with AEAD ciphers only (forward secrecy,
 * no CBC, no RSA key exchange).
 */
export const DEFAULT_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** One usable certificate of a listener. */
export interface TLSCertificateEntry {
  /** `ns/name` of the Secret. */
  readonly name: string;
  /** DNS names it serves (SANs, else CN), lower-cased. */
  readonly names: readonly string[];
  readonly context: SecureContext;
  /** What built `context`, for the server's default context. */
  readonly options: SecureContextOptions;
}

/** The TLS side of one listener. */
export interface TLSListenerEntry {
  /** IR listener name. */
  readonly listener: string;
  readonly hostname: string | null;
  readonly certificates: readonly TLSCertificateEntry[];
  readonly clientValidation: ir.ClientValidation | null;
  readonly minVersion: ir.ListenerTLS['minVersion'];
}

/** Everything the HTTPS server needs for handshakes. */
export interface ServerTLS {
  readonly listeners: HostTable<TLSListenerEntry>;
  /** The listener of handshakes without SNI. */
  readonly fallback: TLSListenerEntry | null;
  /** Options of the server's default context (handshakes without SNI), or null with no usable certificate. */
  readonly defaultOptions: SecureContextOptions | null;
  /** Ask clients for a certificate: some listener validates client certificates. */
  readonly requestCert: boolean;
  /** Fail handshakes without a valid client certificate: every listener requires one. */
  readonly rejectUnauthorized: boolean;
  /** Certificates or options that could not be used, for the log. */
  readonly problems: readonly string[];
}

/** Secure contexts by content, so an apply that keeps a certificate reuses its context. */
const contextCache = new Map<string, { context: SecureContext; names: string[] }>();
const CONTEXT_CACHE_MAX = 1024;

function contextFor(options: SecureContextOptions): { context: SecureContext; names: string[] } {
  const key = createHash('sha256').update(JSON.stringify(options)).digest('hex');
  const hit = contextCache.get(key);
  if (hit !== undefined) {
    contextCache.delete(key); // refresh LRU position
    contextCache.set(key, hit);
    return hit;
  }
  const value = { context: tls.createSecureContext(options), names: certificateNames(String(options.cert)) };
  contextCache.set(key, value);
  if (contextCache.size > CONTEXT_CACHE_MAX) {
    const oldest = contextCache.keys().next().value;
    if (oldest !== undefined) contextCache.delete(oldest);
  }
  return value;
}

function buildListener(l: ir.Listener, ciphers: string, problems: string[]): TLSListenerEntry | null {
  const t = l.tls;
  if (t === null) return null;
  const certificates: TLSCertificateEntry[] = [];
  for (const c of t.certificates) {
    const options: SecureContextOptions = {
      cert: c.certPem,
      key: c.keyPem,
      minVersion: t.minVersion,
      ciphers,
      honorCipherOrder: true,
      ...(t.clientValidation !== null ? { ca: [...t.clientValidation.caPems] } : {}),
    };
    try {
      const { context, names } = contextFor(options);
      certificates.push({ name: c.name, names, context, options });
    } catch (err) {
      problems.push(`listener ${l.name}: certificate ${c.name} cannot be used: ${(err as Error).message}`);
    }
  }
  return { listener: l.name, hostname: l.hostname, certificates, clientValidation: t.clientValidation, minVersion: t.minVersion };
}

/** The cipher list of the server: the listeners' common `ciphers` option, else the default. */
function serverCiphers(s: ir.Server, problems: string[]): string {
  const lists = new Set<string>();
  for (const l of s.listeners) if (l.tls !== null && l.tls.ciphers !== null) lists.add(l.tls.ciphers);
  if (lists.size === 0) return DEFAULT_CIPHERS;
  const [only] = [...lists];
  if (lists.size > 1 || only === undefined) {
    problems.push(`server ${s.name}: listeners ask for different cipher lists; using the default`);
    return DEFAULT_CIPHERS;
  }
  try {
    tls.createSecureContext({ ciphers: only });
    return only;
  } catch (err) {
    problems.push(`server ${s.name}: cipher list "${only}" cannot be used (${(err as Error).message}); using the default`);
    return DEFAULT_CIPHERS;
  }
}

/** Compiles the TLS side of an HTTPS server. Never throws for bad certificate material. */
export function compileServerTLS(s: ir.Server): ServerTLS {
  const problems: string[] = [];
  const ciphers = serverCiphers(s, problems);
  const entries: { hostname: string | null; value: TLSListenerEntry }[] = [];
  for (const l of s.listeners) {
    const e = buildListener(l, ciphers, problems);
    if (e !== null) entries.push({ hostname: l.hostname, value: e });
  }
  const listeners = buildHostTable(entries);
  // No SNI: "the hostname-less listener's or the first certificate".
  const fallback = listeners.any ?? entries.find((e) => e.value.certificates.length > 0)?.value ?? null;
  const first = fallback?.certificates[0] ?? null;
  const validating = entries.filter((e) => e.value.clientValidation !== null);
  const minVersion = entries.some((e) => e.value.minVersion === 'TLSv1.2') || entries.length === 0 ? 'TLSv1.2' : 'TLSv1.3';
  return {
    listeners,
    fallback,
    defaultOptions: first === null ? null : { ...first.options, minVersion },
    requestCert: validating.length > 0,
    rejectUnauthorized:
      entries.length > 0 && entries.every((e) => e.value.clientValidation !== null && e.value.clientValidation.mode === 'AllowValidOnly'),
    problems,
  };
}

/** The listener a handshake with `servername` (false/undefined/'' when absent) belongs to. */
export function selectTLSListener(t: ServerTLS, servername: string | false | null | undefined): TLSListenerEntry | null {
  if (!servername) return t.fallback;
  return lookupHost(t.listeners, normalizeHost(servername));
}

/** The listener's certificate that best matches `servername` (its first one when none does). */
export function selectCertificate(entry: TLSListenerEntry, servername: string | false | null | undefined): TLSCertificateEntry | null {
  const certs = entry.certificates;
  if (certs.length === 0) return null;
  if (!servername || certs.length === 1) return certs[0] ?? null;
  const host = normalizeHost(servername);
  let best = certs[0] as TLSCertificateEntry;
  let bestScore = bestNameScore(best.names, host);
  for (let i = 1; i < certs.length; i++) {
    const c = certs[i] as TLSCertificateEntry;
    const score = bestNameScore(c.names, host);
    if (score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Whether a completed handshake may carry requests: the listener's client validation
 * (AllowValidOnly needs an authorized client certificate; AllowInsecureFallback takes anyone)
 * and minimum version, which a server-wide handshake cannot enforce per listener.
 */
export function admitConnection(entry: TLSListenerEntry | null, authorized: boolean, protocol: string | null): boolean {
  if (entry === null) return false;
  if (entry.clientValidation !== null && entry.clientValidation.mode === 'AllowValidOnly' && !authorized) return false;
  if (entry.minVersion === 'TLSv1.3' && protocol !== 'TLSv1.3') return false;
  return true;
}
