/**
 * ir.ListenerTLS for Terminate listeners: the certificates resolved by certificates.ts, the
 * waygate options of `tls.options`, and (for HTTPS) the frontend client validation decided by
 * frontend-validation.ts.
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
 *
 * Also: OverlappingTLSConfig on HTTPS listeners whose hostnames overlap on one port.
 */
import type * as ir from '../ir/types.js';
import type { ResolvedCertificate } from './certificates.js';
import type { ListenerNode } from './model.js';

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

/**
 * Sets OverlappingTLSConfig on the accepted HTTPS listeners of one Gateway's merged listener set
 * whose hostnames overlap with another's on the same port.
 *
 * "Controllers MUST detect the presence of overlapping hostnames and MAY detect the presence of
 * overlapping certificates. This condition MUST be set on all Listeners with overlapping TLS
 * config. [...] This is a negative polarity condition and MUST NOT be set when it is False."
 * (ListenerConditionOverlappingTLSConfig, reason OverlappingHostnames). Two hostnames overlap
 * when one covers a name the other covers too: a wildcard and a name under it, or a listener
 * without hostname (any name) and any other listener. Such connections may be coalesced by
 * HTTP/2 clients, which the data plane answers with 421 (docs/tls.md).
 */
export function markOverlappingTLSHostnames(listeners: readonly ListenerNode[]): void {
  const https = listeners.filter((l) => l.accepted && l.listener.protocol === 'HTTPS');
  const hostOf = (l: ListenerNode): string => (l.listener.hostname ?? '').toLowerCase();
  for (const l of https) {
    const others = https.filter((o) => o !== l && o.listener.port === l.listener.port && overlaps(hostOf(l), hostOf(o)));
    if (others.length === 0) continue;
    const names = others.map((o) => `${o.listener.name} (${o.listener.hostname ?? 'any hostname'})`).join(', ');
    l.conditions.push({
      type: 'OverlappingTLSConfig',
      status: 'True',
      reason: 'OverlappingHostnames',
      message: `The hostname ${l.listener.hostname ?? '(any)'} overlaps on port ${l.listener.port} with ${others.length === 1 ? 'listener' : 'listeners'} ${names}; a request whose Host selects another listener than its TLS SNI did is answered 421 Misdirected Request.`,
    });
  }
}

/** True when two distinct listener hostnames ('' = any) can both match one request name. */
export function overlaps(a: string, b: string): boolean {
  if (a === b) return false; // identical hostnames are a conflict, not an overlap
  if (a === '' || b === '') return true;
  return covers(a, b) || covers(b, a);
}

/** True when wildcard `pattern` (`*.example.com`) matches `host` (a name or a narrower wildcard). */
function covers(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1);
  const h = host.startsWith('*.') ? host.slice(1) : host;
  return h.length > suffix.length && h.endsWith(suffix);
}
