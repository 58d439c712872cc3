/**
 * The IR: what the controller decides and the data plane serves.
 *
 * Plain, JSON-serialisable, versioned data: no classes, functions, Maps or undefined-vs-null
 * ambiguity (absent things are `null`). It is what travels to data plane processes, what the
 * golden tests compare and what `/config_dump` prints. The controller has already applied every
 * spec rule (attachment, hostname intersection, precedence, ReferenceGrants); the data plane
 * only compiles these lists into lookup structures and follows them.
 *
 * Import it as a namespace: `import type * as ir from '../ir/types.js'`.
 */

export const IR_VERSION = 1;

export interface Config {
  readonly version: typeof IR_VERSION;
  /** One entry per socket to listen on: a Gateway address and a port. Sorted by name. */
  readonly servers: readonly Server[];
}

/** Transport of a server socket. Only HTTP is served by the HTTP data plane for now. */
export type ServerProtocol = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP';

/**
 * A listening socket: every Accepted listener of one Gateway (and its ListenerSets) that shares
 * an address and port. Several Gateways never share a server: each has its own address.
 */
export interface Server {
  /** `<gateway ns>/<gateway name>/<address>:<port>` */
  readonly name: string;
  /** `namespace/name` of the Gateway. */
  readonly gateway: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: ServerProtocol;
  /**
   * Listeners on this socket, ordered most specific hostname first (exact, then wildcards with
   * more labels, then no hostname). A request is served only by the first listener whose
   * hostname matches its Host (listener isolation).
   */
  readonly listeners: readonly Listener[];
}

export interface Listener {
  /** `<ns>/<gateway>/<listener>` or `<ns>/<listenerset>/<listener>` for ListenerSet listeners. */
  readonly name: string;
  /** Listener hostname (`foo.example.com`, `*.example.com`) or null for any host. */
  readonly hostname: string | null;
  /** The listener's port, used for redirect port derivation. */
  readonly port: number;
  /** The scheme clients reach this listener with. */
  readonly scheme: 'http' | 'https';
  /** Every rule attached to this listener; virtual hosts point into this list by index. */
  readonly rules: readonly Rule[];
  /**
   * Virtual hosts by the hostnames routes effectively serve on this listener: exact hostnames
   * first, then wildcards longest first, then `*` (any host) last. A request uses the first
   * virtual host that matches its Host (ignoring the port): its exact name, else the longest
   * wildcard covering it, else `*`. Each virtual host's entries already merge the routes of
   * every broader hostname that also covers it, ordered by the spec's precedence.
   */
  readonly virtualHosts: readonly VirtualHost[];
}

export interface VirtualHost {
  /** `foo.example.com`, `*.example.com` or `*`. */
  readonly hostname: string;
  /** Ordered by precedence; the first entry whose match holds serves the request. */
  readonly entries: readonly RouteEntry[];
}

export interface RouteEntry {
  /** Index into the listener's `rules`. */
  readonly rule: number;
  readonly match: Match;
}

// ---------------------------------------------------------------- matching

export type PathMatch =
  | { readonly type: 'Exact'; readonly value: string }
  /** Element-wise prefix; value has no trailing slash except the root `/`. */
  | { readonly type: 'PathPrefix'; readonly value: string }
  | { readonly type: 'RegularExpression'; readonly value: string };

export interface ValueMatch {
  /** Lower-cased for headers; as written for query parameters. */
  readonly name: string;
  readonly type: 'Exact' | 'RegularExpression';
  readonly value: string;
}

export interface Match {
  readonly path: PathMatch;
  readonly method: string | null;
  readonly headers: readonly ValueMatch[];
  readonly queryParams: readonly ValueMatch[];
}

// ---------------------------------------------------------------- rules and filters

export interface Rule {
  /** `httproute/<ns>/<name>/rule/<i>` — stable across unrelated changes. */
  readonly name: string;
  /** `namespace/name` of the route, for logs and metrics. */
  readonly route: string;
  /** Optional rule name from `spec.rules[].name`. */
  readonly sectionName: string | null;
  /** Request filters in the order written (header modifiers, URL rewrite, redirect). */
  readonly requestFilters: readonly RequestFilter[];
  readonly responseHeaders: HeaderModifier | null;
  readonly cors: Cors | null;
  readonly mirrors: readonly Mirror[];
  readonly action: Action;
  readonly timeouts: Timeouts;
  readonly retry: Retry | null;
}

export type Action =
  /** Answer with a redirect; no backend is contacted. */
  | { readonly kind: 'redirect'; readonly redirect: Redirect }
  /** Answer directly with a status (no backendRefs at all: 500). */
  | { readonly kind: 'direct'; readonly status: number }
  /** Pick a backend by weight and forward. Weights are > 0; an empty list is a 500. */
  | { readonly kind: 'forward'; readonly backends: readonly Backend[] };

export interface HeaderModifier {
  /** Lower-cased names. */
  readonly set: readonly { readonly name: string; readonly value: string }[];
  readonly add: readonly { readonly name: string; readonly value: string }[];
  readonly remove: readonly string[];
}

export type PathRewrite =
  | { readonly type: 'ReplaceFullPath'; readonly value: string }
  /** Replace the matched prefix (`prefix`, from the rule's PathPrefix match) with `value`. */
  | { readonly type: 'ReplacePrefixMatch'; readonly prefix: string; readonly value: string };

export type RequestFilter =
  | { readonly type: 'RequestHeaderModifier'; readonly headers: HeaderModifier }
  | { readonly type: 'URLRewrite'; readonly hostname: string | null; readonly path: PathRewrite | null };

export interface Redirect {
  readonly scheme: 'http' | 'https' | null;
  readonly hostname: string | null;
  /** null: derive from scheme or the listener port, per the spec. */
  readonly port: number | null;
  readonly path: PathRewrite | null;
  readonly statusCode: number;
}

export interface Cors {
  /** Exact origins (`https://a.example.com`), patterns with `*`, or `*` alone. */
  readonly allowOrigins: readonly string[];
  readonly allowCredentials: boolean;
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAge: number;
}

export interface Mirror {
  readonly backend: Backend;
  /** 0..1 share of requests mirrored. */
  readonly fraction: number;
}

export interface Timeouts {
  /** Whole request, ms; null for none. */
  readonly requestMs: number | null;
  /** Each backend attempt, ms; null for none. */
  readonly backendRequestMs: number | null;
}

export interface Retry {
  readonly codes: readonly number[];
  /** Maximum number of retries after the first attempt. */
  readonly attempts: number;
  readonly backoffMs: number;
}

// ---------------------------------------------------------------- backends

/** How waygate talks to a backend, from the Service port's appProtocol. */
export type BackendProtocol = 'http1' | 'h2c' | 'ws';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export type Backend =
  | {
      readonly kind: 'service';
      /** `<ns>/<service>:<port>` */
      readonly name: string;
      readonly weight: number;
      readonly protocol: BackendProtocol;
      /** Ready endpoints; empty means 503. */
      readonly endpoints: readonly Endpoint[];
      /** Backend-level filters, applied after the rule's when this backend is chosen. */
      readonly requestFilters: readonly RequestFilter[];
      readonly redirect: Redirect | null;
      readonly responseHeaders: HeaderModifier | null;
    }
  /** A backendRef that cannot be used (not found, not permitted, bad kind): its share gets `status`. */
  | { readonly kind: 'invalid'; readonly name: string; readonly weight: number; readonly status: number; readonly reason: string };
