/**
 * Kubernetes mode, what the conformance run needs beyond basic provisioning: static
 * spec.addresses requested as the Service's externalIPs and usable only once the load balancer
 * reports them, ListenerSet ports on the provisioned Service, and the provisioning-only
 * features on the GatewayClass.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { childName } from '../../src/source/kubernetes/child-names.js';
import type { KubernetesController } from '../../src/source/kubernetes/controller.js';
import { PROVISIONING_FEATURES, serviceAddresses } from '../../src/source/kubernetes/provisioner.js';
import type { TestApiServer } from './apiserver.js';
import { condition, read, setStatus, startProvisioningWorld, waitFor } from './fixtures.js';

const GW = 'gateway.networking.k8s.io/v1';

describe('provisioning: addresses, ListenerSet ports, features', () => {
  let server: TestApiServer;
  let controller: KubernetesController;
  let stop: () => Promise<void>;
  beforeEach(async () => {
    ({ server, controller, stop } = await startProvisioningWorld({ streamUrl: 'http://127.0.0.1:1', caPem: null, extraFeatures: PROVISIONING_FEATURES }));
  });
  afterEach(async () => {
    await stop();
  });

  it('requests static addresses as externalIPs; only those the load balancer assigns are usable', async () => {
    server.apply({
      apiVersion: GW, kind: 'Gateway', metadata: { name: 'static', namespace: 'infra' },
      spec: { gatewayClassName: 'waygate', addresses: [{ type: 'IPAddress', value: '203.0.113.10' }, { value: '127.9.1.10' }], listeners: [{ name: 'http', port: 8080, protocol: 'HTTP' }] },
    });
    const name = childName('static');
    const svc = await waitFor('service', () => read(server, 'v1', 'Service', 'infra', name));
    assert.deepEqual((svc['spec'] as { externalIPs?: string[] }).externalIPs, ['203.0.113.10', '127.9.1.10']);
    // No load balancer answer yet: the addresses are not usable.
    await waitFor('AddressNotUsable', () => condition(read(server, GW, 'Gateway', 'infra', 'static')?.['status'], 'Programmed')?.reason === 'AddressNotUsable');
    // The load balancer assigns one of the two: still not programmed.
    setStatus(server, 'v1', 'Service', 'infra', name, { loadBalancer: { ingress: [{ ip: '127.9.1.10' }] } });
    await controller.reconcile();
    assert.equal(condition(read(server, GW, 'Gateway', 'infra', 'static')?.['status'], 'Programmed')?.reason, 'AddressNotUsable');
    // Without the unusable address the Gateway is programmed on the usable one.
    const gw = read(server, GW, 'Gateway', 'infra', 'static')!;
    server.apply({ ...gw, spec: { ...(gw['spec'] as object), addresses: [{ value: '127.9.1.10' }] } });
    await waitFor('Programmed', () => condition(read(server, GW, 'Gateway', 'infra', 'static')?.['status'], 'Programmed')?.status === 'True', 5000);
    const status = read(server, GW, 'Gateway', 'infra', 'static')!['status'] as { addresses: { value: string }[] };
    assert.deepEqual(status.addresses.map((a) => a.value), ['127.9.1.10']);
    // The Service is reconciled in the same pass as the status, not necessarily before it.
    const externalIPs = (): string[] | undefined => (read(server, 'v1', 'Service', 'infra', name)?.['spec'] as { externalIPs?: string[] } | undefined)?.externalIPs;
    await waitFor('externalIPs without the unusable address', () => externalIPs()?.join() === '127.9.1.10').catch(() => undefined);
    assert.deepEqual(externalIPs(), ['127.9.1.10']);
  });

  it('adds the ports of attached ListenerSets to the Service', async () => {
    server.apply({
      apiVersion: GW, kind: 'Gateway', metadata: { name: 'parent', namespace: 'infra' },
      spec: { gatewayClassName: 'waygate', allowedListeners: { namespaces: { from: 'Same' } }, listeners: [{ name: 'http', port: 8080, protocol: 'HTTP' }] },
    });
    server.apply({
      apiVersion: GW, kind: 'ListenerSet', metadata: { name: 'extra', namespace: 'infra' },
      spec: { parentRef: { name: 'parent' }, listeners: [{ name: 'more', port: 8081, protocol: 'HTTP' }] },
    });
    const name = childName('parent');
    await waitFor('service with the ListenerSet port', () => {
      const ports = ((read(server, 'v1', 'Service', 'infra', name)?.['spec'] as { ports?: { port: number }[] } | undefined)?.ports ?? []).map((p) => p.port);
      return ports.includes(8080) && ports.includes(8081);
    });
  });

  it('claims the provisioning features on the GatewayClass, sorted', async () => {
    const gc = await waitFor('class status', () => read(server, GW, 'GatewayClass', undefined, 'waygate')?.['status'] as { supportedFeatures?: { name: string }[] } | undefined);
    const names = (gc.supportedFeatures ?? []).map((f) => f.name);
    assert.ok(names.includes('GatewayInfrastructurePropagation'), names.join(','));
    assert.deepEqual(names, [...names].sort());
  });

  it('serviceAddresses: ingress for LoadBalancer, external then cluster IPs otherwise', () => {
    const svc = (spec: object, status: object = {}) => ({ metadata: { name: 's' }, spec, status });
    assert.deepEqual(serviceAddresses(svc({ type: 'LoadBalancer', externalIPs: ['1.2.3.4'], clusterIP: '10.0.0.1' }, { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } })), ['5.6.7.8']);
    assert.deepEqual(serviceAddresses(svc({ type: 'ClusterIP', externalIPs: ['1.2.3.4'], clusterIPs: ['10.0.0.1'] })), ['1.2.3.4', '10.0.0.1']);
    assert.deepEqual(serviceAddresses(svc({ type: 'ClusterIP', clusterIP: 'None' })), []);
  });
});
