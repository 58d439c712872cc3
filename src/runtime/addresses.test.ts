import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ADDRESS_POOL, isBindableAddress, parseAddressPool } from './addresses.js';

test('a /24 CIDR expands to its 254 host addresses in order', () => {
  const pool = parseAddressPool(DEFAULT_ADDRESS_POOL);
  assert.equal(pool.length, 254);
  assert.equal(pool[0], '127.0.1.1');
  assert.equal(pool.at(-1), '127.0.1.254');
});

test('a /28 CIDR leaves out network and broadcast; /32 is one address', () => {
  assert.deepEqual(parseAddressPool('127.0.2.0/28'), Array.from({ length: 14 }, (_, i) => `127.0.2.${i + 1}`));
  assert.deepEqual(parseAddressPool('127.0.2.9/32'), ['127.0.2.9']);
  assert.deepEqual(parseAddressPool('10.0.0.5/30'), ['10.0.0.5', '10.0.0.6']);
});

test('a comma list keeps order, accepts IPv6 and drops duplicates', () => {
  assert.deepEqual(parseAddressPool('127.0.0.5, ::1,127.0.0.5'), ['127.0.0.5', '::1']);
});

test('bad pools are refused with a readable message', () => {
  assert.throws(() => parseAddressPool(''), /empty/);
  assert.throws(() => parseAddressPool('127.0.0.0/8'), /too large/);
  assert.throws(() => parseAddressPool('foo'), /not an IP/);
  assert.throws(() => parseAddressPool('127.0.0.0/33'), /at most 32/);
  assert.throws(() => parseAddressPool('::1/120'), /IPv4/);
});

test('loopback and local interface addresses are bindable, others are not; interfaces are read only for non-loopback ones', () => {
  let reads = 0;
  const local = (): Set<string> => {
    reads++;
    return new Set(['192.168.5.5']);
  };
  assert.equal(isBindableAddress('127.3.4.5', local), true);
  assert.equal(isBindableAddress('::1', local), true);
  assert.equal(reads, 0, 'loopback needs no interface list');
  assert.equal(isBindableAddress('192.168.5.5', local), true);
  assert.equal(isBindableAddress('192.168.5.6', local), false);
  assert.equal(isBindableAddress('not-an-ip', local), false);
  assert.equal(reads, 2);
});
