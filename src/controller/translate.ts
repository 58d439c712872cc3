/**
 * translate(): the controller. Pure, synchronous, deterministic — no I/O, clock or randomness.
 *
 *   translate(snapshot, options) → { statuses, ir, issues }
 *
 * Bad user input becomes status conditions and omissions from the IR; it never throws.
 * (Placeholder: the real stages land with the controller.)
 */
import type { Snapshot } from '../source/snapshot.js';
import type * as ir from '../ir/types.js';

export interface TranslateOptions {
  /** Our GatewayClass controllerName, e.g. `waygate.dev/gateway-controller`. */
  readonly controllerName: string;
  /** RFC 3339 timestamp used as lastTransitionTime for conditions written in this pass. */
  readonly now: string;
  readonly addresses: AddressOptions;
}

export interface AddressOptions {
  /** IPs handed out, in order, to Gateways that request none (or a type without a value). */
  readonly pool: readonly string[];
  /** Addresses each Gateway (`ns/name`) had after the previous pass, so it keeps them. */
  readonly assigned: Readonly<Record<string, readonly string[]>>;
  /** IPs this host can bind (a static address outside it is not usable). */
  readonly isUsable: (ip: string) => boolean;
}

/** The status one object should have, as the API would store it. */
export interface StatusUpdate {
  readonly kind: string;
  readonly namespace: string | null;
  readonly name: string;
  readonly generation: number;
  readonly status: Record<string, unknown>;
}

export interface TranslateResult {
  /** Only objects we own (our GatewayClasses, their Gateways, routes attached to them). */
  readonly statuses: readonly StatusUpdate[];
  readonly ir: ir.Config;
  /** The addresses assigned to each Gateway (`ns/name`), to pass back in the next pass. */
  readonly assigned: Readonly<Record<string, readonly string[]>>;
}

export function translate(_snapshot: Snapshot, _options: TranslateOptions): TranslateResult {
  return { statuses: [], ir: { version: 1, servers: [] }, assigned: {} };
}
