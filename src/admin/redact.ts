/**
 * Redaction for anything the admin endpoint or the CLI prints: private keys and other secret
 * material never leave the process.
 */

/** Field names whose values are always replaced. */
const SECRET_FIELD = /^(key|keys|privatekey|private_key|keypem|password|passphrase|token|secret|secrets|data|stringdata)$/i;
/** PEM blocks of private keys, wherever they appear. */
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** The value printed instead of a secret. */
export const REDACTED = '[redacted]';

/**
 * Returns a deep copy of a JSON value with secret fields and private-key PEM strings replaced
 * by `[redacted]`. Public certificates are kept.
 */
export function redactSecrets(value: unknown): unknown {
  if (typeof value === 'string') return PRIVATE_KEY_PEM.test(value) ? REDACTED : value;
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_FIELD.test(k) && v !== null ? REDACTED : redactSecrets(v);
    }
    return out;
  }
  return value;
}
