import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerCertificate } from 'node:tls';
import type * as ir from '../../ir/types.js';
import { backendTLSConnectOptions, checkBackendIdentity, subjectAltNameEntries, tlsIdentity } from './tls.js';

/** Just the fields tls.checkServerIdentity reads. */
function cert(subjectaltname: string, cn = 'ignored.example.com'): PeerCertificate {
  return { subject: { CN: cn }, subjectaltname } as unknown as PeerCertificate;
}

function settings(partial: Partial<ir.BackendTLS>): ir.BackendTLS {
  return { serverName: 'api.example.com', caPems: ['CA'], subjectAltNames: [], clientCertificate: null, ...partial };
}

test("subjectaltname parsing: plain and JSON-quoted values, Node's separators", () => {
  assert.deepEqual(subjectAltNameEntries('DNS:a.example.com, URI:spiffe://x/y, IP Address:10.0.0.1'), [
    { type: 'DNS', value: 'a.example.com' },
    { type: 'URI', value: 'spiffe://x/y' },
    { type: 'IP Address', value: '10.0.0.1' },
  ]);
  assert.deepEqual(subjectAltNameEntries('URI:"spiffe://x/a, b", DNS:c.example.com'), [
    { type: 'URI', value: 'spiffe://x/a, b' },
    { type: 'DNS', value: 'c.example.com' },
  ]);
  assert.deepEqual(subjectAltNameEntries(''), []);
});

test('identity: the hostname without SANs; with SANs only the SANs (Hostname wildcard-aware, URI exact)', () => {
  const c = cert('DNS:api.example.com, DNS:*.svc.example.com, URI:spiffe://example.com/api');
  assert.equal(checkBackendIdentity(settings({}), c), undefined);
  assert.ok(checkBackendIdentity(settings({ serverName: 'other.example.com' }), c) instanceof Error);
  assert.equal(checkBackendIdentity(settings({ subjectAltNames: [{ type: 'Hostname', value: 'x.svc.example.com' }] }), c), undefined);
  assert.equal(checkBackendIdentity(settings({ subjectAltNames: [{ type: 'URI', value: 'spiffe://example.com/api' }] }), c), undefined);
  // SANs given and none matches: the hostname (which matches) must not be used.
  const err = checkBackendIdentity(settings({ subjectAltNames: [{ type: 'URI', value: 'spiffe://example.com/API' }] }), c);
  assert.ok(err instanceof Error);
  assert.equal((err as Error & { code?: string }).code, 'ERR_TLS_CERT_ALTNAME_INVALID');
});

test('connect options: SNI, CAs or system roots, client certificate, ALPN', () => {
  const o = backendTLSConnectOptions(settings({ clientCertificate: { name: 'ns/c', certPem: 'CERT', keyPem: 'KEY' } }), ['h2']);
  assert.equal(o.servername, 'api.example.com');
  assert.deepEqual(o.ca, ['CA']);
  assert.equal(o.cert, 'CERT');
  assert.equal(o.key, 'KEY');
  assert.deepEqual(o.ALPNProtocols, ['h2']);
  assert.equal(o.rejectUnauthorized, true);
  const system = backendTLSConnectOptions(settings({ caPems: 'system' }), ['http/1.1']);
  assert.equal(system.ca, undefined);
  assert.equal(system.cert, undefined);
});

test('the TLS identity key is stable for equal settings and differs when any setting changes', () => {
  const a = tlsIdentity(settings({}));
  assert.equal(tlsIdentity(settings({})), a);
  assert.notEqual(tlsIdentity(settings({ serverName: 'b.example.com' })), a);
  assert.notEqual(tlsIdentity(settings({ caPems: 'system' })), a);
  assert.notEqual(tlsIdentity(settings({ subjectAltNames: [{ type: 'URI', value: 'u:x' }] })), a);
  assert.notEqual(tlsIdentity(settings({ clientCertificate: { name: 'c', certPem: 'C', keyPem: 'K' } })), a);
});
