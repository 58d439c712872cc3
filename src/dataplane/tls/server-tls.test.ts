import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type * as ir from '../../ir/types.js';
import { nameMatchScore } from './cert-names.js';
import { admitConnection, compileServerTLS, selectCertificate, selectTLSListener } from './server-tls.js';
import { makeCert } from '../../../test/conformance/certs.js';

const wildcard = makeCert({ commonName: 'wild', sans: { dns: ['*.example.com'] } });
const exact = makeCert({ commonName: 'exact', sans: { dns: ['a.example.com'] } });
const other = makeCert({ commonName: 'other', sans: { dns: ['other.test'] } });

function server(listeners: { name: string; hostname: string | null; certs: { certPem: string; keyPem: string }[] }[]): ir.Server {
  return {
    name: 's',
    gateway: 'ns/gw',
    address: '127.0.0.1',
    port: 443,
    protocol: 'HTTPS',
    streamListeners: [],
    listeners: listeners.map((l) => ({
      name: l.name,
      hostname: l.hostname,
      port: 443,
      scheme: 'https',
      rules: [],
      virtualHosts: [],
      tls: { certificates: l.certs.map((c, i) => ({ name: `ns/${l.name}-${i}`, ...c })), clientValidation: null, minVersion: 'TLSv1.2', ciphers: null },
    })),
  };
}

test('name scores: exact beats wildcard, wildcard covers one label', () => {
  assert.ok(nameMatchScore('a.example.com', 'a.example.com') > nameMatchScore('*.example.com', 'a.example.com'));
  assert.ok(nameMatchScore('*.example.com', 'a.example.com') > 0);
  assert.equal(nameMatchScore('*.example.com', 'a.b.example.com'), 0);
  assert.equal(nameMatchScore('*.example.com', 'example.com'), 0);
});

test('listener by SNI, certificate by best SAN, fallback without SNI', () => {
  const t = compileServerTLS(
    server([
      { name: 'wild', hostname: '*.example.com', certs: [{ certPem: wildcard.cert, keyPem: wildcard.key }, { certPem: exact.cert, keyPem: exact.key }] },
      { name: 'any', hostname: null, certs: [{ certPem: other.cert, keyPem: other.key }] },
    ]),
  );
  assert.deepEqual(t.problems, []);
  const wild = selectTLSListener(t, 'a.example.com');
  assert.equal(wild?.listener, 'wild');
  assert.equal(selectCertificate(wild!, 'a.example.com')?.name, 'ns/wild-1');
  assert.equal(selectCertificate(wild!, 'b.example.com')?.name, 'ns/wild-0');
  assert.equal(selectTLSListener(t, 'x.test')?.listener, 'any');
  assert.equal(selectTLSListener(t, undefined)?.listener, 'any');
  assert.equal(t.requestCert, false);
});

test('a key that does not belong to its certificate is skipped with a problem, not thrown', () => {
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const t = compileServerTLS(
    server([{ name: 'l', hostname: null, certs: [{ certPem: wildcard.cert, keyPem: stranger }, { certPem: other.cert, keyPem: other.key }] }]),
  );
  assert.equal(t.problems.length, 1);
  assert.match(t.problems[0]!, /ns\/l-0/);
  assert.equal(selectTLSListener(t, 'a.example.com')?.certificates.length, 1);
  assert.notEqual(t.defaultOptions, null);
});

test('admitConnection: AllowValidOnly needs an authorized client, minimum version is enforced', () => {
  const base = { listener: 'l', hostname: null, certificates: [], minVersion: 'TLSv1.2' as const };
  assert.equal(admitConnection({ ...base, clientValidation: { caPems: ['x'], mode: 'AllowValidOnly' } }, false, 'TLSv1.3'), false);
  assert.equal(admitConnection({ ...base, clientValidation: { caPems: ['x'], mode: 'AllowValidOnly' } }, true, 'TLSv1.3'), true);
  assert.equal(admitConnection({ ...base, clientValidation: { caPems: ['x'], mode: 'AllowInsecureFallback' } }, false, 'TLSv1.2'), true);
  assert.equal(admitConnection({ ...base, minVersion: 'TLSv1.3', clientValidation: null }, true, 'TLSv1.2'), false);
  assert.equal(admitConnection(null, true, 'TLSv1.3'), false);
});
