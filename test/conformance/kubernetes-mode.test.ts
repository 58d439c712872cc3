/**
 * Unit tests of the Kubernetes-mode pieces of the runner that need no child process: resource
 * paths, the Cluster writing through ApiSink to the test API server, and the load balancer
 * emulation of kubelet.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestApiServer } from '../k8s/apiserver.js';
import { Cluster } from './cluster.js';
import { ApiClient, Kubelet } from './kubelet.js';
import { ApiSink, pathOf } from './kubernetes-mode.js';

describe('kubernetes mode: API sink and load balancer', () => {
  let server: TestApiServer;
  let api: ApiClient;
  let tmp: string;
  before(async () => {
    server = await TestApiServer.start();
    api = new ApiClient(server.url);
    tmp = await mkdtemp(join(tmpdir(), 'waygate-k8s-mode-'));
  });
  after(async () => {
    await server.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('pathOf maps kinds to API paths', () => {
    assert.equal(pathOf('v1', 'Service', 'ns', 'a'), '/api/v1/namespaces/ns/services/a');
    assert.equal(pathOf('gateway.networking.k8s.io/v1', 'GatewayClass', 'ignored'), '/apis/gateway.networking.k8s.io/v1/gatewayclasses');
    assert.equal(pathOf('apps/v1', 'ReplicaSet'), undefined);
  });

  it('the Cluster creates, replaces (status kept, generation bumped on spec) and deletes through the API server', async () => {
    const cluster = new Cluster(join(tmp, 'c'), { sink: new ApiSink(api) });
    await cluster.init();
    await cluster.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } }]);
    const route = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'ns' }, spec: { parentRefs: [{ name: 'gw' }] } };
    await cluster.apply([route]);
    const [, created] = await api.call('GET', pathOf('gateway.networking.k8s.io/v1', 'HTTPRoute', 'ns', 'r')!);
    assert.equal((created as { metadata: { generation: number } }).metadata.generation, 1);
    await api.call('PATCH', `${pathOf('gateway.networking.k8s.io/v1', 'HTTPRoute', 'ns', 'r')!}/status`, { status: { parents: [] } }, 'application/merge-patch+json');
    await cluster.patch('HTTPRoute', 'ns', 'r', { spec: { hostnames: ['a.example'] } });
    const [, replaced] = await api.call('GET', pathOf('gateway.networking.k8s.io/v1', 'HTTPRoute', 'ns', 'r')!);
    const r = replaced as { metadata: { generation: number }; spec: { hostnames?: string[] }; status?: unknown };
    assert.equal(r.metadata.generation, 2);
    assert.deepEqual(r.spec.hostnames, ['a.example']);
    assert.deepEqual(r.status, { parents: [] });
    await cluster.delete([{ kind: 'HTTPRoute', metadata: { namespace: 'ns', name: 'r' } }]);
    const [code] = await api.call('GET', pathOf('gateway.networking.k8s.io/v1', 'HTTPRoute', 'ns', 'r')!);
    assert.equal(code, 404);
  });

  it('the load balancer assigns servable external IPs, else a fresh address outside 127.G.1.0/24', async () => {
    const kubelet = new Kubelet({ api, repoRoot: tmp, tmpDir: tmp, gatewayOctet: 150 });
    const svc = (name: string, externalIPs?: string[]) => ({
      apiVersion: 'v1', kind: 'Service',
      metadata: { name, namespace: 'ns', labels: { 'app.kubernetes.io/managed-by': 'waygate' } },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }], ...(externalIPs ? { externalIPs } : {}) },
    });
    server.apply(svc('plain'));
    server.apply(svc('static', ['203.0.113.10', '127.150.1.10']));
    server.apply(svc('unservable', ['203.0.113.10']));
    await kubelet.reconcile();
    const ingress = async (name: string): Promise<string[]> => {
      const [, o] = await api.call('GET', pathOf('v1', 'Service', 'ns', name)!);
      return ((o as { status?: { loadBalancer?: { ingress?: { ip: string }[] } } }).status?.loadBalancer?.ingress ?? []).map((i) => i.ip);
    };
    assert.deepEqual(await ingress('plain'), ['127.150.0.1']);
    assert.deepEqual(await ingress('static'), ['127.150.1.10']);
    assert.deepEqual(await ingress('unservable'), []);
    // Stable across passes.
    await kubelet.reconcile();
    assert.deepEqual(await ingress('plain'), ['127.150.0.1']);
    await kubelet.stop();
  });
});
