import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as api from '../api/types.js';
import { assignAddresses, validateSpecAddresses } from './addresses.js';

function gw(name: string, addresses?: api.GatewaySpecAddress[]): { key: string; gateway: api.Gateway } {
  const gateway: api.Gateway = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: 'ns' },
    spec: { gatewayClassName: 'c', listeners: [], ...(addresses ? { addresses } : {}) },
  };
  return { key: `ns/${name}`, gateway };
}

const loopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1';

test('validateSpecAddresses: only IPAddress with IP values', () => {
  assert.equal(validateSpecAddresses(gw('a').gateway), null);
  assert.equal(validateSpecAddresses(gw('a', [{ type: 'IPAddress' }, { value: '::1' }]).gateway), null);
  assert.match(validateSpecAddresses(gw('a', [{ type: 'Hostname', value: 'x.example.com' }]).gateway) ?? '', /type Hostname/);
  assert.match(validateSpecAddresses(gw('a', [{ type: 'NamedAddress', value: 'x' }]).gateway) ?? '', /type NamedAddress/);
  assert.match(validateSpecAddresses(gw('a', [{ type: 'IPAddress', value: 'nope' }]).gateway) ?? '', /not an IP address/);
});

test('assignAddresses: pool in order, kept addresses stay, no address twice', () => {
  const result = assignAddresses([gw('a'), gw('b', [{ type: 'IPAddress' }]), gw('c')], {
    pool: ['127.0.1.1', '127.0.1.2', '127.0.1.3'],
    assigned: { 'ns/c': ['127.0.1.1'], 'ns/gone': ['127.0.1.2'] },
    isUsable: loopback,
  });
  assert.deepEqual(result.byGateway.get('ns/c')?.addresses, ['127.0.1.1']);
  assert.deepEqual(result.byGateway.get('ns/a')?.addresses, ['127.0.1.2']);
  assert.deepEqual(result.byGateway.get('ns/b')?.addresses, ['127.0.1.3']);
  assert.deepEqual(result.assigned, { 'ns/a': ['127.0.1.2'], 'ns/b': ['127.0.1.3'], 'ns/c': ['127.0.1.1'] });
});

test('assignAddresses: exhausted pool and unusable pool entries', () => {
  const result = assignAddresses([gw('a'), gw('b')], {
    pool: ['127.0.1.1', '10.9.9.9'],
    assigned: {},
    isUsable: loopback,
  });
  assert.deepEqual(result.byGateway.get('ns/a'), { addresses: ['127.0.1.1'], problem: null });
  const b = result.byGateway.get('ns/b');
  assert.deepEqual(b?.addresses, []);
  assert.equal(b?.problem?.reason, 'AddressNotAssigned');
  assert.equal(b?.problem?.status, 'False');
  assert.equal(result.assigned['ns/b'], undefined);
});

test('assignAddresses: static addresses, unusable and taken', () => {
  const result = assignAddresses(
    [
      gw('bad', [{ type: 'IPAddress', value: '127.0.0.9' }, { type: 'IPAddress', value: '198.51.100.1' }]),
      gw('first', [{ type: 'IPAddress', value: '127.0.0.9' }, { type: 'IPAddress' }]),
      gw('second', [{ type: 'IPAddress', value: '127.0.0.9' }]),
    ],
    { pool: ['127.0.0.9', '127.0.1.1'], assigned: {}, isUsable: loopback },
  );
  assert.equal(result.byGateway.get('ns/bad')?.problem?.reason, 'AddressNotUsable');
  assert.match(result.byGateway.get('ns/bad')?.problem?.message ?? '', /198\.51\.100\.1/);
  // The unusable Gateway claims nothing; the static pool address is never handed out again.
  assert.deepEqual(result.byGateway.get('ns/first'), { addresses: ['127.0.0.9', '127.0.1.1'], problem: null });
  assert.equal(result.byGateway.get('ns/second')?.problem?.reason, 'AddressNotUsable');
  assert.match(result.byGateway.get('ns/second')?.problem?.message ?? '', /already used by Gateway ns\/first/);
});
