/**
 * Gateway addresses: validating `spec.addresses` and assigning addresses from the pool.
 *
 * "The implementation MUST bind all Listeners to every GatewayAddress that it assigns to the
 * Gateway and add a corresponding entry in GatewayStatus.Addresses." (GatewaySpec.Addresses)
 * Every Gateway gets its own addresses: one address is never given to two Gateways, so several
 * Gateways can use the same port.
 */
import type * as api from '../api/types.js';
import { isIPAddress } from '../api/ip-syntax.js';
import type { ConditionSpec } from './model.js';
import type { AddressOptions } from './translate.js';
import { gatewayAddressNotAssigned, gatewayAddressNotUsable } from './conditions.js';

/**
 * Returns why the Gateway's spec.addresses cannot be accepted, or null.
 *
 * "UnsupportedAddress: the Gateway could not be accepted because an address that was provided
 * is a type which is not supported by the implementation." waygate supports IPAddress only
 * (Hostname, NamedAddress and domain-prefixed types are not); an IPAddress value that is not an
 * IP is reported the same way (the CRD schema normally rejects it first).
 */
export function validateSpecAddresses(gateway: api.Gateway): string | null {
  const addresses = gateway.spec.addresses ?? [];
  for (let i = 0; i < addresses.length; i++) {
    const a = addresses[i]!;
    const type = a.type ?? 'IPAddress';
    if (type !== 'IPAddress') {
      return `Address spec.addresses[${i}] has type ${type}; only IPAddress is supported.`;
    }
    if (a.value !== undefined && a.value !== '' && !isIPAddress(a.value)) {
      return `Address spec.addresses[${i}] value ${JSON.stringify(a.value)} is not an IP address.`;
    }
  }
  return null;
}

/** The outcome for one Gateway. */
export interface AddressAssignment {
  /** Addresses the Gateway is served on (empty when `problem` is set). */
  readonly addresses: readonly string[];
  /** Programmed=False AddressNotUsable / AddressNotAssigned, or null. */
  readonly problem: ConditionSpec | null;
}

export interface AddressResult {
  readonly byGateway: ReadonlyMap<string, AddressAssignment>;
  /** Pool addresses each Gateway holds, to pass back as `options.assigned` next pass. */
  readonly assigned: Record<string, readonly string[]>;
}

interface Request {
  readonly key: string;
  /** Spec order: a static value, or null for "assign one from the pool". */
  readonly slots: readonly (string | null)[];
}

/**
 * Assigns addresses to Gateways (in precedence order, oldest first). Static values are claimed
 * first, so a pool address never lands on a Gateway that names it statically elsewhere; then
 * each Gateway keeps the pool addresses it held in the previous pass while they are still
 * valid; then the remaining requests draw from the pool in order.
 *
 * - a static address that is not usable, or already claimed by an older Gateway →
 *   Programmed=False AddressNotUsable ("a provided static address can't be used; the address
 *   is already in use")
 * - "If an implementation does not support an empty value, they MUST set the "Programmed"
 *   condition in status to False with a reason of "AddressNotAssigned"": we do support it, and
 *   use that reason when the pool is exhausted.
 */
export function assignAddresses(gateways: readonly { key: string; gateway: api.Gateway }[], options: AddressOptions): AddressResult {
  const requests: Request[] = gateways.map(({ key, gateway }) => {
    const spec = gateway.spec.addresses ?? [];
    const slots = spec.length === 0 ? [null] : spec.map((a) => (a.value ? canonicalIP(a.value) : null));
    return { key, slots };
  });
  const claimed = new Map<string, string>(); // ip → gateway key
  const problems = new Map<string, ConditionSpec>();

  // A Gateway with an unusable static address is not programmed and claims nothing, so it never
  // blocks another Gateway; the others claim their static addresses whole, oldest first.
  for (const r of requests) {
    const bad = r.slots.find((ip) => ip !== null && !options.isUsable(ip));
    if (bad) problems.set(r.key, gatewayAddressNotUsable(`Address ${bad} cannot be bound on this host; use an address of a local interface or remove it from spec.addresses.`));
  }
  for (const r of requests) {
    if (problems.has(r.key)) continue;
    const statics = r.slots.filter((ip): ip is string => ip !== null);
    const taken = statics.find((ip) => claimed.has(ip));
    if (taken !== undefined) {
      problems.set(r.key, gatewayAddressNotUsable(`Address ${taken} is already used by Gateway ${claimed.get(taken)}; each Gateway needs addresses of its own.`));
      continue;
    }
    for (const ip of statics) claimed.set(ip, r.key);
  }

  const pool = options.pool.map(canonicalIP);
  const picks = new Map<string, string[]>();
  const usableFree = (ip: string): boolean => !claimed.has(ip) && options.isUsable(ip);
  // Keep last pass's pool addresses first, so an older Gateway needing a fresh address never
  // takes one a newer Gateway already holds.
  for (const r of requests) {
    if (problems.has(r.key)) continue;
    const need = r.slots.filter((s) => s === null).length;
    const kept: string[] = [];
    for (const ip of (options.assigned[r.key] ?? []).map(canonicalIP)) {
      if (kept.length >= need) break;
      if (pool.includes(ip) && !kept.includes(ip) && usableFree(ip)) {
        kept.push(ip);
        claimed.set(ip, r.key);
      }
    }
    picks.set(r.key, kept);
  }
  for (const r of requests) {
    if (problems.has(r.key)) continue;
    const need = r.slots.filter((s) => s === null).length;
    const got = picks.get(r.key) ?? [];
    for (const ip of pool) {
      if (got.length >= need) break;
      if (!got.includes(ip) && usableFree(ip)) {
        got.push(ip);
        claimed.set(ip, r.key);
      }
    }
    if (got.length < need) {
      for (const ip of got) claimed.delete(ip);
      picks.delete(r.key);
      problems.set(r.key, gatewayAddressNotAssigned('No address is left in the address pool for this Gateway.'));
    } else {
      picks.set(r.key, got);
    }
  }

  const byGateway = new Map<string, AddressAssignment>();
  const assigned: Record<string, readonly string[]> = {};
  for (const r of requests) {
    const problem = problems.get(r.key);
    if (problem) {
      byGateway.set(r.key, { addresses: [], problem });
      continue;
    }
    const fromPool = [...(picks.get(r.key) ?? [])];
    if (fromPool.length > 0) assigned[r.key] = [...fromPool];
    const addresses: string[] = [];
    for (const slot of r.slots) {
      const ip = slot ?? fromPool.shift();
      if (ip !== undefined && !addresses.includes(ip)) addresses.push(ip);
    }
    byGateway.set(r.key, { addresses, problem: null });
  }
  return { byGateway, assigned };
}

/** IPv6 addresses compare lower-cased; IPv4 as written. */
function canonicalIP(ip: string): string {
  return ip.includes(':') ? ip.toLowerCase() : ip;
}
