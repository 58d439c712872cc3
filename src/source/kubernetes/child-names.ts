/**
 * Names of the objects provisioned for a Gateway. Gateway names may be 253 characters long and
 * start with a digit, but a Service name must be a DNS-1035 label (63 characters, starting with
 * a letter) and label values are limited to 63 characters: longer names are truncated and a
 * hash of the full name keeps them unique.
 */
import { createHash } from 'node:crypto';

function hash8(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** Fits `text` into `max` characters, truncating and appending a hash when needed. */
export function fitName(text: string, max = 63): string {
  const clean = text.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  if (clean.length <= max && clean === text) return clean;
  if (clean.length <= max) return `${clean.slice(0, max - 9).replace(/-+$/, '')}-${hash8(text)}`.slice(0, max);
  return `${clean.slice(0, max - 9).replace(/-+$/, '')}-${hash8(text)}`;
}

/** The name of the Deployment, Service and ServiceAccount of a Gateway. */
export function childName(gatewayName: string): string {
  return fitName(`waygate-${gatewayName}`);
}

/** A label value naming the Gateway (its name when it fits). */
export function labelValue(name: string): string {
  return name.length <= 63 ? name : fitName(name);
}
