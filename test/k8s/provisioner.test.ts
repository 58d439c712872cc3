/**
 * Provisioning through the controller against the test API server: the objects made for a
 * Gateway (names, labels, infrastructure metadata, ownerReferences, parameters), the Service's
 * address in Gateway status, InvalidParameters, and garbage collection with the Gateway.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { childName } from '../../src/source/kubernetes/child-names.js';
import type { KubernetesController } from '../../src/source/kubernetes/controller.js';
import type { TestApiServer } from './apiserver.js';
import { condition, read, setStatus, startProvisioningWorld, TOKEN, waitFor } from './fixtures.js';

const GW = 'gateway.networking.k8s.io/v1';

describe('provisioning', () => {
  let server: TestApiServer;
  let controller: KubernetesController;
  let stop: () => Promise<void>;
  beforeEach(async () => {
    ({ server, controller, stop } = await startProvisioningWorld({ streamUrl: 'https://waygate.waygate-system.svc:18443', caPem: 'CA' }));
  });
  afterEach(async () => {
    await stop();
  });

  it('creates ServiceAccount, Secret, Deployment and Service with labels, infrastructure metadata and owner', async () => {
    const longName = `g${'x'.repeat(120)}`;
    server.apply({ apiVersion: 'waygate.dev/v1alpha1', kind: 'WaygateParameters', metadata: { name: 'big', namespace: 'infra' }, spec: { replicas: 3, serviceType: 'ClusterIP', resources: { limits: { cpu: '1' } } } });
    server.apply({
      apiVersion: GW, kind: 'Gateway', metadata: { name: longName, namespace: 'infra' },
      spec: {
        gatewayClassName: 'waygate',
        infrastructure: { labels: { key2: 'value2' }, annotations: { key1: 'value1' }, parametersRef: { group: 'waygate.dev', kind: 'WaygateParameters', name: 'big' } },
        listeners: [{ name: 'http', port: 8080, protocol: 'HTTP' }, { name: 'dns', port: 53, protocol: 'UDP' }],
      },
    });
    const name = childName(longName);
    assert.ok(name.length <= 63 && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name), name);
    const svc = await waitFor('service', () => read(server, 'v1', 'Service', 'infra', name));
    const dep = read(server, 'apps/v1', 'Deployment', 'infra', name)!;
    const sa = read(server, 'v1', 'ServiceAccount', 'infra', name)!;
    const secret = read(server, 'v1', 'Secret', 'infra', `${name}-stream`)!;
    const gw = read(server, GW, 'Gateway', 'infra', longName)!;
    for (const o of [svc, dep, sa, secret]) {
      assert.equal(o.metadata.labels?.['key2'], 'value2');
      assert.equal(o.metadata.annotations?.['key1'], 'value1');
      assert.equal(o.metadata.labels?.['gateway.networking.k8s.io/gateway-class-name'], 'waygate');
      assert.ok((o.metadata.labels?.['gateway.networking.k8s.io/gateway-name'] ?? '').length <= 63);
      assert.equal(o.metadata.ownerReferences?.[0]?.uid, gw.metadata.uid);
    }
    const depSpec = dep['spec'] as { replicas: number; template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string; args: string[]; resources: unknown }[] } } };
    assert.equal(depSpec.replicas, 3);
    assert.equal(depSpec.template.metadata.labels['key2'], 'value2');
    assert.equal(depSpec.template.spec.containers[0]?.image, 'waygate:test');
    assert.deepEqual(depSpec.template.spec.containers[0]?.resources, { limits: { cpu: '1' } });
    assert.ok(depSpec.template.spec.containers[0]?.args.includes(`infra/${longName}`));
    const svcSpec = svc['spec'] as { type: string; ports: { port: number; protocol: string }[] };
    assert.equal(svcSpec.type, 'ClusterIP');
    assert.deepEqual(svcSpec.ports.map((p) => `${p.protocol}/${p.port}`).sort(), ['TCP/8080', 'UDP/53']);
    assert.deepEqual((secret['stringData'] as Record<string, string>)['token'], `token-infra/${longName}`);

    // The Service's cluster IP becomes the Gateway's address.
    const ip = (svc['spec'] as { clusterIP: string }).clusterIP;
    await waitFor('gateway address', () => ((read(server, GW, 'Gateway', 'infra', longName)?.['status'] as { addresses?: { value: string }[] } | undefined)?.addresses ?? [])[0]?.value === ip);

    // Nothing is rewritten when nothing changed.
    const before = server.requests.filter((r) => r.method !== 'GET').length;
    server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'unrelated' } });
    await new Promise((r) => setTimeout(r, 150));
    const writes = server.requests.filter((r) => r.method !== 'GET').slice(before);
    assert.ok(writes.every((w) => !/deployments|services|serviceaccounts|secrets/.test(w.path)), JSON.stringify(writes));

    // Deleting the Gateway collects everything it owns.
    // (deleted through the API, as kubectl would)
    await fetch(`${server.url}/apis/gateway.networking.k8s.io/v1/namespaces/infra/gateways/${longName}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(read(server, 'apps/v1', 'Deployment', 'infra', name), undefined);
    assert.equal(read(server, 'v1', 'Service', 'infra', name), undefined);
  });

  it('uses load balancer ingress addresses for LoadBalancer Services', async () => {
    const name = childName('gw');
    const svc = await waitFor('service', () => read(server, 'v1', 'Service', 'infra', name));
    assert.equal((svc['spec'] as { type: string }).type, 'LoadBalancer');
    setStatus(server, 'v1', 'Service', 'infra', name, { loadBalancer: { ingress: [{ ip: '127.0.0.77' }] } });
    await waitFor('address', () => ((read(server, GW, 'Gateway', 'infra', 'gw')?.['status'] as { addresses?: { value: string }[] } | undefined)?.addresses ?? [])[0]?.value === '127.0.0.77');
    assert.equal(condition(read(server, GW, 'Gateway', 'infra', 'gw')?.['status'], 'Programmed')?.status, 'True');
  });

  it('rejects a parametersRef to a missing WaygateParameters', async () => {
    server.apply({
      apiVersion: GW, kind: 'Gateway', metadata: { name: 'bad', namespace: 'infra' },
      spec: { gatewayClassName: 'waygate', infrastructure: { parametersRef: { group: 'waygate.dev', kind: 'WaygateParameters', name: 'missing' } }, listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    });
    const accepted = await waitFor('condition', () => condition(read(server, GW, 'Gateway', 'infra', 'bad')?.['status'], 'Accepted'));
    assert.equal(accepted.status, 'False');
    assert.equal(accepted.reason, 'InvalidParameters');
    assert.equal(read(server, 'apps/v1', 'Deployment', 'infra', childName('bad')), undefined);
    // Created afterwards, it is found: the controller keeps its list of them between passes.
    server.apply({ apiVersion: 'waygate.dev/v1alpha1', kind: 'WaygateParameters', metadata: { name: 'missing', namespace: 'infra' }, spec: { replicas: 1 } });
    await waitFor('accepted', () => condition(read(server, GW, 'Gateway', 'infra', 'bad')?.['status'], 'Accepted')?.status === 'True');
  });
});
