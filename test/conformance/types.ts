/**
 * The shape of /work/shared/conformance/expectations.json (see its README). Fields the runner
 * does not interpret are kept as `unknown`.
 */

/** A condition expectation; absent status/reason match anything. */
export interface ExpectedCondition {
  type: string;
  status?: string;
  reason?: string;
}

/** One `statusChecks[]` entry. */
export interface StatusCheck {
  kind: string;
  check: string;
  namespace?: string;
  name?: string;
  phase?: string;
  subtest?: string;
  detail?: string;
  conditions?: ExpectedCondition[];
  parentRef?: { group?: string; kind?: string; namespace?: string; name: string; sectionName?: string; port?: number };
  ancestorRef?: { group?: string; kind?: string; namespace?: string; name: string };
  controllerName?: string;
  parentNamespaceRequired?: boolean;
  listeners?: 'all' | string[] | ExpectedListener[];
  namespaces?: string[];
  attachedListenerSets?: number;
  [key: string]: unknown;
}

/** A listener expectation of `listenersStatus`. */
export interface ExpectedListener {
  name: string;
  supportedKinds?: Array<{ group?: string; kind: string }>;
  attachedRoutes?: number;
  conditions?: ExpectedCondition[];
}

/** Which Gateway (and port) a request goes to. */
export interface GatewayRef {
  namespace: string;
  name: string;
  listener?: string;
  port?: number;
}

/** The request half of a `requests[]` entry. */
export interface RequestSpec {
  host?: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  scheme?: string;
  sni?: string;
  protocol?: string;
  unfollowRedirect?: boolean;
  addRequestIdQuery?: boolean;
  placeholders?: Record<string, string>;
  backendSetResponseHeaders?: Record<string, string>;
  serverCertificate?: string;
  clientCertificate?: string;
  trustedCA?: string;
  origin?: string;
  subprotocol?: string;
  frames?: WsFrame[];
  [key: string]: unknown;
}

/** A WebSocket frame in an expectation. */
export interface WsFrame {
  type: 'text' | 'binary';
  data: string | number[];
}

/** What the backend must have received. */
export interface ExpectedRequest {
  path?: string;
  host?: string;
  method?: string;
  headers?: Record<string, string>;
  absentHeaders?: string[];
  sni?: string;
  [key: string]: unknown;
}

/** The expectation half of a `requests[]` entry. */
export interface ExpectSpec {
  status?: number | number[];
  backend?: string;
  namespace?: string;
  request?: ExpectedRequest;
  response?: {
    headers?: Record<string, string>;
    absentHeaders?: string[];
    validHeaderValues?: Record<string, string[]>;
    ignoreWhitespace?: boolean;
  };
  redirect?: { scheme?: string; host?: string; port?: number | string; path?: string };
  failure?: 'non-200' | 'request-error' | 'connection-rejected' | 'grpc-non-OK';
  weights?: Record<string, number>;
  distribution?: { totalRequests: number; tolerance: number; maxAttempts: number; concurrency?: number };
  mirroredTo?: Array<{ name: string; namespace: string; percent?: number }>;
  mirrorDistribution?: {
    mirrorBackend: string;
    namespace: string;
    totalRequests: number;
    concurrency: number;
    acceptRange: [number, number];
    maxAttempts: number;
  };
  clientCertificateRequested?: boolean;
  echoedFrames?: WsFrame[];
  [key: string]: unknown;
}

/** One `requests[]` entry. */
export interface RequestCase {
  name?: string;
  request: RequestSpec;
  expect: ExpectSpec;
  gateway?: GatewayRef;
  phase?: string;
  subtest?: string;
}

/** One conformance test. */
export interface ConformanceTest {
  shortName: string;
  source: string;
  description: string;
  features: string[];
  provisional: boolean;
  parallel: boolean;
  manifests: string[];
  gateway: GatewayRef | null;
  statusChecks: StatusCheck[];
  requests: RequestCase[];
  steps: string;
  skipIfSupportedFeature?: string;
  skipUnlessSupportedFeature?: string;
}
