import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as ir from '../../ir/types.js';
import { compileStreamServer, pickBackend, selectListener, selectRoute } from './compile.js';
import { hashKey } from './udp-listener.js';

function backend(name: string, weight: number): ir.Backend {
  return { kind: 'service', name, weight, protocol: 'http1', tls: null, endpoints: [{ address: '10.0.0.1', port: 1 }], requestFilters: [], redirect: null, responseHeaders: null };
}

function route(name: string, hostnames: string[], backends: ir.Backend[] = [backend(name, 1)]): ir.StreamRoute {
  return { name, route: `ns/${name}`, hostnames, backends };
}

function server(protocol: 'TLS' | 'TCP', listeners: ir.StreamListener[]): ir.Server {
  return { name: 's', gateway: 'ns/gw', address: '127.0.0.1', port: 0, protocol, listeners: [], streamListeners: listeners };
}

function listener(name: string, hostname: string | null, routes: ir.StreamRoute[], mode: ir.StreamListener['mode'] = 'passthrough'): ir.StreamListener {
  return { name, hostname, port: 443, mode, tls: null, routes };
}

test('SNI selects the most specific listener, then the route (exact, longest wildcard, any; oldest first)', () => {
  const s = compileStreamServer(
    server('TLS', [
      listener('exact', 'a.example.com', [route('ra', ['a.example.com'])]),
      listener('wild', '*.example.com', [route('old', ['*.example.com']), route('new', ['*.example.com', 'b.example.com']), route('deep', ['*.x.example.com'])]),
      listener('any', null, [route('fallback', [])]),
    ]),
  );
  assert.equal(selectListener(s, 'a.example.com')?.name, 'exact');
  const wild = selectListener(s, 'c.example.com')!;
  assert.equal(wild.name, 'wild');
  assert.equal(selectRoute(wild, 'c.example.com')?.name, 'old', 'the oldest route wins a shared hostname');
  assert.equal(selectRoute(wild, 'b.example.com')?.name, 'new', 'an exact hostname beats wildcards');
  assert.equal(selectRoute(wild, 'y.x.example.com')?.name, 'deep', 'the longest wildcard wins');
  assert.equal(selectListener(s, 'other.org')?.name, 'any');
  assert.equal(selectListener(s, null)?.name, 'any', 'no SNI: the hostname-less listener');
  assert.equal(selectRoute(selectListener(s, 'a.example.com')!, 'a.example.com')?.name, 'ra');
});

test('TCP listeners serve the oldest route; weights and rejected shares', () => {
  const s = compileStreamServer(
    server('TCP', [listener('tcp', null, [route('first', [], [backend('x', 3), backend('zero', 0), { kind: 'invalid', name: 'bad', weight: 1, status: 500, reason: 'BackendNotFound' }]), route('second', [])], 'tcp')]),
  );
  const l = selectListener(s, null)!;
  const r = selectRoute(l, 'ignored')!;
  assert.equal(r.name, 'first');
  assert.equal(pickBackend(r, () => 0)?.name, 'x');
  assert.equal(pickBackend(r, () => 0.74)?.name, 'x');
  assert.equal(pickBackend(r, () => 0.76)?.name, 'bad');
  assert.equal(pickBackend(compileStreamServer(server('TCP', [listener('t', null, [route('empty', [], [])], 'tcp')])).listeners.any!.first!, () => 0.5), null);
});

test('UDP session hash spreads client keys evenly and is stable', () => {
  assert.equal(hashKey('127.0.0.1|5000'), hashKey('127.0.0.1|5000'));
  let low = 0;
  for (let port = 30000; port < 32000; port++) if (hashKey(`127.0.0.1|${port}`) / 2 ** 32 < 0.7) low++;
  assert.ok(Math.abs(low / 2000 - 0.7) < 0.03, `share ${low / 2000}`);
});
