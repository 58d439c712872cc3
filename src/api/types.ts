/**
 * Gateway API and core Kubernetes types, spelled as the specification spells them.
 *
 * Only the fields waygate reads are typed; everything arrives already validated against the
 * official CRD schemas and defaulted (see ./schema.ts and ./defaults.ts), so fields the API
 * server would default are typed as present where the schema gives them a default.
 */

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const CORE_GROUP = '';

/** Kubernetes object metadata, the part we use. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

// ---------------------------------------------------------------- shared

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface BackendObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
}

export interface BackendRef extends BackendObjectReference {
  weight?: number;
}

export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export interface LocalObjectReference {
  group: string;
  kind: string;
  name: string;
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface RouteStatus {
  parents: RouteParentStatus[];
}

// ---------------------------------------------------------------- GatewayClass

export interface ParametersReference {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface GatewayClass extends KubeObject {
  kind: 'GatewayClass';
  spec: {
    controllerName: string;
    parametersRef?: ParametersReference;
    description?: string;
  };
  status?: {
    conditions?: Condition[];
    supportedFeatures?: { name: string }[];
  };
}

// ---------------------------------------------------------------- Gateway

export type ProtocolType = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP' | string;

export interface RouteGroupKind {
  group?: string;
  kind: string;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface AllowedRoutes {
  namespaces?: { from?: 'All' | 'Same' | 'Selector' | string; selector?: LabelSelector };
  kinds?: RouteGroupKind[];
}

export interface ListenerTLSConfig {
  mode?: 'Terminate' | 'Passthrough' | string;
  certificateRefs?: SecretObjectReference[];
  options?: Record<string, string>;
}

export interface Listener {
  name: string;
  hostname?: string;
  port: number;
  protocol: ProtocolType;
  tls?: ListenerTLSConfig;
  allowedRoutes?: AllowedRoutes;
}

export interface GatewaySpecAddress {
  type?: 'IPAddress' | 'Hostname' | 'NamedAddress' | string;
  value?: string;
}

export interface FrontendTLSValidation {
  caCertificateRefs?: SecretObjectReference[];
  mode?: 'AllowValidOnly' | 'AllowInsecureFallback' | string;
}

export interface GatewayTLSConfig {
  backend?: { clientCertificateRef?: SecretObjectReference };
  frontend?: {
    default?: { validation?: FrontendTLSValidation };
    perPort?: { port: number; tls: { validation?: FrontendTLSValidation } }[];
  };
}

export interface Gateway extends KubeObject {
  kind: 'Gateway';
  spec: {
    gatewayClassName: string;
    listeners: Listener[];
    addresses?: GatewaySpecAddress[];
    infrastructure?: {
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
      parametersRef?: { group: string; kind: string; name: string };
    };
    allowedListeners?: { namespaces?: { from?: 'All' | 'Same' | 'Selector' | 'None' | string; selector?: LabelSelector } };
    tls?: GatewayTLSConfig;
  };
  status?: GatewayStatus;
}

export interface ListenerStatus {
  name: string;
  supportedKinds: RouteGroupKind[];
  attachedRoutes: number;
  conditions: Condition[];
}

export interface GatewayStatus {
  addresses?: { type: string; value: string }[];
  conditions?: Condition[];
  listeners?: ListenerStatus[];
  attachedListenerSets?: number;
}

// ---------------------------------------------------------------- ListenerSet

export interface ListenerSet extends KubeObject {
  kind: 'ListenerSet';
  spec: {
    parentRef: { group?: string; kind?: string; name: string; namespace?: string };
    listeners: Listener[];
  };
  status?: { conditions?: Condition[]; listeners?: ListenerStatus[] };
}

// ---------------------------------------------------------------- HTTPRoute

export interface HTTPPathMatch {
  type?: 'Exact' | 'PathPrefix' | 'RegularExpression' | string;
  value?: string;
}

export interface HTTPHeaderMatch {
  type?: 'Exact' | 'RegularExpression' | string;
  name: string;
  value: string;
}

export interface HTTPRouteMatch {
  path?: HTTPPathMatch;
  headers?: HTTPHeaderMatch[];
  queryParams?: HTTPHeaderMatch[];
  method?: string;
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HTTPHeaderFilter {
  set?: HTTPHeader[];
  add?: HTTPHeader[];
  remove?: string[];
}

export interface HTTPPathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch' | string;
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

export interface HTTPRequestRedirectFilter {
  scheme?: string;
  hostname?: string;
  path?: HTTPPathModifier;
  port?: number;
  statusCode?: number;
}

export interface HTTPURLRewriteFilter {
  hostname?: string;
  path?: HTTPPathModifier;
}

export interface HTTPRequestMirrorFilter {
  backendRef: BackendObjectReference;
  percent?: number;
  fraction?: { numerator: number; denominator?: number };
}

export interface HTTPCORSFilter {
  allowOrigins?: string[];
  allowCredentials?: boolean;
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: number;
}

export interface HTTPRouteFilter {
  type: string;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestMirror?: HTTPRequestMirrorFilter;
  requestRedirect?: HTTPRequestRedirectFilter;
  urlRewrite?: HTTPURLRewriteFilter;
  cors?: HTTPCORSFilter;
  extensionRef?: LocalObjectReference;
}

export interface HTTPBackendRef extends BackendRef {
  filters?: HTTPRouteFilter[];
}

export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  timeouts?: { request?: string; backendRequest?: string };
  retry?: { codes?: number[]; attempts?: number; backoff?: string };
  sessionPersistence?: unknown;
}

export interface HTTPRoute extends KubeObject {
  kind: 'HTTPRoute';
  spec: {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    rules?: HTTPRouteRule[];
  };
  status?: RouteStatus;
}

// ---------------------------------------------------------------- ReferenceGrant

export interface ReferenceGrant extends KubeObject {
  kind: 'ReferenceGrant';
  spec: {
    from: { group: string; kind: string; namespace: string }[];
    to: { group: string; kind: string; name?: string }[];
  };
}

// ---------------------------------------------------------------- core kinds

export interface Namespace extends KubeObject {
  kind: 'Namespace';
}

export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  appProtocol?: string;
}

export interface Service extends KubeObject {
  kind: 'Service';
  spec: {
    type?: string;
    ports?: ServicePort[];
    selector?: Record<string, string>;
    clusterIP?: string;
    externalName?: string;
  };
}

export interface EndpointPort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
}

export interface Endpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  targetRef?: { kind?: string; name?: string; namespace?: string };
}

export interface EndpointSlice extends KubeObject {
  kind: 'EndpointSlice';
  addressType: 'IPv4' | 'IPv6' | 'FQDN' | string;
  endpoints?: Endpoint[];
  ports?: EndpointPort[];
}

export interface Secret extends KubeObject {
  kind: 'Secret';
  type?: string;
  /** base64-encoded values, as in the API. */
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface ConfigMap extends KubeObject {
  kind: 'ConfigMap';
  data?: Record<string, string>;
}

// ---------------------------------------------------------------- GRPCRoute

export interface GRPCMethodMatch {
  type?: 'Exact' | 'RegularExpression' | string;
  service?: string;
  method?: string;
}

export interface GRPCRouteMatch {
  method?: GRPCMethodMatch;
  headers?: HTTPHeaderMatch[];
}

export interface GRPCRouteRule {
  name?: string;
  matches?: GRPCRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  sessionPersistence?: unknown;
}

export interface GRPCRoute extends KubeObject {
  kind: 'GRPCRoute';
  spec: {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    rules?: GRPCRouteRule[];
  };
  status?: RouteStatus;
}

// ---------------------------------------------------------------- L4 routes

export interface StreamRouteRule {
  name?: string;
  backendRefs?: BackendRef[];
}

export interface TLSRoute extends KubeObject {
  kind: 'TLSRoute';
  spec: { parentRefs?: ParentReference[]; hostnames?: string[]; rules: StreamRouteRule[] };
  status?: RouteStatus;
}

export interface TCPRoute extends KubeObject {
  kind: 'TCPRoute';
  spec: { parentRefs?: ParentReference[]; rules: StreamRouteRule[] };
  status?: RouteStatus;
}

export interface UDPRoute extends KubeObject {
  kind: 'UDPRoute';
  spec: { parentRefs?: ParentReference[]; rules: StreamRouteRule[] };
  status?: RouteStatus;
}

// ---------------------------------------------------------------- BackendTLSPolicy

export interface PolicyAncestorStatus {
  ancestorRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface BackendTLSPolicy extends KubeObject {
  kind: 'BackendTLSPolicy';
  spec: {
    targetRefs: { group: string; kind: string; name: string; sectionName?: string }[];
    validation: {
      caCertificateRefs?: LocalObjectReference[];
      wellKnownCACertificates?: string;
      hostname: string;
      subjectAltNames?: { type: 'Hostname' | 'URI' | string; hostname?: string; uri?: string }[];
    };
    options?: Record<string, string>;
  };
  status?: { ancestors: PolicyAncestorStatus[] };
}
