import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Io } from './args.js';
import { parseByteSizeFlag, parseCountFlag, parsePositiveDurationMs } from './limit-flags.js';
import { main } from './main.js';

test('limit flags: sizes with binary suffixes, counts, non-zero durations', () => {
  assert.equal(parseByteSizeFlag('64Mi', '--x'), 64 * 1024 * 1024);
  assert.equal(parseByteSizeFlag('512KiB', '--x'), 512 * 1024);
  assert.equal(parseByteSizeFlag('1gi', '--x'), 1024 ** 3);
  assert.equal(parseByteSizeFlag('1048576', '--x'), 1048576);
  for (const bad of ['0', '64M', '-1', '1.5Mi', 'big', '']) assert.throws(() => parseByteSizeFlag(bad, '--x'), /--x must be a size/, bad);
  assert.equal(parseCountFlag('1024', '--n'), 1024);
  for (const bad of ['0', '-3', '1e3', 'many']) assert.throws(() => parseCountFlag(bad, '--n'), /--n must be a positive whole number/, bad);
  assert.equal(parsePositiveDurationMs('15s', '--d'), 15_000);
  assert.throws(() => parsePositiveDurationMs('0s', '--d'), /--d must be more than 0/);
});

function capture(): Io & { stderr: string } {
  const io = { stderr: '', out: () => undefined, err: (t: string) => { io.stderr += t; } };
  return io;
}

test('stream limit flags: bad values are usage errors (2) naming the flag', async () => {
  const proxy = ['proxy', '--controller', 'http://127.0.0.1:1', '--gateway', 'a/b', '--token-file', '/nonexistent'];
  const cases: [string[], RegExp][] = [
    [[...proxy, '--stream-max-line', '64MB'], /waygate proxy: --stream-max-line must be a size/],
    [[...proxy, '--stream-idle-timeout', '0'], /waygate proxy: --stream-idle-timeout must be more than 0/],
    [[...proxy, '--stream-connect-timeout', 'soon'], /waygate proxy: --stream-connect-timeout must be a duration/],
    [['controller', '--stream-max-connections', '0'], /waygate controller: --stream-max-connections must be a positive whole number/],
    [['controller', '--stream-max-buffered', 'lots'], /waygate controller: --stream-max-buffered must be a size/],
    [['controller', '--stream-heartbeat', '60s', '--stream-idle-timeout', '60s'], /--stream-heartbeat must be shorter than --stream-idle-timeout/],
  ];
  for (const [argv, want] of cases) {
    const io = capture();
    assert.equal(await main(argv, io), 2, argv.join(' '));
    assert.match(io.stderr, want);
  }
});
