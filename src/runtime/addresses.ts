/**
 * Gateway addresses in standalone mode: the pool Gateways without spec.addresses draw from,
 * and which IPs this host can actually bind.
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** The pool used when `--address-pool` is not given: 127.0.1.1 … 127.0.1.254. */
export const DEFAULT_ADDRESS_POOL = '127.0.1.0/24';

/** Refuse pools larger than this many addresses (a typo such as /8 would allocate millions). */
const MAX_POOL_SIZE = 65536;

/**
 * Parses `--address-pool`: an IPv4 CIDR (`127.0.1.0/24`, network and broadcast addresses left
 * out for prefixes up to /30) or a comma-separated list of IPs (IPv4 or IPv6), in order.
 * Throws an Error with a readable message on bad input.
 */
export function parseAddressPool(spec: string): string[] {
  const text = spec.trim();
  if (text === '') throw new Error('address pool is empty');
  if (text.includes('/')) return expandCidr(text);
  const out: string[] = [];
  for (const part of text.split(',')) {
    const ip = part.trim();
    if (ip === '') continue;
    if (isIP(ip) === 0) throw new Error(`address pool entry ${JSON.stringify(ip)} is not an IP address`);
    if (!out.includes(ip)) out.push(ip);
  }
  if (out.length === 0) throw new Error('address pool is empty');
  return out;
}

function expandCidr(cidr: string): string[] {
  const [base, bitsText, ...rest] = cidr.split('/');
  if (base === undefined || bitsText === undefined || rest.length > 0 || !/^\d{1,3}$/.test(bitsText)) {
    throw new Error(`address pool ${JSON.stringify(cidr)} is not a CIDR such as 127.0.1.0/24`);
  }
  if (isIP(base) !== 4) throw new Error(`address pool ${JSON.stringify(cidr)}: only IPv4 CIDRs are supported (list IPv6 addresses with commas)`);
  const bits = Number(bitsText);
  if (bits > 32) throw new Error(`address pool ${JSON.stringify(cidr)}: prefix length must be at most 32`);
  const size = 2 ** (32 - bits);
  if (size > MAX_POOL_SIZE) throw new Error(`address pool ${JSON.stringify(cidr)} is too large (at most ${MAX_POOL_SIZE} addresses)`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const network = (ipv4ToInt(base) & mask) >>> 0;
  // Network and broadcast addresses are not host addresses, except in /31 and /32.
  const first = bits <= 30 ? 1 : 0;
  const last = bits <= 30 ? size - 2 : size - 1;
  const out: string[] = [];
  for (let i = first; i <= last; i++) out.push(intToIpv4(network + i));
  return out;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** IPs assigned to this host's interfaces, read once per call. */
export function localInterfaceAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) out.add(info.address);
  }
  return out;
}

/**
 * True when this host can bind `ip`: any address in 127.0.0.0/8 (Linux routes the whole block
 * to loopback), `::1`, or an address assigned to a local interface. `local` is only asked for
 * other addresses (reading the interfaces costs ~0.1 ms, a tenth of a one-route config pass).
 */
export function isBindableAddress(ip: string, local: () => ReadonlySet<string>): boolean {
  const family = isIP(ip);
  if (family === 4) return ip.startsWith('127.') || local().has(ip);
  if (family === 6) return ip === '::1' || local().has(ip);
  return false;
}
