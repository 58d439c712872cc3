/**
 * Compiled routing tables: what `compileServer` builds from one `ir.Server` at apply time and
 * what every request of that server walks. Plain objects of fixed shape (null, not missing).
 */
import type * as ir from '../../ir/types.js';
import type { CompiledCors } from '../filters/cors.js';
import type { ServerTLS } from '../tls/server-tls.js';

/** Path match kinds as small integers for a cheap switch. */
export const PATH_EXACT = 0;
export const PATH_PREFIX = 1;
export const PATH_REGEX = 2;

export interface CompiledValueMatch {
  readonly name: string;
  /** Exact value, or null when `regex` is used. */
  readonly exact: string | null;
  readonly regex: RegExp | null;
}

export interface CompiledMatch {
  readonly pathKind: typeof PATH_EXACT | typeof PATH_PREFIX | typeof PATH_REGEX;
  /** Exact path, or the prefix without trailing slash (`''` for the root prefix). */
  readonly pathValue: string;
  readonly pathRegex: RegExp | null;
  readonly method: string | null;
  readonly headers: readonly CompiledValueMatch[];
  readonly queryParams: readonly CompiledValueMatch[];
}

export interface CompiledEntry {
  readonly rule: CompiledRule;
  readonly match: CompiledMatch;
}

export interface CompiledVirtualHost {
  readonly hostname: string;
  /** HTTPRoute entries, in IR order: every request that is not gRPC is matched here. */
  readonly entries: readonly CompiledEntry[];
  /**
   * GRPCRoute entries, in IR order: gRPC requests are matched here when there are any (and
   * then only here); otherwise against `entries`. The two kinds are never merged.
   */
  readonly grpcEntries: readonly CompiledEntry[];
}

/** A wildcard hostname compiled to its suffix: `*.example.com` → `.example.com`. */
export interface WildcardSlot<T> {
  readonly suffix: string;
  readonly value: T;
}

/** In an edited table's `recent` names: a name removed since `exact` was built. */
export const REMOVED: unique symbol = Symbol('removed');
export type Removed = typeof REMOVED;

/**
 * Exact names, wildcard suffixes longest first, then the catch-all. A table edited from an
 * earlier one (host-table.ts `HostTableEdit`) shares that table's `exact` record and lists the
 * exact names changed since in `recent`, which is consulted first; null when there are none.
 */
export interface HostTable<T> {
  /** Null-prototype records (a host looks up faster in them than in a Map). */
  readonly exact: Readonly<Record<string, T>>;
  readonly recent: Readonly<Record<string, T | Removed>> | null;
  readonly wildcards: readonly WildcardSlot<T>[];
  readonly any: T | null;
}

export interface CompiledListener {
  readonly name: string;
  readonly hostname: string | null;
  readonly port: number;
  readonly scheme: 'http' | 'https';
  readonly vhosts: HostTable<CompiledVirtualHost>;
  /**
   * The upstream pool keys the listener's rules use, each with the number of rules using it
   * (so an edit can count instead of walking every rule); the data plane keeps these pools.
   */
  readonly endpoints: ReadonlyMap<string, number>;
}

export interface CompiledServer {
  readonly name: string;
  readonly gateway: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: ir.ServerProtocol;
  readonly listeners: HostTable<CompiledListener>;
  /** Certificates and handshake settings of an HTTPS server (tls/server-tls.ts); absent for HTTP. */
  readonly tls?: ServerTLS | null;
}

/** A service backend with its round-robin cursor (the only mutable field). */
export interface CompiledServiceBackend {
  readonly kind: 'service';
  readonly name: string;
  readonly protocol: ir.BackendProtocol;
  /** TLS to the backend (BackendTLSPolicy), null for plaintext. */
  readonly tls: ir.BackendTLS | null;
  readonly endpoints: readonly ir.Endpoint[];
  readonly requestFilters: readonly ir.RequestFilter[];
  readonly redirect: ir.Redirect | null;
  readonly responseHeaders: ir.HeaderModifier | null;
  /** Next endpoint index for round-robin. */
  cursor: number;
}

export interface CompiledInvalidBackend {
  readonly kind: 'invalid';
  readonly name: string;
  readonly status: number;
  readonly reason: string;
}

export type CompiledBackend = CompiledServiceBackend | CompiledInvalidBackend;

export type CompiledAction =
  | { readonly kind: 'redirect'; readonly redirect: ir.Redirect }
  | { readonly kind: 'direct'; readonly status: number }
  | {
      readonly kind: 'forward';
      readonly backends: readonly CompiledBackend[];
      /** cumulative[i] = sum of weights of backends 0..i. */
      readonly cumulative: readonly number[];
      readonly totalWeight: number;
    };

export interface CompiledMirror {
  readonly backend: CompiledBackend;
  readonly fraction: number;
}

export interface CompiledRule {
  readonly name: string;
  /** GRPCRoute rules answer gateway-made errors the gRPC way (grpc/status.ts). */
  readonly kind: ir.Rule['kind'];
  readonly route: string;
  readonly requestFilters: readonly ir.RequestFilter[];
  readonly responseHeaders: ir.HeaderModifier | null;
  readonly cors: CompiledCors | null;
  readonly mirrors: readonly CompiledMirror[];
  readonly action: CompiledAction;
  readonly timeouts: ir.Timeouts;
  readonly retry: ir.Retry | null;
}
