import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overlaps, parseListenerTLSOptions } from './listener-tls.js';

test('tls.options: defaults, waygate keys, unknown keys ignored, bad values rejected', () => {
  assert.deepEqual(parseListenerTLSOptions(undefined), { ok: true, options: { minVersion: 'TLSv1.2', ciphers: null } });
  assert.deepEqual(parseListenerTLSOptions({ 'waygate.dev/min-version': '1.3', 'example.com/x': 'y' }), {
    ok: true,
    options: { minVersion: 'TLSv1.3', ciphers: null },
  });
  assert.deepEqual(parseListenerTLSOptions({ 'waygate.dev/ciphers': 'ECDHE-RSA-AES128-GCM-SHA256:!aNULL' }), {
    ok: true,
    options: { minVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:!aNULL' },
  });
  assert.equal(parseListenerTLSOptions({ 'waygate.dev/min-version': '1.0' }).ok, false);
  assert.equal(parseListenerTLSOptions({ 'waygate.dev/ciphers': 'AES128;rm -rf' }).ok, false);
  assert.equal(parseListenerTLSOptions({ 'waygate.dev/ciphers': '' }).ok, false);
});

test('overlapping listener hostnames', () => {
  const cases: [string, string, boolean][] = [
    ['', 'a.example.com', true],
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', '*.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['a.example.com', 'b.example.com', false],
    ['*.example.com', '*.example.org', false],
    ['a.example.com', 'a.example.com', false],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(overlaps(a, b), want, `${a} vs ${b}`);
    assert.equal(overlaps(b, a), want, `${b} vs ${a}`);
  }
});
