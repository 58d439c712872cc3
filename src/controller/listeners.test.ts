import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as api from '../api/types.js';
import type { ResourceIndex } from './model.js';
import { detectConflicts, validateListener, type ConflictCandidate } from './listeners.js';
import { hasPemBlock, readTlsSecret } from './certificates.js';
import { compareHostnameSpecificity } from './build-servers.js';

const EMPTY_INDEX: ResourceIndex = {
  namespaces: new Map(),
  services: new Map(),
  endpointSlicesByService: new Map(),
  secrets: new Map(),
  configMaps: new Map(),
  referenceGrantsByNamespace: new Map(),
};
const OWNER = { kind: 'Gateway' as const, namespace: 'ns' };

function l(name: string, port: number, protocol: string, hostname?: string): api.Listener {
  return { name, port, protocol, ...(hostname ? { hostname } : {}) };
}
function gwc(listener: api.Listener): ConflictCandidate {
  return { listener, owner: 'Gateway ns/gw', fromGateway: true };
}
function lsc(listener: api.Listener, ls: string): ConflictCandidate {
  return { listener, owner: `ListenerSet ns/${ls}`, fromGateway: false };
}
const reasons = (cs: ReturnType<typeof detectConflicts>): (string | null)[] => cs.map((c) => c?.reason ?? null);

test('conflicts among Gateway listeners have no winner', () => {
  const out = detectConflicts([
    gwc(l('a', 80, 'HTTP', 'x.example.com')),
    gwc(l('b', 80, 'HTTP', 'x.example.com')),
    gwc(l('c', 80, 'HTTP', 'y.example.com')),
    gwc(l('d', 8080, 'HTTP', 'x.example.com')),
    gwc(l('e', 443, 'HTTPS', 'x.example.com')),
    gwc(l('f', 443, 'TLS', 'y.example.com')),
    gwc(l('g', 53, 'UDP')),
    gwc(l('h', 53, 'TCP')),
    gwc(l('i', 80, 'example.com/custom')),
  ]);
  // e (HTTPS) and f (TLS) share port 443: served by different sockets, so a ProtocolConflict.
  assert.deepEqual(reasons(out), ['HostnameConflict', 'HostnameConflict', null, null, 'ProtocolConflict', 'ProtocolConflict', null, null, null]);
});

test('a protocol conflict wins over a hostname conflict, and rejects every listener on the port', () => {
  const out = detectConflicts([gwc(l('a', 80, 'HTTP')), gwc(l('b', 80, 'HTTP')), gwc(l('t', 80, 'TCP'))]);
  assert.deepEqual(reasons(out), ['ProtocolConflict', 'ProtocolConflict', 'ProtocolConflict']);
});

test('ListenerSet listeners lose to earlier listeners, and rejected ones do not block later ones', () => {
  const out = detectConflicts([
    gwc(l('gw', 80, 'HTTP', 'gw.example.com')),
    lsc(l('ok', 80, 'HTTP', 'ls.example.com'), 'old'),
    lsc(l('tcp', 80, 'TCP'), 'old'),
    lsc(l('dup', 80, 'HTTP', 'gw.example.com'), 'old'),
    lsc(l('after-tcp', 80, 'HTTP', 'other.example.com'), 'old'),
    lsc(l('ok', 80, 'HTTP', 'ls.example.com'), 'new'),
  ]);
  assert.deepEqual(reasons(out), [null, null, 'ProtocolConflict', 'HostnameConflict', null, 'HostnameConflict']);
  assert.match(out[3]!.message, /Listener gw of Gateway ns\/gw/);
  assert.match(out[5]!.message, /Listener ok of ListenerSet ns\/old/);
});

test('validateListener: protocols and route kinds', () => {
  const http = validateListener(l('h', 80, 'HTTP'), OWNER, EMPTY_INDEX);
  assert.equal(http.accepted.status, 'True');
  assert.equal(http.notProgrammed, null);
  assert.deepEqual(http.supportedKinds, [
    { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' },
    { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute' },
  ]);

  const tcp = validateListener(l('t', 9000, 'TCP'), OWNER, EMPTY_INDEX);
  assert.equal(tcp.accepted.status, 'True');
  assert.deepEqual(tcp.supportedKinds, [{ group: 'gateway.networking.k8s.io', kind: 'TCPRoute' }]);

  const custom = validateListener(l('c', 9000, 'example.com/custom'), OWNER, EMPTY_INDEX);
  assert.equal(custom.accepted.reason, 'UnsupportedProtocol');
  assert.deepEqual(custom.supportedKinds, []);

  const tlsTcpKind = validateListener(
    { ...l('t', 443, 'TLS'), tls: { mode: 'Passthrough' }, allowedRoutes: { kinds: [{ kind: 'TCPRoute' }, { kind: 'TLSRoute' }] } },
    OWNER,
    EMPTY_INDEX,
  );
  assert.equal(tlsTcpKind.resolvedRefs.reason, 'InvalidRouteKinds', 'TCPRoute is not valid on TLS listeners (v1.5+)');
  assert.deepEqual(tlsTcpKind.supportedKinds, [{ group: 'gateway.networking.k8s.io', kind: 'TLSRoute' }]);

  const tlsWrongKind = validateListener(
    { ...l('t', 443, 'TLS'), tls: { mode: 'Passthrough' }, allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }] } },
    OWNER,
    EMPTY_INDEX,
  );
  assert.equal(tlsWrongKind.resolvedRefs.reason, 'InvalidRouteKinds');

  const kinds = validateListener(
    { ...l('k', 80, 'HTTP'), allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }, { kind: 'HTTPRoute' }, { group: '', kind: 'Service' }] } },
    OWNER,
    EMPTY_INDEX,
  );
  assert.equal(kinds.resolvedRefs.reason, 'InvalidRouteKinds');
  assert.deepEqual(kinds.supportedKinds, [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }]);
  assert.equal(kinds.notProgrammed, null, 'still serves its valid kinds');
});

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\nAAAA\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----\n';

test('PEM structure checks', () => {
  assert.ok(hasPemBlock(CERT, /CERTIFICATE/));
  assert.ok(!hasPemBlock(CERT, /PRIVATE KEY/));
  assert.ok(!hasPemBlock('Hello world', /CERTIFICATE/));
  assert.ok(!hasPemBlock('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----', /CERTIFICATE/), 'empty body');
  assert.ok(!hasPemBlock('-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----', /CERTIFICATE/), 'not base64');
  assert.ok(!hasPemBlock('-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----', /CERTIFICATE/), 'mismatched labels');
});

test('readTlsSecret: type, data (base64) and stringData', () => {
  const meta = { name: 's', namespace: 'ns' };
  const ok = readTlsSecret({ apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'kubernetes.io/tls', data: { 'tls.crt': btoa(CERT), 'tls.key': btoa(KEY) } });
  assert.deepEqual(ok, { certPem: CERT, keyPem: KEY });
  const plain = readTlsSecret({ apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'kubernetes.io/tls', stringData: { 'tls.crt': CERT, 'tls.key': KEY } });
  assert.equal(typeof plain, 'object');
  assert.match(String(readTlsSecret({ apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'Opaque', stringData: { 'tls.crt': CERT, 'tls.key': KEY } })), /not kubernetes\.io\/tls/);
  assert.match(String(readTlsSecret({ apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'kubernetes.io/tls', data: { 'tls.crt': btoa(CERT) } })), /tls\.key/);
  assert.match(String(readTlsSecret({ apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'kubernetes.io/tls', data: { 'tls.crt': btoa(KEY), 'tls.key': btoa(KEY) } })), /no PEM certificate/);
});

test('listener hostname specificity: exact, longer wildcards, shorter wildcards, any', () => {
  const sorted = ['', '*.example.com', 'a.example.com', '*.foo.example.com', 'b.example.com'].sort(compareHostnameSpecificity);
  assert.deepEqual(sorted, ['a.example.com', 'b.example.com', '*.foo.example.com', '*.example.com', '']);
});
