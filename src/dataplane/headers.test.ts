import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstHeader, forwardableHeaders, isHopByHop, rawResponseHeaders, responseHeadersFromRaw } from './headers.js';

test('isHopByHop: the RFC 9110 list, proxy-*, expect and http2-settings; nothing else', () => {
  for (const n of ['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings', 'proxy-authorization', 'proxy-x']) {
    assert.equal(isHopByHop(n), true, n);
  }
  for (const n of ['host', 'content-length', 'content-type', 'cookie', 'trailers', 'tes', 'connections', 'proxy', 'x-upgrade', 'keep', 'expects', 'etag', '']) {
    assert.equal(isHopByHop(n), false, n);
  }
});

test('forwardableHeaders drops hop-by-hop and Connection-named headers, joins cookies, keeps repeats', () => {
  const h = forwardableHeaders(['Host', 'a', 'Connection', 'close, X-Drop', 'X-Drop', '1', 'TE', 'trailers', 'Cookie', 'a=1', 'cookie', 'b=2', 'X-R', '1', 'x-r', '2', 'Host', 'b']);
  assert.deepEqual({ ...h }, { host: 'a', cookie: 'a=1; b=2', 'x-r': ['1', '2'] });
});

test('firstHeader is case-insensitive and takes the first occurrence', () => {
  assert.equal(firstHeader(['HOST', 'a', 'host', 'b'], 'host'), 'a');
  assert.equal(firstHeader(['X', '1'], 'host'), null);
});

test('raw response headers: hop-by-hop dropped, repeats kept, bytes unchanged', () => {
  const raw = ['Content-Length', '2', 'Connection', 'keep-alive', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-N', 'caf\xe9', 'Transfer-Encoding', 'chunked'].map((s) => Buffer.from(s, 'latin1'));
  assert.deepEqual(rawResponseHeaders(raw), ['Content-Length', '2', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-N', 'caf\xe9']);
  assert.deepEqual({ ...responseHeadersFromRaw(raw) }, { 'content-length': '2', 'set-cookie': ['a=1', 'b=2'], 'x-n': 'caf\xe9' });
});
