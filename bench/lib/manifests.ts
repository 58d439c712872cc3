/**
 * Gateway API YAML for the waygate side of the benchmarks: a GatewayClass, a Gateway with a
 * static loopback address, a Service whose endpoints come from the
 * `waygate.dev/endpoint-addresses` annotation (IPs only, port = targetPort), and HTTPRoutes.
 * Generated deterministically (fixed PRNG) so runs are comparable.
 */

export const CONTROLLER_NAME = 'waygate.dev/gateway-controller';
export const NAMESPACE = 'bench';

/** GatewayClass, Namespace and Gateway (one HTTP listener, routes from its own namespace). */
export function baseManifests(o: { address: string; port: number }): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: waygate-bench
spec:
  controllerName: ${CONTROLLER_NAME}
---
apiVersion: v1
kind: Namespace
metadata:
  name: ${NAMESPACE}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: bench
  namespace: ${NAMESPACE}
spec:
  gatewayClassName: waygate-bench
  addresses:
  - type: IPAddress
    value: ${o.address}
  listeners:
  - name: http
    protocol: HTTP
    port: ${o.port}
    allowedRoutes:
      namespaces:
        from: Same
`;
}

/** A Service with static endpoints at `addresses` (IPs) and port 80 → targetPort. */
export function serviceManifest(o: { name: string; addresses: readonly string[]; targetPort: number }): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${o.name}
  namespace: ${NAMESPACE}
  annotations:
    waygate.dev/endpoint-addresses: "${o.addresses.join(', ')}"
spec:
  ports:
  - name: http
    port: 80
    targetPort: ${o.targetPort}
`;
}

export interface RouteSpec {
  readonly name: string;
  /** null: no hostnames (the route serves every host of the listener). */
  readonly hostname: string | null;
  readonly pathPrefix: string;
  readonly service: string;
  /** Optional request header set on the way in, to make an "edit" observable and harmless. */
  readonly setHeader?: { readonly name: string; readonly value: string };
}

/** One HTTPRoute attached to the bench Gateway. */
export function routeManifest(r: RouteSpec): string {
  const hostnames = r.hostname === null ? '' : `  hostnames:\n  - "${r.hostname}"\n`;
  const filters = r.setHeader === undefined
    ? ''
    : `    filters:\n    - type: RequestHeaderModifier\n      requestHeaderModifier:\n        set:\n        - name: ${r.setHeader.name}\n          value: "${r.setHeader.value}"\n`;
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${r.name}
  namespace: ${NAMESPACE}
spec:
  parentRefs:
  - name: bench
${hostnames}  rules:
  - matches:
    - path:
        type: PathPrefix
        value: ${r.pathPrefix}
${filters}    backendRefs:
    - name: ${r.service}
      port: 80
`;
}

/** Joins documents into one multi-document YAML stream. */
export function yamlStream(docs: readonly string[]): string {
  return docs.map((d) => d.trimEnd()).join('\n---\n') + '\n';
}

const WORDS = ['api', 'v1', 'v2', 'users', 'orders', 'static', 'img', 'auth', 'login', 'cart', 'search', 'admin', 'metrics', 'blog', 'docs', 'shop'];

/**
 * `n` route specs for the scale scenarios, like the route-matching micro-benchmark of the
 * performance notes: n/5 hostnames (every 10th a one-label wildcard `*.tenantH.bench.test`),
 * five path prefixes per hostname including `/`. Deterministic.
 */
export function scaleRoutes(n: number, service: string, perHost = 5): RouteSpec[] {
  let seed = 42;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const word = (): string => WORDS[Math.floor(rnd() * WORDS.length)]!;
  const hosts = Math.max(1, Math.ceil(n / perHost));
  const out: RouteSpec[] = [];
  for (let h = 0; h < hosts && out.length < n; h++) {
    const hostname = h % 10 === 9 ? `*.tenant${h}.bench.test` : `svc${h}.bench.test`;
    const seen = new Set<string>();
    for (let i = 0; i < perHost && out.length < n; i++) {
      let p = '/';
      if (i > 0) {
        do p = `/${word()}${rnd() < 0.6 ? `/${word()}` : ''}${rnd() < 0.5 ? String(i) : ''}`;
        while (seen.has(p));
      }
      seen.add(p);
      out.push({ name: `r${String(out.length).padStart(5, '0')}`, hostname, pathPrefix: p, service });
    }
  }
  return out;
}

/** A request (Host, path) that the route serves, with a sub-path half of the time. */
export function requestFor(r: RouteSpec, i: number): { host: string; path: string } {
  const host = r.hostname === null ? 'any.bench.test' : r.hostname.startsWith('*.') ? `app${i % 7}${r.hostname.slice(1)}` : r.hostname;
  const tail = i % 2 === 0 ? '' : `${r.pathPrefix.endsWith('/') ? '' : '/'}x/${i}`;
  return { host, path: r.pathPrefix + tail };
}
