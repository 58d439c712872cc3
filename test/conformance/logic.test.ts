import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { Cluster, fileNameFor } from './cluster.js';
import { compareHttp, parseLocation, withRequestId, type Captured } from './expect.js';
import { renderManifests, type RenderOptions } from './manifests.js';
import { endpointSliceFor, planDeployment, type PodInfo } from './pods.js';
import { buildReport } from './report.js';
import { calculateHost, groupsOf } from './runner.js';
import type { ConformanceTest } from './types.js';
import { canonicalHeaderKey, mergePatch, parseGoDuration } from './util.js';
import { backendFromPod, checkWeights, mirrorRange } from './weights.js';

const render: RenderOptions = {
  gatewayClassName: 'waygate-conformance',
  controllerName: 'waygate.dev/gateway-controller',
  usableAddress: { type: 'IPAddress', value: '127.21.1.10' },
  unusableAddress: { type: 'IPAddress', value: '203.0.113.10' },
};

describe('manifest placeholders', () => {
  it('fills class, controller and address placeholders', () => {
    const objs = renderManifests(
      `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: "{GATEWAY_CONTROLLER_NAME}"}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: g, namespace: ns}
spec:
  gatewayClassName: "{GATEWAY_CLASS_NAME}"
  addresses:
  - {type: test/fake-invalid-type, value: "x"}
  - value: PLACEHOLDER_UNUSABLE_ADDRS
  - value: PLACEHOLDER_USABLE_ADDRS
  listeners: [{name: http, port: 8080, protocol: HTTP}]
`,
      render,
    );
    assert.equal((objs[0]?.['spec'] as { controllerName: string }).controllerName, 'waygate.dev/gateway-controller');
    const spec = objs[1]?.['spec'] as { gatewayClassName: string; addresses: unknown[] };
    assert.equal(spec.gatewayClassName, 'waygate-conformance');
    assert.deepEqual(spec.addresses, [{ type: 'test/fake-invalid-type', value: 'x' }, render.unusableAddress, render.usableAddress]);
  });
});

describe('weights', () => {
  it('derives the backend from a ReplicaSet-style pod name', () => {
    assert.equal(backendFromPod('infra-backend-v1-7d9f8c6b5d-abcde'), 'infra-backend-v1');
  });
  it('accepts shares within tolerance and rejects the rest', () => {
    const w = { a: 0.7, b: 0.3, c: 0 };
    assert.equal(checkWeights(new Map([['a', 355], ['b', 145]]), w, 0.05), null);
    assert.match(checkWeights(new Map([['a', 400], ['b', 100]]), w, 0.05) ?? '', /backend a: share 0.800/);
    assert.match(checkWeights(new Map([['a', 350], ['b', 140], ['c', 10]]), w, 0.05) ?? '', /distinct backends/);
    assert.match(checkWeights(new Map([['a', 350], ['z', 150]]), w, 0.05) ?? '', /unexpected backend z/);
  });
  it('computes the percentage-mirror acceptance range like upstream', () => {
    const [lo, hi] = mirrorRange(500, 0.2);
    assert.ok(Math.abs(lo - 73.167) < 0.01 && Math.abs(hi - 126.833) < 0.01);
  });
});

describe('response comparison', () => {
  const sent = { scheme: 'http', host: '127.0.0.5', path: '/p', method: 'GET' };
  const echo = (over: Record<string, unknown> = {}): Captured => ({
    status: 200,
    headers: {},
    body: '',
    echo: { path: '/p', host: '127.0.0.5', method: 'GET', proto: 'HTTP/1.1', headers: { 'X-A': ['1', '2'] }, namespace: 'ns', ingress: '', service: '', pod: 'infra-backend-v1-x-y', httpPort: '3000', sni: '', ...over },
  });
  it('checks backend prefix, namespace and joined header values', () => {
    assert.equal(compareHttp(sent, { status: 200, backend: 'infra-backend-v1', namespace: 'ns', request: { headers: { 'x-a': '1,2' } } }, echo()), null);
    assert.match(compareHttp(sent, { status: 200, backend: 'infra-backend-v2', namespace: 'ns' }, echo()) ?? '', /start with infra-backend-v2/);
    assert.match(compareHttp(sent, { status: 200, namespace: 'other' }, echo()) ?? '', /namespace/);
    assert.match(compareHttp(sent, { status: 200, namespace: 'ns', request: { absentHeaders: ['X-A'] } }, echo()) ?? '', /absent/);
  });
  it('treats 408 and 504 as the same timeout status', () => {
    assert.equal(compareHttp(sent, { status: 504 }, { status: 408, headers: {}, body: '' }), null);
    assert.notEqual(compareHttp(sent, { status: 504 }, { status: 500, headers: {}, body: '' }), null);
  });
  it('checks redirects with default ports', () => {
    const cap = (loc: string): Captured => ({ status: 302, headers: { location: [loc] }, body: '' });
    const exp = { status: 302, redirect: { scheme: 'https', host: 'example.org' } };
    assert.equal(compareHttp(sent, exp, cap('https://example.org/p')), null);
    assert.equal(compareHttp(sent, exp, cap('https://example.org:443/p')), null);
    assert.match(compareHttp(sent, exp, cap('https://example.org:8443/p')) ?? '', /443 or none/);
    assert.equal(compareHttp(sent, { status: 302, redirect: { port: 8083 } }, cap('http://127.0.0.5:8083/p')), null);
    assert.deepEqual(parseLocation('/x?y', { scheme: 'http', host: 'h:81' }), { scheme: 'http', host: 'h', port: '81', path: '/x' });
  });
  it('expects failures when asked to', () => {
    assert.equal(compareHttp(sent, { failure: 'request-error' }, { error: 'ECONNRESET', headers: {}, body: '' }), null);
    assert.notEqual(compareHttp(sent, { failure: 'request-error' }, echo()), null);
    assert.equal(compareHttp(sent, { failure: 'non-200' }, { status: 500, headers: {}, body: '' }), null);
  });
  it('adds the mirror request id', () => {
    assert.equal(withRequestId('/m', 'u'), '/m?gateway-api-conformance-request-id=u');
    assert.equal(withRequestId('/m?a=1', 'u'), '/m?a=1&gateway-api-conformance-request-id=u');
  });
});

describe('helpers', () => {
  it('parses Go durations', () => {
    assert.equal(parseGoDuration('1s'), 1000);
    assert.equal(parseGoDuration('1m30s'), 90_000);
    assert.equal(parseGoDuration('250ms'), 250);
    assert.equal(parseGoDuration('1.5h'), 5_400_000);
    assert.throws(() => parseGoDuration('10'));
  });
  it('canonicalises header names like Go', () => {
    assert.equal(canonicalHeaderKey('x-header-SET'), 'X-Header-Set');
    assert.equal(canonicalHeaderKey('bad name'), 'bad name');
  });
  it('merge-patches (RFC 7386)', () => {
    assert.deepEqual(mergePatch({ a: { b: 1, c: 2 }, d: [1] }, { a: { b: null, e: 3 }, d: [2] }), { a: { c: 2, e: 3 }, d: [2] });
  });
  it('computes the Host like upstream CalculateHost', () => {
    assert.equal(calculateHost('127.0.0.5', 80, 'http'), '127.0.0.5');
    assert.equal(calculateHost('127.0.0.5', 8080, 'http'), '127.0.0.5:8080');
    assert.equal(calculateHost('::1', 443, 'https'), '[::1]');
  });
  it('orders groups: unnamed first, then the steps order', () => {
    const t = {
      shortName: 'TCPRouteReferenceGrant',
      statusChecks: [{ kind: 'X', check: 'c', phase: 'after deleting ReferenceGrant gateway-conformance-web-backend/tcp-reference-grant' }, { kind: 'X', check: 'c' }],
      requests: [{ request: {}, expect: {}, phase: 'initial' }],
    } as unknown as ConformanceTest;
    assert.deepEqual(groupsOf(t).map((g) => g.key), ['', 'initial', 'after deleting ReferenceGrant gateway-conformance-web-backend/tcp-reference-grant']);
  });
});

describe('emulated cluster', () => {
  it('writes objects with API-server metadata and bumps generation only on spec change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cluster-'));
    try {
      const c = new Cluster(dir, { now: () => new Date('2026-01-02T03:04:05.678Z') });
      await c.init();
      await c.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } }]);
      const [g1] = await c.apply([{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'ns' }, spec: { a: 1 } }]);
      assert.equal(g1?.metadata.generation, 1);
      assert.equal(g1?.metadata.creationTimestamp, '2026-01-02T03:04:05Z');
      const g2 = await c.patch('HTTPRoute', 'ns', 'r', { metadata: { labels: { x: 'y' } } });
      assert.equal(g2.metadata.generation, 1);
      const g3 = await c.patch('HTTPRoute', 'ns', 'r', { spec: { a: 2 } });
      assert.equal(g3.metadata.generation, 2);
      const file = parse(await readFile(join(dir, 'httproute-ns-r.yaml'), 'utf8')) as { spec: { a: number }; metadata: { generation: number } };
      assert.equal(file.spec.a, 2);
      const ns = parse(await readFile(join(dir, 'namespace-cluster-ns.yaml'), 'utf8')) as { metadata: { labels: Record<string, string> } };
      assert.equal(ns.metadata.labels['kubernetes.io/metadata.name'], 'ns');
      await c.apply([{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' }, spec: {} }]);
      await c.delete([{ kind: 'HTTPRoute', metadata: { namespace: 'ns', name: 'r' } }]);
      assert.deepEqual((await readdir(dir)).sort(), ['namespace-cluster-ns.yaml']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('shortens long file names', () => {
    const name = fileNameFor('Gateway', 'gateway-conformance-infra', `gateway-name-maximum-length-${'a'.repeat(225)}`);
    assert.ok(name.length <= 205 && name.endsWith('.yaml'));
  });

  it('plans Deployment pods and writes EndpointSlices for selected ready pods', () => {
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'infra-backend-v1', namespace: 'ns' },
      spec: {
        replicas: 2,
        template: {
          metadata: { labels: { app: 'infra-backend-v1' } },
          spec: { containers: [{ image: 'registry.k8s.io/gateway-api/conformance/echo-basic:v0.1.0', env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }] }] },
        },
      },
    };
    let n = 0;
    const planned = planDeployment(dep, { get: () => undefined }, '/tmp/pods', () => `127.20.0.${++n}`);
    assert.equal(planned.length, 2);
    assert.equal(backendFromPod(planned[0]?.info.name ?? ''), 'infra-backend-v1');
    assert.equal(planned[0]?.spec.env['POD_NAME'], planned[0]?.info.name);
    assert.equal(planned[0]?.spec.env['NAMESPACE'], 'ns');
    const pods: PodInfo[] = planned.map((p) => ({ ...p.info, ready: true }));
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'infra-backend-v1', namespace: 'ns' }, spec: { selector: { app: 'infra-backend-v1' }, ports: [{ name: 'h2c', port: 8081, targetPort: 3001, appProtocol: 'kubernetes.io/h2c' }] } };
    const slice = endpointSliceFor(svc, pods) as unknown as { metadata: { labels: Record<string, string> }; endpoints: Array<{ addresses: string[] }>; ports: unknown[] };
    assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'infra-backend-v1');
    assert.deepEqual(slice.endpoints.map((e) => e.addresses[0]).sort(), ['127.20.0.1', '127.20.0.2']);
    assert.deepEqual(slice.ports, [{ name: 'h2c', port: 3001, protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' }]);
    const other = endpointSliceFor({ ...svc, spec: { ...svc.spec, selector: { app: "nope" } } }, pods) as unknown as { endpoints: unknown[] };
    assert.deepEqual(other.endpoints, []);
  });
});

describe('conformance report', () => {
  it('attributes tests to GATEWAY-HTTP core/extended and sets results', () => {
    const report = buildReport(
      [
        { shortName: 'A', features: ['Gateway', 'HTTPRoute'], provisional: false, result: 'passed', seconds: 1 },
        { shortName: 'B', features: ['Gateway', 'HTTPRoute', 'HTTPRouteCORS'], provisional: false, result: 'failed', seconds: 1 },
        { shortName: 'C', features: ['Gateway', 'HTTPRoute', 'HTTPRouteRetry'], provisional: true, result: 'skipped', seconds: 0 },
        { shortName: 'D', features: ['Gateway', 'TLSRoute'], provisional: false, result: 'passed', seconds: 1 },
      ],
      { supportedFeatures: ['Gateway', 'HTTPRoute', 'HTTPRouteCORS'], version: '0.1.0' },
    ) as { profiles: Array<{ name: string; core: { result: string; statistics: object }; extended: { result: string; failedTests: string[]; skippedTests: string[]; supportedFeatures: string[] } }> };
    const p = report.profiles[0];
    assert.equal(p?.name, 'GATEWAY-HTTP');
    assert.equal(p?.core.result, 'success');
    assert.deepEqual(p?.core.statistics, { Passed: 1, Failed: 0, Skipped: 0 });
    assert.equal(p?.extended.result, 'failure');
    assert.deepEqual(p?.extended.failedTests, ['B']);
    assert.deepEqual(p?.extended.skippedTests, ['C']);
    assert.deepEqual(p?.extended.supportedFeatures, ['HTTPRouteCORS']);
  });
});
