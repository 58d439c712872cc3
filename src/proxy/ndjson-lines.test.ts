import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter, LineTooLongError } from './ndjson-lines.js';

function split(max: number, chunks: readonly (string | Buffer)[]): string[] {
  const out: string[] = [];
  const s = new LineSplitter(max, (l) => out.push(l));
  for (const c of chunks) s.push(typeof c === 'string' ? Buffer.from(c) : c);
  return out;
}

test('line splitter: lines across chunks, several per chunk, CRLF and empty lines', () => {
  assert.deepEqual(split(100, ['{"a":', '1}\n{}\n{"b"', ':2}\r\n', '\n', 'tail without newline']), ['{"a":1}', '{}', '{"b":2}', '']);
});

test('line splitter: a UTF-8 character split across two chunks stays whole', () => {
  const bytes = Buffer.from('{"h":"é€"}\n');
  assert.deepEqual(split(100, [bytes.subarray(0, 7), bytes.subarray(7, 9), bytes.subarray(9)]), ['{"h":"é€"}']);
});

test('line splitter: a line of exactly the bound passes, one byte more throws before its newline arrives', () => {
  assert.deepEqual(split(5, ['abc', 'de\n']), ['abcde']);
  const out: string[] = [];
  const s = new LineSplitter(5, (l) => out.push(l));
  s.push(Buffer.from('ok\nabc'));
  assert.throws(() => s.push(Buffer.from('def')), (e: unknown) => e instanceof LineTooLongError && e.maxLineBytes === 5);
  assert.deepEqual(out, ['ok']);
  s.push(Buffer.from('\nmore\n')); // a failed splitter takes nothing more
  assert.deepEqual(out, ['ok']);
});
