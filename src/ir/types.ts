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
  /**
   * `<gateway ns>/<gateway name>/<address>:<port>`; UDP servers add `/udp` (a TCP and a UDP
   * server may share an address and port).
   */
  readonly name: string;
  /** `namespace/name` of the Gateway. */
  readonly gateway: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: ServerProtocol;
  /**
   * HTTP and HTTPS listeners on this socket, ordered most specific hostname first (exact, then
   * wildcards with more labels, then no hostname). A request is served only by the first
   * listener whose hostname matches its Host (listener isolation). For HTTPS the TLS SNI
   * selects the listener (and its certificate) the same way.
   */
  readonly listeners: readonly Listener[];
  /**
   * TLS (Passthrough or Terminate), TCP and UDP listeners on this socket, ordered like
   * `listeners` (for TLS, SNI selects the listener). Empty for HTTP/HTTPS servers.
   */
  readonly streamListeners: readonly StreamListener[];
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
  /** TLS termination settings for HTTPS listeners; null for HTTP. */
  readonly tls: ListenerTLS | null;
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

// ---------------------------------------------------------------- TLS

/** PEM material. Never logged; redacted in config dumps. */
export interface Certificate {
  /** `ns/name` of the Secret it came from. */
  readonly name: string;
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ListenerTLS {
  /** In certificateRefs order; the data plane picks the longest SNI match among them. */
  readonly certificates: readonly Certificate[];
  /** Frontend client-certificate validation (spec.tls.frontend), null when not configured. */
  readonly clientValidation: ClientValidation | null;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list for TLS 1.2, null for the secure default. */
  readonly ciphers: string | null;
}

export interface ClientValidation {
  /** Concatenated trusted CA certificates, PEM. */
  readonly caPems: readonly string[];
  readonly mode: 'AllowValidOnly' | 'AllowInsecureFallback';
}

// ---------------------------------------------------------------- L4

export interface StreamListener {
  /** Same naming as Listener.name. */
  readonly name: string;
  /** SNI hostname for TLS listeners; null for any (and always null for TCP/UDP). */
  readonly hostname: string | null;
  readonly port: number;
  /**
   * passthrough: route the raw TLS stream by the ClientHello's SNI; terminate: decrypt with
   * `tls` and forward the plaintext stream; tcp / udp: forward by port.
   */
  readonly mode: 'passthrough' | 'terminate' | 'tcp' | 'udp';
  readonly tls: ListenerTLS | null;
  /**
   * For TLS: routes ordered by precedence; the first whose hostnames match the SNI (exact, else
   * the longest wildcard; empty = any) serves. For TCP/UDP: the routes attached, oldest first;
   * only the first gets traffic.
   */
  readonly routes: readonly StreamRoute[];
}

export interface StreamRoute {
  /** `tlsroute/<ns>/<name>/rule/0` etc. */
  readonly name: string;
  readonly route: string;
  /** Effective hostnames (TLS only); empty = any. */
  readonly hostnames: readonly string[];
  /** Weighted; an `invalid` backend's share of connections is rejected. Empty = reject all. */
  readonly backends: readonly Backend[];
}

// ---------------------------------------------------------------- virtual hosts

export interface VirtualHost {
  /** `foo.example.com`, `*.example.com` or `*`. */
  readonly hostname: string;
  /**
   * Ordered by precedence; the first entry whose match holds serves the request. GRPCRoute
   * entries (their rule's kind) come first and are never merged with HTTPRoute entries: a gRPC
   * call (content-type application/grpc…) is matched against the GRPCRoute entries when there
   * are any, else against the HTTPRoute entries; any other request only against HTTPRoute ones.
   */
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
  /**
   * The route kind the rule came from. GRPCRoute rules answer errors the gRPC way (grpc-status
   * in trailers: no backend → UNAVAILABLE) and match on `/<service>/<method>` paths.
   */
  readonly kind: 'HTTPRoute' | 'GRPCRoute';
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

/**
 * How waygate talks to a backend, from the Service port's appProtocol: HTTP/1.1, HTTP/2 with
 * prior knowledge (`kubernetes.io/h2c`), WebSocket (`kubernetes.io/ws`), or HTTP/2 over TLS
 * (`kubernetes.io/h2` — or h2c/gRPC when a BackendTLSPolicy applies). Over `tls` when set.
 */
export type BackendProtocol = 'http1' | 'h2c' | 'ws' | 'h2';

/** TLS from the gateway to a backend (BackendTLSPolicy, spec.tls.backend). */
export interface BackendTLS {
  /** SNI, and the identity verified unless subjectAltNames are given. */
  readonly serverName: string;
  /** Trusted CAs, PEM; `system` for the platform's roots. */
  readonly caPems: readonly string[] | 'system';
  /** When non-empty, the only identities accepted (instead of serverName). */
  readonly subjectAltNames: readonly { readonly type: 'Hostname' | 'URI'; readonly value: string }[];
  /** The Gateway's client certificate (spec.tls.backend.clientCertificateRef), or null. */
  readonly clientCertificate: Certificate | null;
}

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
      /** TLS to the backend, or null for plaintext. */
      readonly tls: BackendTLS | null;
      /** Ready endpoints; empty means 503. */
      readonly endpoints: readonly Endpoint[];
      /** Backend-level filters, applied after the rule's when this backend is chosen. */
      readonly requestFilters: readonly RequestFilter[];
      readonly redirect: Redirect | null;
      readonly responseHeaders: HeaderModifier | null;
    }
  /** A backendRef that cannot be used (not found, not permitted, bad kind): its share gets `status`. */
  | { readonly kind: 'invalid'; readonly name: string; readonly weight: number; readonly status: number; readonly reason: string };
