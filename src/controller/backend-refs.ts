/**
 * backendRefs → IR backends (spec digest §d.6, §d.7): Service lookup, ReferenceGrants, port and
 * appProtocol, endpoints from EndpointSlices.
 *
 * HTTPBackendRef: "When a HTTPBackendRef is invalid, 500 status codes MUST be returned for
 * requests that would have otherwise been routed to an invalid backend." An invalid ref becomes
 * an IR backend of kind `invalid` (status 500) that keeps its weight, plus a ResolvedRefs=False
 * problem with the spec's reason.
 */
import { CORE_GROUP, GATEWAY_GROUP } from '../api/types.js';
import type * as api from '../api/types.js';
import type * as ir from '../ir/types.js';
import type { ResourceIndex } from './model.js';
import { exact } from './exact-array.js';
import { fieldMessage, type RefReason, type RouteProblem } from './route-conditions.js';
import { isReferenceAllowed } from './reference-grants.js';
import { applyBackendTLS, decideBackendTLS } from './backend-tls-policies.js';

/** The route that holds the reference (for ReferenceGrant `from` and the default namespace). */
export interface ReferrerInfo {
  readonly kind: string;
  readonly namespace: string;
}

/** A resolved backend: always an IR backend (valid or `invalid`), plus the problem if any. */
export interface BackendResolution {
  readonly backend: ir.Backend;
  readonly problem: RouteProblem<RefReason> | null;
}

/**
 * Service port appProtocol → how we speak to the backend. BackendRef: "implementations SHOULD
 * honor the appProtocol field if it is set for the target Service Port. Implementations
 * supporting appProtocol SHOULD recognize the Kubernetes Standard Application Protocols defined
 * in KEP-3726. […] If a Route is not able to send traffic to the backend using the specified
 * protocol then the backend is considered invalid. Implementations MUST set the "ResolvedRefs"
 * condition to "False" with the "UnsupportedProtocol" reason."
 */
export function computeBackendProtocol(appProtocol: string | undefined, overTLS = false): ir.BackendProtocol | null {
  if (appProtocol === undefined || appProtocol === '' || appProtocol.toLowerCase() === 'http') return 'http1';
  if (appProtocol === 'kubernetes.io/h2c') return overTLS ? 'h2' : 'h2c';
  if (appProtocol === 'kubernetes.io/ws') return 'ws';
  // TLS flavours need a BackendTLSPolicy: without one we have no identity to verify.
  if (overTLS && appProtocol.toLowerCase() === 'https') return 'http1';
  if (overTLS && appProtocol === 'kubernetes.io/h2') return 'h2';
  if (overTLS && appProtocol === 'kubernetes.io/wss') return 'ws';
  return null;
}

/**
 * GRPCRoute backends need HTTP/2 (gRPC cannot travel over HTTP/1.1). A Service port without
 * appProtocol is spoken to with h2c (prior knowledge), as gRPC servers expect; so are `grpc`
 * and `h2c` (common non-standard spellings) and `kubernetes.io/h2c`. Whatever
 * computeBackendProtocol maps to an HTTP/2 protocol is kept (under a BackendTLSPolicy, h2c
 * and the defaults become `h2`); anything else (`http`,
 * `kubernetes.io/ws`, unknown values) cannot carry gRPC: ResolvedRefs=False UnsupportedProtocol.
 */
export function computeGrpcBackendProtocol(appProtocol: string | undefined, overTLS = false): ir.BackendProtocol | null {
  const lower = (appProtocol ?? '').toLowerCase();
  if (lower === '' || lower === 'grpc' || lower === 'h2c') return overTLS ? 'h2' : 'h2c';
  const p = computeBackendProtocol(appProtocol, overTLS);
  return p === 'h2c' || p === 'h2' ? p : null;
}

/** Resolves one backendRef (rule backendRef or mirror backendRef). `field` names it in messages. */
export function resolveBackendRef(
  index: ResourceIndex,
  from: ReferrerInfo,
  ref: api.BackendObjectReference,
  weight: number,
  field: string,
): BackendResolution {
  const group = ref.group ?? CORE_GROUP;
  const kind = ref.kind ?? 'Service';
  const namespace = ref.namespace ?? from.namespace;
  const name = backendName(group, kind, namespace, ref.name, ref.port);
  const fail = (reason: RefReason, message: string): BackendResolution => ({
    backend: { kind: 'invalid', name, weight, status: 500, reason },
    problem: { reason, message },
  });

  if (group !== CORE_GROUP || kind !== 'Service') {
    const gk = group === CORE_GROUP ? kind : `${kind}.${group}`;
    return fail('InvalidKind', fieldMessage(field, `backend kind ${gk} is not supported`));
  }
  const to = { group: CORE_GROUP, kind: 'Service', namespace, name: ref.name };
  if (!isReferenceAllowed(index, { group: GATEWAY_GROUP, kind: from.kind, namespace: from.namespace }, to)) {
    return fail(
      'RefNotPermitted',
      fieldMessage(field, `no ReferenceGrant in namespace ${namespace} allows a reference to Service ${namespace}/${ref.name}`),
    );
  }
  const service = index.services.get(`${namespace}/${ref.name}`);
  if (!service) return fail('BackendNotFound', fieldMessage(field, `Service ${namespace}/${ref.name} was not found`));
  // ExternalName Services SHOULD NOT be supported (CVE-2021-25740). No reason fits exactly;
  // InvalidKind ("an unknown or unsupported Group and/or Kind") is the closest: it is a kind of
  // backend we do not support.
  if (service.spec?.type === 'ExternalName') {
    return fail('InvalidKind', fieldMessage(field, `Service ${namespace}/${ref.name} is of type ExternalName, which is not supported`));
  }
  if (ref.port === undefined) return fail('BackendNotFound', fieldMessage(field, `port is required for a Service backend`));
  const port = (service.spec?.ports ?? []).find((p) => p.port === ref.port);
  if (!port) return fail('BackendNotFound', fieldMessage(field, `Service ${namespace}/${ref.name} has no port ${ref.port}`));
  const overTLS = decideBackendTLS(index, namespace, ref.name, port).kind !== 'none';
  const protocol = from.kind === 'GRPCRoute' ? computeGrpcBackendProtocol(port.appProtocol, overTLS) : computeBackendProtocol(port.appProtocol, overTLS);
  if (protocol === null) {
    return fail(
      'UnsupportedProtocol',
      fieldMessage(field, `Service ${namespace}/${ref.name} port ${ref.port} has appProtocol "${port.appProtocol ?? ''}", which is not supported`),
    );
  }
  const backend: Extract<ir.Backend, { kind: 'service' }> = {
    kind: 'service',
    name,
    weight,
    protocol,
    tls: null,
    endpoints: resolveEndpoints(index, namespace, ref.name, port),
    requestFilters: [],
    redirect: null,
    responseHeaders: null,
  };
  // BackendTLSPolicy of the port: TLS settings, or a 500 when the policy is unusable.
  return { backend: applyBackendTLS(index, namespace, ref.name, port, backend), problem: null };
}

/**
 * Ready endpoints of a Service port, as Kubernetes resolves them: the EndpointSlices labelled
 * `kubernetes.io/service-name=<service>` in the Service's namespace, IPv4/IPv6 only; in each,
 * the slice port whose `name` equals the Service port's name (`''` for an unnamed port) and
 * whose protocol matches gives the port number; endpoints whose `conditions.ready` is false
 * are left out (unset counts as ready).
 */
export function resolveEndpoints(
  index: ResourceIndex,
  namespace: string,
  service: string,
  servicePort: api.ServicePort,
): ir.Endpoint[] {
  const out: ir.Endpoint[] = [];
  let seen: Set<string> | null = null; // made at the second endpoint: most backends have one
  const wantName = servicePort.name ?? '';
  const wantProtocol = servicePort.protocol ?? 'TCP';
  for (const slice of index.endpointSlicesByService.get(`${namespace}/${service}`) ?? []) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === wantName && (p.protocol ?? 'TCP') === wantProtocol);
    if (port?.port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses ?? []) {
        if (out.length > 0) {
          seen ??= new Set(out.map((e) => endpointKey(e.address, e.port)));
          const key = endpointKey(address, port.port);
          if (seen.has(key)) continue;
          seen.add(key);
        }
        out.push({ address, port: port.port });
      }
    }
  }
  return exact(out);
}

/** `<ns>/<service>:<port>` for Services; `<Kind>.<group>/<ns>/<name>` for other kinds. */
function backendName(group: string, kind: string, namespace: string, name: string, port: number | undefined): string {
  const base = group === CORE_GROUP && kind === 'Service' ? `${namespace}/${name}` : `${kind}.${group || 'core'}/${namespace}/${name}`;
  return port === undefined ? base : `${base}:${port}`;
}

/** An endpoint's identity for de-duplication across slices. */
function endpointKey(address: string, port: number): string {
  return `${address}|${port}`;
}
