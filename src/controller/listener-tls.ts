/**
 * ir.ListenerTLS for Terminate listeners: the certificates resolved by certificates.ts, the
 * waygate options of `tls.options`, and (for HTTPS) the frontend client validation decided by
 * frontend-validation.ts. Also detects listeners whose TLS hostnames overlap on one port.
 *
 * "Options are a list of key/value pairs to enable extended TLS configuration for each
 * implementation. [...] A set of common keys MAY be defined by the API in the future. To avoid
 * any ambiguity, implementation-specific definitions MUST use domain-prefixed names, such as
 * `example.com/my-custom-option`. Un-prefixed names are reserved for key names defined by
 * Gateway API. Support: Implementation-specific" (ListenerTLSConfig.Options)
 *
 * waygate reads two keys (docs/tls.md) and ignores every other key:
 * - `waygate.dev/min-version`: `1.2` (default) or `1.3`;
 * - `waygate.dev/ciphers`: an OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are fixed).
 * A bad value of one of our keys makes the listener Accepted=False UnsupportedValue.
 */
import type * as ir from '../ir/types.js';
import type { ResolvedCertificate } from './certificates.js';

/** The option key for the lowest TLS version offered. */
export const OPTION_MIN_VERSION = 'waygate.dev/min-version';
/** The option key for the TLS 1.2 cipher list. */
export const OPTION_CIPHERS = 'waygate.dev/ciphers';

/** What the options of one listener decide. */
export interface ListenerTLSOptions {
  readonly minVersion: ir.ListenerTLS['minVersion'];
  readonly ciphers: string | null;
}

export type TLSOptionsResult =
  | { readonly ok: true; readonly options: ListenerTLSOptions }
  | { readonly ok: false; readonly message: string };

/** An OpenSSL cipher list: names, `!`/`-`/`+` prefixes, `@STRENGTH`, joined by `:` `,` or spaces. */
const CIPHER_LIST = /^[A-Za-z0-9_+\-!@=.]+(?:[:, ][A-Za-z0-9_+\-!@=.]+)*$/;

/** Reads the waygate keys of `tls.options`; other keys are ignored. */
export function parseListenerTLSOptions(options: Readonly<Record<string, string>> | undefined): TLSOptionsResult {
  let minVersion: ListenerTLSOptions['minVersion'] = 'TLSv1.2';
  let ciphers: string | null = null;
  const version = options?.[OPTION_MIN_VERSION];
  if (version !== undefined) {
    const v = version.trim();
    if (v === '1.2' || v === 'TLSv1.2') minVersion = 'TLSv1.2';
    else if (v === '1.3' || v === 'TLSv1.3') minVersion = 'TLSv1.3';
    else return { ok: false, message: `The tls.options key ${OPTION_MIN_VERSION} must be "1.2" or "1.3", not "${version}".` };
  }
  const list = options?.[OPTION_CIPHERS];
  if (list !== undefined) {
    const c = list.trim();
    if (c === '' || c.length > 2048 || !CIPHER_LIST.test(c)) {
      return { ok: false, message: `The tls.options key ${OPTION_CIPHERS} must be an OpenSSL cipher list such as "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256".` };
    }
    ciphers = c;
  }
  return { ok: true, options: { minVersion, ciphers } };
}

/** Builds the IR TLS settings of a Terminate listener. */
export function buildListenerTLS(
  certificates: readonly ResolvedCertificate[],
  options: ListenerTLSOptions,
  clientValidation: ir.ClientValidation | null,
): ir.ListenerTLS {
  return {
    certificates: certificates.map((c) => ({ name: c.secret, certPem: c.certPem, keyPem: c.keyPem })),
    clientValidation,
    minVersion: options.minVersion,
    ciphers: options.ciphers,
  };
}

/** Returns `tls` with its client validation replaced. */
export function withClientValidation(tls: ir.ListenerTLS, clientValidation: ir.ClientValidation | null): ir.ListenerTLS {
  return { ...tls, clientValidation };
}

/** A listener as overlap detection sees it. */
export interface TLSHostnameCandidate {
  readonly port: number;
  /** Lower-cased hostname, or '' for any. */
  readonly hostname: string;
}

/**
 * Indexes of the candidates whose hostnames overlap with another candidate's on the same port.
 *
 * "OverlappingTLSConfig [...] indicates that the hostname of this listener overlaps with the
 * hostname of another listener on the same port [...] e.g. `*.example.com` and
 * `foo.example.com`" — a connection for the narrower name could be coalesced onto the broader
 * listener's certificate, so both carry the condition. Listeners without a hostname are left
 * out: every other listener would overlap with them, which tells the user nothing.
 */
export function overlappingTLSHostnames(candidates: readonly TLSHostnameCandidate[]): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < candidates.length; i++) {
    for (let j = i + 1; j < candidates.length; j++) {
      const a = candidates[i]!;
      const b = candidates[j]!;
      if (a.port !== b.port || a.hostname === '' || b.hostname === '' || a.hostname === b.hostname) continue;
      if (covers(a.hostname, b.hostname) || covers(b.hostname, a.hostname)) {
        out.add(i);
        out.add(j);
      }
    }
  }
  return out;
}

/** True when wildcard `pattern` (`*.example.com`) matches `host` (exact or a narrower wildcard). */
function covers(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1);
  const h = host.startsWith('*.') ? host.slice(1) : host;
  return h.length > suffix.length && h.endsWith(suffix);
}
