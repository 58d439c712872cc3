import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, errorFields, isLogLevel } from './log.js';

const clock = () => new Date('2026-01-01T00:00:00.000Z');

test('json format: one object per line with time, level, msg, bound and call fields', () => {
  const lines: string[] = [];
  const log = createLogger({ format: 'json', level: 'debug', clock, write: (l) => lines.push(l) }).child({ component: 'x' });
  log.debug('hello', { n: 1 });
  assert.equal(lines.length, 1);
  assert.ok(lines[0]!.endsWith('\n'));
  assert.deepEqual(JSON.parse(lines[0]!), { time: '2026-01-01T00:00:00.000Z', level: 'debug', msg: 'hello', component: 'x', n: 1 });
});

test('text format: key=value, quoting values with spaces, indented stack', () => {
  const lines: string[] = [];
  const log = createLogger({ format: 'text', clock, write: (l) => lines.push(l) });
  log.error('boom', { file: 'a b.yaml', count: 2, ...errorFields(new Error('bad')) });
  const [first, ...rest] = lines[0]!.split('\n');
  assert.equal(first, '2026-01-01T00:00:00.000Z ERROR boom file="a b.yaml" count=2 error=bad');
  assert.match(rest[0]!, /^ {4}Error: bad/);
});

test('records below the level are dropped; enabled() reports it', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'warn', write: (l) => lines.push(l) });
  log.info('no');
  log.debug('no');
  log.warn('yes');
  assert.equal(lines.length, 1);
  assert.equal(log.enabled('info'), false);
  assert.equal(log.enabled('error'), true);
  assert.equal(isLogLevel('warn'), true);
  assert.equal(isLogLevel('verbose'), false);
});
