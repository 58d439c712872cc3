/**
 * The part of each upstream test body that the expectation fields cannot carry: mutations
 * between phases (patches, deletions, late creations) and the order of the phases. This is
 * the runner's job, like the Go test bodies; nothing here is known to waygate.
 *
 * A test's groups are keyed by `phase ?? subtest ?? ''`; the unnamed group runs first, then
 * `order` (or the order of first appearance), each after its `before` mutation.
 */
import type { Cluster } from './cluster.js';
import type { KObject } from './manifests.js';
import { sleep } from './util.js';
import type { StatusView } from './waygate.js';

/** What a step may use. */
export interface StepContext {
  cluster: Cluster;
  status(): Promise<StatusView>;
  /** Records an object's current generation so latestObservedGeneration can require a bump. */
  rememberGeneration(kind: string, namespace: string | undefined, name: string): Promise<void>;
  /** Registers objects a step created so the runner deletes them after the test. */
  created(objects: KObject[]): void;
}

/** A mutation run before a group. */
export type Step = (ctx: StepContext) => Promise<void>;

/** The plan of one test. */
export interface TestSteps {
  order?: string[];
  before?: Record<string, Step>;
  /** Run after the last group, before cleanup. */
  after?: Step;
}

const INFRA = 'gateway-conformance-infra';

/** Applies `fn` to a copy of a stored object and applies the result (full replacement). */
async function update(cluster: Cluster, kind: string, ns: string | undefined, name: string, fn: (o: KObject) => void): Promise<void> {
  const obj = cluster.get(kind, ns, name);
  if (!obj) throw new Error(`step: ${kind} ${ns ?? ''}/${name} does not exist`);
  fn(obj);
  await cluster.apply([obj]);
}

type Spec = Record<string, unknown>;
const spec = (o: KObject): Spec => (o['spec'] ??= {}) as Spec;

function deleteGrant(ns: string, name: string): Step {
  return async ({ cluster }) => cluster.delete([{ kind: 'ReferenceGrant', metadata: { namespace: ns, name } }]);
}

function lateRoute(kind: string, name: string, gateway: string, section: string, backend: string, port: number): Step {
  return async ({ cluster, created }) => {
    // Upstream sleeps a second so the newer route's creationTimestamp is strictly later.
    await sleep(1100);
    const route: KObject = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind,
      metadata: { name, namespace: INFRA },
      spec: { parentRefs: [{ name: gateway, sectionName: section }], rules: [{ backendRefs: [{ name: backend, port }] }] },
    };
    created([route]);
    await cluster.apply([route]);
  };
}

const BTLS_RECONCILE_CM = 'tls-checks-ca-certificate-reconcile-test';

function setPolicyCA(cmName: string): Step {
  return ({ cluster }) =>
    update(cluster, 'BackendTLSPolicy', INFRA, 'reconcile-test', (o) => {
      const validation = (spec(o)['validation'] ??= {}) as Spec;
      validation['caCertificateRefs'] = [{ group: '', kind: 'ConfigMap', name: cmName }];
    });
}

function setReconcileCA(value: 'copy' | 'empty'): Step {
  return async ({ cluster, created }) => {
    const shared = cluster.get('ConfigMap', INFRA, 'tls-checks-ca-certificate');
    const ca = value === 'copy' ? String((shared?.['data'] as Record<string, string> | undefined)?.['ca.crt'] ?? '') : '';
    const cm: KObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: BTLS_RECONCILE_CM, namespace: INFRA }, data: { 'ca.crt': ca } };
    created([cm]);
    await cluster.apply([cm]);
  };
}

/** The steps table, keyed by shortName. */
export const STEPS: Record<string, TestSteps> = {
  HTTPRouteObservedGenerationBump: {
    order: ['before patch', 'after patch'],
    before: {
      'after patch': async (ctx) => {
        await ctx.rememberGeneration('HTTPRoute', INFRA, 'observed-generation-bump');
        await update(ctx.cluster, 'HTTPRoute', INFRA, 'observed-generation-bump', (o) => {
          const rules = spec(o)['rules'] as Array<{ backendRefs?: Array<{ name: string }> }>;
          const ref = rules[0]?.backendRefs?.[0];
          if (ref) ref.name = 'infra-backend-v2';
        });
      },
    },
  },
  GatewayObservedGenerationBump: {
    order: ['before patch', 'after patch'],
    before: {
      'after patch': async (ctx) => {
        await ctx.rememberGeneration('Gateway', INFRA, 'gateway-observed-generation-bump');
        await update(ctx.cluster, 'Gateway', INFRA, 'gateway-observed-generation-bump', (o) => {
          const listeners = (spec(o)['listeners'] ??= []) as unknown[];
          listeners.push({ name: 'alternate', hostname: 'foo.com', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } });
        });
      },
    },
  },
  GatewayClassObservedGenerationBump: {
    order: ['before patch', 'after patch'],
    before: {
      'after patch': async (ctx) => {
        await ctx.rememberGeneration('GatewayClass', undefined, 'gatewayclass-observed-generation-bump');
        await ctx.cluster.patch('GatewayClass', undefined, 'gatewayclass-observed-generation-bump', { spec: { description: 'new' } });
      },
    },
  },
  BackendTLSPolicyObservedGenerationBump: {
    order: ['before patch', 'after patch'],
    before: {
      'after patch': async (ctx) => {
        await ctx.rememberGeneration('BackendTLSPolicy', INFRA, 'observed-generation-bump');
        await ctx.cluster.patch('BackendTLSPolicy', INFRA, 'observed-generation-bump', { spec: { validation: { hostname: 'foo.example.com' } } });
      },
    },
  },
  GatewayStaticAddresses: {
    order: ['initial', 'initial (3 addresses)', 'after removing invalid address', 'after removing unusable address'],
    before: {
      'after removing invalid address': ({ cluster }) =>
        update(cluster, 'Gateway', INFRA, 'gateway-static-addresses', (o) => {
          const a = spec(o)['addresses'] as unknown[];
          spec(o)['addresses'] = a.slice(1);
        }),
      'after removing unusable address': ({ cluster }) =>
        update(cluster, 'Gateway', INFRA, 'gateway-static-addresses', (o) => {
          const a = spec(o)['addresses'] as unknown[];
          spec(o)['addresses'] = a.slice(-1);
        }),
    },
  },
  HTTPRouteReferenceGrant: {
    order: ['initial', 'after deleting ReferenceGrant gateway-conformance-web-backend/reference-grant'],
    before: { 'after deleting ReferenceGrant gateway-conformance-web-backend/reference-grant': deleteGrant('gateway-conformance-web-backend', 'reference-grant') },
  },
  TCPRouteReferenceGrant: {
    order: ['initial', 'after deleting ReferenceGrant gateway-conformance-web-backend/tcp-reference-grant'],
    before: { 'after deleting ReferenceGrant gateway-conformance-web-backend/tcp-reference-grant': deleteGrant('gateway-conformance-web-backend', 'tcp-reference-grant') },
  },
  UDPRouteReferenceGrant: {
    order: ['initial', 'after deleting ReferenceGrant gateway-conformance-app-backend/udp-reference-grant'],
    before: { 'after deleting ReferenceGrant gateway-conformance-app-backend/udp-reference-grant': deleteGrant('gateway-conformance-app-backend', 'udp-reference-grant') },
  },
  TCPRouteMultipleRoutesAttachment: {
    order: ['before creating newer route', 'after creating newer route'],
    before: { 'after creating newer route': lateRoute('TCPRoute', 'tcproute-attach-newer', 'tcp-multi-route-attach-gateway', 'tcp', 'tcp-attach-backend-2', 3000) },
  },
  UDPRouteMultipleRoutesAttachment: {
    order: ['before creating newer route', 'after creating newer route'],
    before: { 'after creating newer route': lateRoute('UDPRoute', 'udproute-attach-newer', 'udp-multi-route-attach-gateway', 'udp', 'udp-attach-backend-2', 8080) },
  },
  BackendTLSPolicy: {
    order: [
      'initial',
      'after step 1 (policy points at not-yet-existing ConfigMap)',
      'after step 2 (ConfigMap created)',
      'after step 3 (ca.crt emptied)',
      'after step 4 (ca.crt restored)',
    ],
    before: {
      'after step 1 (policy points at not-yet-existing ConfigMap)': setPolicyCA(BTLS_RECONCILE_CM),
      'after step 2 (ConfigMap created)': setReconcileCA('copy'),
      'after step 3 (ca.crt emptied)': setReconcileCA('empty'),
      'after step 4 (ca.crt restored)': setReconcileCA('copy'),
    },
    after: setPolicyCA('tls-checks-ca-certificate'),
  },
};
