import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRegex, convertMatches, normalizePrefix } from './route-matches.js';

test('checkRegex: accepts the common RE2/JavaScript subset', () => {
  for (const re of ['/foo/[0-9]+', '^/api/v[12]/.*$', '/(a|b)/c', '(?:abc)+', '(?<id>[a-z]+)', '[(a+)+]', '\\(a+\\)+', 'https?://', '(ab)?c', '/x{2,3}', '/api\\-v1']) {
    assert.equal(checkRegex(re), null, re);
  }
});

test('checkRegex: refuses what RE2 or JavaScript lacks, and nested quantifiers', () => {
  const cases: [string, RegExp][] = [
    ['(?=foo)', /lookaround/i],
    ['(?<!foo)bar', /lookaround/i],
    ['(a)\\1', /backreferences/i],
    ['(?<n>a)\\k<n>', /backreferences/i],
    ['(?P<name>a)', /named groups/i],
    ['(?i)abc', /not a supported regular expression/],
    ['(a+)+', /nested quantifiers/],
    ['(\\w*)*$', /nested quantifiers/],
    ['((a|b)+c)+', /nested quantifiers/],
    ['(.*a){10,}', /nested quantifiers/],
    ['([', /not a supported regular expression/],
    ['a'.repeat(1025), /longer than 1024/],
  ];
  for (const [re, why] of cases) assert.match(checkRegex(re) ?? 'accepted', why, re.slice(0, 40));
});

test('normalizePrefix: element-wise prefixes lose trailing slashes, root stays', () => {
  assert.equal(normalizePrefix('/match/'), '/match');
  assert.equal(normalizePrefix('/a//'), '/a');
  assert.equal(normalizePrefix('/'), '/');
  assert.equal(normalizePrefix('/abc'), '/abc');
});

test('convertMatches: defaults, header name case, first duplicate wins, methods', () => {
  assert.deepEqual(convertMatches(undefined, 'spec.rules[0]').matches, [
    { path: { type: 'PathPrefix', value: '/' }, method: null, headers: [], queryParams: [] },
  ]);
  const { matches, problems } = convertMatches(
    [
      {
        path: { type: 'PathPrefix', value: '/v2/' },
        method: 'POST',
        headers: [
          { name: 'X-Version', value: 'a' },
          { name: 'x-version', value: 'b' },
          { name: 'X-Re', type: 'RegularExpression', value: '^v[0-9]+$' },
        ],
        queryParams: [
          { name: 'Animal', value: 'Whale' },
          { name: 'animal', value: 'dolphin' },
          { name: 'Animal', value: 'shark' },
        ],
      },
      { path: { type: 'Exact', value: '/exact/' } },
    ],
    'spec.rules[0]',
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(matches, [
    {
      path: { type: 'PathPrefix', value: '/v2' },
      method: 'POST',
      headers: [
        { name: 'x-version', type: 'Exact', value: 'a' },
        { name: 'x-re', type: 'RegularExpression', value: '^v[0-9]+$' },
      ],
      queryParams: [
        { name: 'Animal', type: 'Exact', value: 'Whale' },
        { name: 'animal', type: 'Exact', value: 'dolphin' },
      ],
    },
    { path: { type: 'Exact', value: '/exact/' }, method: null, headers: [], queryParams: [] },
  ]);
});

test('convertMatches: problems name the field path', () => {
  const { problems } = convertMatches(
    [{ path: { type: 'Glob', value: '/*' } }, { headers: [{ name: 'a', type: 'RegularExpression', value: '(a+)+' }] }],
    'spec.rules[2]',
  );
  assert.deepEqual(
    problems.map((p) => p.message),
    [
      'Path match type "Glob" is not supported (spec.rules[2].matches[0].path.type).',
      'Nested quantifiers such as (a+)+ are not supported (spec.rules[2].matches[1].headers[0].value).',
    ],
  );
});
