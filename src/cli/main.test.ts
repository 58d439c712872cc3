import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Io } from './args.js';
import { main } from './main.js';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '../../examples/basic');

function capture(): Io & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => { io.stdout += t; }, err: (t: string) => { io.stderr += t; } };
  return io;
}

test('no command or an unknown one is a usage error (2); --help is 0', async () => {
  let io = capture();
  assert.equal(await main([], io), 2);
  assert.match(io.stderr, /Usage: waygate <command>/);
  io = capture();
  assert.equal(await main(['nope'], io), 2);
  assert.match(io.stderr, /unknown command "nope"/);
  io = capture();
  assert.equal(await main(['--help'], io), 0);
  assert.match(io.stdout, /serve/);
  io = capture();
  assert.equal(await main(['serve', '--help'], io), 0);
  assert.match(io.stdout, /--admin-allow-remote/);
});

test('flag errors name the command and exit 2', async () => {
  let io = capture();
  assert.equal(await main(['validate'], io), 2);
  assert.match(io.stderr, /waygate validate: -f DIR is required/);
  io = capture();
  assert.equal(await main(['validate', '-f', EXAMPLE, '--bogus'], io), 2);
  assert.match(io.stderr, /Unknown option '--bogus'/);
  io = capture();
  assert.equal(await main(['status', '-f', EXAMPLE, '-o', 'xml'], io), 2);
  assert.match(io.stderr, /-o must be yaml or json/);
  io = capture();
  assert.equal(await main(['serve', '-f', EXAMPLE, '--grace-period', 'soon'], io), 2);
  assert.match(io.stderr, /--grace-period must be a duration/);
  // Address, pool and log flags of every command: a usage error naming the flag, not a crash.
  io = capture();
  assert.equal(await main(['proxy', '--controller', 'http://127.0.0.1:1', '--gateway', 'a/b', '--token-file', '/nonexistent', '--admin-address', 'bogus'], io), 2);
  assert.match(io.stderr, /waygate proxy: --admin-address: "bogus" is not host:port/);
  io = capture();
  assert.equal(await main(['proxy', '--controller', 'http://127.0.0.1:1', '--gateway', 'a/b', '--token-file', '/nonexistent', '--log-format', 'xml'], io), 2);
  assert.match(io.stderr, /--log-format must be text or json/);
  io = capture();
  assert.equal(await main(['controller', '--stream-address', '1.2.3.4'], io), 2);
  assert.match(io.stderr, /waygate controller: --stream-address: /);
  io = capture();
  assert.equal(await main(['status', '--admin-address', 'x:99999'], io), 2);
  assert.match(io.stderr, /--admin-address: "x:99999": port must be at most 65535/);
  io = capture();
  assert.equal(await main(['validate', '-f', EXAMPLE, '--address-pool', 'not-a-cidr'], io), 2);
  assert.match(io.stderr, /waygate validate: --address-pool: /);
});

test('validate and status -f on the example: summary, JSON List, table', async () => {
  let io = capture();
  assert.equal(await main(['validate', '-f', EXAMPLE], io), 0, io.stderr);
  assert.match(io.stdout, /HTTPRoute: 2/);
  assert.match(io.stdout, /0 errors, 0 warnings/);
  io = capture();
  assert.equal(await main(['status', '-f', EXAMPLE, '-o', 'json'], io), 0, io.stderr);
  const list = JSON.parse(io.stdout) as { kind: string; items: { kind: string }[] };
  assert.equal(list.kind, 'List');
  assert.deepEqual(list.items.map((i) => i.kind).sort(), ['Gateway', 'GatewayClass', 'HTTPRoute', 'HTTPRoute']);
  io = capture();
  assert.equal(await main(['status', '-f', EXAMPLE], io), 0);
  assert.match(io.stdout, /^infra\/example\s+waygate\s+127\.0\.1\.10\s+True\s+True$/m);
});

test('status without a running serve fails with a readable message (1)', async () => {
  const io = capture();
  assert.equal(await main(['status', '--admin-address', '127.0.0.1:1', '--timeout', '2s'], io), 1);
  assert.match(io.stderr, /cannot read http:\/\/127\.0\.0\.1:1\/status/);
});

test('proxy: the stream token never goes in clear to a non-loopback controller unless allowed', async () => {
  const { checkStreamUrl } = await import('./commands/proxy.js');
  assert.doesNotThrow(() => checkStreamUrl('https://controller.waygate-system:9443', false));
  assert.doesNotThrow(() => checkStreamUrl('http://127.0.0.1:9443', false));
  assert.doesNotThrow(() => checkStreamUrl('http://[::1]:9443', false));
  assert.throws(() => checkStreamUrl('http://10.0.0.5:9443', false), /plain HTTP to a non-loopback host/);
  // A name that merely starts with 127. is not loopback.
  assert.throws(() => checkStreamUrl('http://127.example.com:9443', false), /plain HTTP to a non-loopback host/);
  assert.doesNotThrow(() => checkStreamUrl('http://10.0.0.5:9443', true));
  assert.throws(() => checkStreamUrl('ftp://x', false), /https/);
});
