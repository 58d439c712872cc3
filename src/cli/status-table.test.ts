import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusObject } from '../runtime/status-objects.js';
import { columns, renderStatusTable } from './status-table.js';
import { formatObjects } from './output.js';
import { parse, parseAllDocuments } from 'yaml';

const T = '2026-01-01T00:00:00Z';
const cond = (type: string, status: string, reason: string, message = '') => ({ type, status, reason, message, lastTransitionTime: T });

const objects: StatusObject[] = [
  {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute',
    metadata: { name: 'store', namespace: 'store', generation: 1, creationTimestamp: T },
    spec: { hostnames: ['store.example.com'] },
    status: { parents: [{ parentRef: { name: 'gw', namespace: 'infra', sectionName: 'http' }, controllerName: 'c', conditions: [cond('Accepted', 'True', 'Accepted'), cond('ResolvedRefs', 'False', 'BackendNotFound', 'Service "nope" not found.')] }] },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway',
    metadata: { name: 'gw', namespace: 'infra', generation: 2, creationTimestamp: T },
    spec: { gatewayClassName: 'waygate', listeners: [{ name: 'http', port: 8080, protocol: 'HTTP' }] },
    status: {
      addresses: [{ type: 'IPAddress', value: '127.0.1.10' }],
      conditions: [cond('Accepted', 'True', 'Accepted'), cond('Programmed', 'True', 'Programmed')],
      listeners: [{ name: 'http', attachedRoutes: 2, supportedKinds: [], conditions: [cond('Accepted', 'True', 'Accepted'), cond('Conflicted', 'False', 'NoConflicts')] }],
    },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass',
    metadata: { name: 'waygate', generation: 1, creationTimestamp: T },
    spec: { controllerName: 'waygate.dev/gateway-controller' },
    status: { conditions: [cond('Accepted', 'True', 'Accepted')] },
  },
];

test('the table shows class, gateway, listener and route parent, with reasons for bad conditions only', () => {
  const text = renderStatusTable(objects);
  const lines = text.split('\n');
  assert.match(text, /^GATEWAYCLASS\s+CONTROLLER\s+ACCEPTED\nwaygate\s+waygate\.dev\/gateway-controller\s+True/);
  assert.ok(lines.some((l) => /^infra\/gw\s+waygate\s+127\.0\.1\.10\s+True\s+True$/.test(l)), text);
  assert.ok(lines.some((l) => /^\s+http\s+8080\s+HTTP\s+\*\s+2\s+Accepted=True Conflicted=False$/.test(l)), text);
  assert.ok(lines.some((l) => l === '  parent Gateway infra/gw section http: Accepted=True ResolvedRefs=False'), text);
  assert.ok(lines.some((l) => l === '    ! ResolvedRefs=False BackendNotFound: Service "nope" not found.'), text);
  assert.equal(lines.filter((l) => l.includes('!')).length, 1, 'Conflicted=False is normal and gets no line');
  assert.ok(text.indexOf('GATEWAY ') < text.indexOf('HTTPROUTE'), 'gateways before routes');
});

test('a policy shows its conditions per ancestor', () => {
  const policy: StatusObject = {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'BackendTLSPolicy',
    metadata: { name: 'tls', namespace: 'store', generation: 1, creationTimestamp: T },
    spec: {},
    status: { ancestors: [{ ancestorRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'gw' }, controllerName: 'c', conditions: [cond('Accepted', 'False', 'Conflicted', 'Older policy wins.')] }] },
  };
  const lines = renderStatusTable([policy]).split('\n');
  assert.equal(lines[0], 'BACKENDTLSPOLICY store/tls');
  assert.equal(lines[1], '  ancestor Gateway infra/gw: Accepted=False');
  assert.equal(lines[2], '    ! Accepted=False Conflicted: Older policy wins.');
});

test('columns pads every column but the last', () => {
  assert.deepEqual(columns([['a', 'bb', 'c'], ['ccc', 'd', 'e']], '  '), ['  a    bb  c', '  ccc  d   e']);
});

test('formatObjects: a YAML stream of documents and a JSON List', () => {
  const yaml = formatObjects(objects, 'yaml');
  const docs = parseAllDocuments(yaml).map((d) => d.toJS() as StatusObject);
  assert.equal(docs.length, 3);
  assert.deepEqual(docs[1], objects[1]);
  const list = parse(formatObjects(objects, 'json')) as { kind: string; items: unknown[] };
  assert.equal(list.kind, 'List');
  assert.deepEqual(list.items, objects);
});
