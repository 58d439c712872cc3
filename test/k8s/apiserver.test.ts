/**
 * The test API server, driven by @kubernetes/client-node over real HTTP: CRUD, status
 * subresource, generation, optimistic concurrency, patches as client-node sends them,
 * selectors, watch with bookmarks and 410, garbage collection.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, KubernetesObjectApi, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import { kubeConfigFor } from './fixtures.js';
import { TestApiServer } from './apiserver.js';

const GW = { group: 'gateway.networking.k8s.io', version: 'v1' };

describe('test API server', () => {
  let server: TestApiServer;
  let kc: KubeConfig;
  before(async () => {
    server = await TestApiServer.start({ token: 'test-token', bookmarkMs: 50 });
    kc = kubeConfigFor(server.url);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'default' } } });
    await core.createNamespace({ body: { metadata: { name: 'other', labels: { team: 'a' } } } });
  });
  after(() => server.close());

  it('rejects a wrong token', async () => {
    const core = kubeConfigFor(server.url, 'nope').makeApiClient(CoreV1Api);
    await assert.rejects(core.listNamespace(), (err: { code?: number }) => err.code === 401);
  });

  it('labels namespaces and filters by label selector', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const all = await core.listNamespace();
    assert.equal(all.items.length, 2);
    assert.equal(all.items[0]?.metadata?.labels?.['kubernetes.io/metadata.name'], 'default');
    const a = await core.listNamespace({ labelSelector: 'team in (a,b)' });
    assert.deepEqual(a.items.map((n) => n.metadata?.name), ['other']);
    const notA = await core.listNamespace({ labelSelector: '!team' });
    assert.deepEqual(notA.items.map((n) => n.metadata?.name), ['default']);
  });

  it('bumps generation on spec changes only; status goes through the subresource', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const created = (await custom.createNamespacedCustomObject({
      ...GW, namespace: 'default', plural: 'gateways',
      body: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'g' }, spec: { gatewayClassName: 'c', listeners: [] }, status: { x: 1 } },
    })) as { metadata: { generation: number; resourceVersion: string }; status?: unknown };
    assert.equal(created.metadata.generation, 1);
    assert.equal(created.status, undefined, 'status is dropped on create');
    const labelled = (await custom.patchNamespacedCustomObject(
      { ...GW, namespace: 'default', plural: 'gateways', name: 'g', body: { metadata: { labels: { a: 'b' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { metadata: { generation: number; resourceVersion: string } };
    assert.equal(labelled.metadata.generation, 1);
    assert.notEqual(labelled.metadata.resourceVersion, created.metadata.resourceVersion);
    const specChanged = (await custom.patchNamespacedCustomObject(
      { ...GW, namespace: 'default', plural: 'gateways', name: 'g', body: [{ op: 'replace', path: '/spec/gatewayClassName', value: 'd' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    )) as { metadata: { generation: number }; spec: { gatewayClassName: string } };
    assert.equal(specChanged.metadata.generation, 2);
    assert.equal(specChanged.spec.gatewayClassName, 'd');
    const withStatus = (await custom.patchNamespacedCustomObjectStatus(
      { ...GW, namespace: 'default', plural: 'gateways', name: 'g', body: { status: { conditions: [] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { metadata: { generation: number; resourceVersion: string }; status: unknown };
    assert.equal(withStatus.metadata.generation, 2);
    assert.deepEqual(withStatus.status, { conditions: [] });
    // A stale resourceVersion is a conflict.
    await assert.rejects(
      custom.patchNamespacedCustomObjectStatus(
        { ...GW, namespace: 'default', plural: 'gateways', name: 'g', body: { metadata: { resourceVersion: created.metadata.resourceVersion }, status: { conditions: [{}] } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
      (err: { code?: number }) => err.code === 409,
    );
    // A write to the main resource keeps the status.
    const obj = (await custom.getNamespacedCustomObject({ ...GW, namespace: 'default', plural: 'gateways', name: 'g' })) as Record<string, unknown>;
    const replaced = (await custom.replaceNamespacedCustomObject({ ...GW, namespace: 'default', plural: 'gateways', name: 'g', body: { ...obj, status: { other: true } } })) as { status: unknown };
    assert.deepEqual(replaced.status, { conditions: [] });
  });

  it('serves discovery for KubernetesObjectApi and filters by field selector', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    await objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one', namespace: 'other' }, data: { a: '1' } } as never);
    await objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'two', namespace: 'other' }, data: { a: '2' } } as never);
    const list = await objects.list('v1', 'ConfigMap', 'other', undefined, undefined, undefined, 'metadata.name=two');
    assert.deepEqual(list.items.map((i) => i.metadata?.name), ['two']);
  });

  it('watches with bookmarks, and answers 410 for compacted versions', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const list = await core.listNamespacedSecret({ namespace: 'default' });
    const rv = list.metadata?.resourceVersion ?? '';
    const events: string[] = [];
    let ended = false;
    const w = await new Watch(kc).watch('/api/v1/namespaces/default/secrets', { resourceVersion: rv, allowWatchBookmarks: true }, (type, obj: { metadata?: { name?: string } }) => {
      events.push(type === 'BOOKMARK' ? 'BOOKMARK' : `${type}:${obj.metadata?.name ?? ''}`);
    }, () => { ended = true; });
    await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 's1' }, stringData: { a: 'b' } } });
    await core.deleteNamespacedSecret({ namespace: 'default', name: 's1' });
    for (let i = 0; i < 80 && !(events.includes('BOOKMARK') && events.includes('DELETED:s1')); i++) await new Promise((r) => setTimeout(r, 25));
    w.abort();
    assert.deepEqual(events.filter((e) => e !== 'BOOKMARK'), ['ADDED:s1', 'DELETED:s1']);
    assert.ok(events.includes('BOOKMARK'));
    void ended;

    server.store.compact();
    const errors: number[] = [];
    await new Promise<void>((resolve) => {
      void new Watch(kc).watch('/api/v1/namespaces/default/secrets', { resourceVersion: rv }, (type, obj: { code?: number }) => {
        if (type === 'ERROR') errors.push(obj.code ?? 0);
      }, () => resolve());
    });
    assert.deepEqual(errors, [410]);
  });

  it('garbage-collects dependents through ownerReferences', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const owner = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'owner' } } });
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'child', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! }] }, spec: { ports: [{ port: 80 }] } } });
    const svc = await core.readNamespacedService({ namespace: 'default', name: 'child' });
    assert.match(svc.spec?.clusterIP ?? '', /^10\.96\./);
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'owner' });
    await assert.rejects(core.readNamespacedService({ namespace: 'default', name: 'child' }), (err: { code?: number }) => err.code === 404);
  });
});
