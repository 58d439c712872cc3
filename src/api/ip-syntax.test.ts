import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPAddress, isIPv4, isIPv6 } from './ip-syntax.js';

test('IPv4: dotted quad, no leading zeros', () => {
  for (const ok of ['1.2.3.4', '127.0.0.1', '0.0.0.0', '255.255.255.255']) assert.ok(isIPv4(ok), ok);
  for (const bad of ['01.2.3.4', '256.1.1.1', '1.2.3', '1.2.3.4.5', 'a.b.c.d', '']) assert.ok(!isIPv4(bad), bad);
});

test('IPv6: with or without an IPv4 tail, no zones, no brackets', () => {
  const ok = ['::1', '::', 'fe80::1', '2001:db8::', '2001:db8::8:800:200c:417a', '1:2:3:4:5:6:7:8', '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4'];
  for (const ip of ok) assert.ok(isIPv6(ip), ip);
  const bad = ['1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1', '1:2:3:4:5:6:7', 'fe80::1%eth0', '[::1]', '12345::', '12345::1', '1:2:3:4:5:6:7:1.2.3.4', 'example.com', '1.2.3.4'];
  for (const ip of bad) assert.ok(!isIPv6(ip), ip);
});

test('isIPAddress: either family', () => {
  assert.ok(isIPAddress('10.0.0.1'));
  assert.ok(isIPAddress('::1'));
  assert.ok(!isIPAddress('example.com'));
});
