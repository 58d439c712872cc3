/**
 * Stream credentials: a proxy authenticates with a per-Gateway token, HMAC-SHA256(key,
 * "ns/name"), so a token opens the config of its own Gateway only and the controller needs no
 * token store (every replica with the same key verifies every proxy).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The token of a Gateway (`ns/name`). */
export function streamToken(key: string | Buffer, gateway: string): string {
  return createHmac('sha256', key).update(gateway).digest('hex');
}

/** Constant-time check of a presented token. */
export function verifyStreamToken(key: string | Buffer, gateway: string, token: string): boolean {
  const want = Buffer.from(streamToken(key, gateway));
  const got = Buffer.from(token);
  return want.length === got.length && timingSafeEqual(want, got);
}
