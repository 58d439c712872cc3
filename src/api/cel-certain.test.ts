import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { routeManifest, scaleRoutes, yamlStream } from '../../bench/lib/manifests.js';
import { loadText } from '../source/file/load.js';
import { certainPassFor } from './cel-certain.js';
import { celInterpreterEvaluations, compileUncached, isTransitionRule } from './cel.js';
import type { CelRule } from './crds/crd-types.js';
import { listCrdRules } from './schema.js';

const show = (v: unknown): string => inspect(v, { depth: 12, breakLength: Infinity });

const MACROS = new Set(['all', 'exists', 'exists_one', 'filter', 'size', 'matches', 'contains', 'startsWith', 'endsWith']);

/** What a field of the rule is used as, guessed from the rule text. */
type Shape = 'map' | 'list' | 'number' | 'string';

/** Field names the rule mentions, each with the shape it is used as. */
function fieldShapes(source: string): Map<string, Shape> {
  const out = new Map<string, Shape>();
  for (const m of source.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = m[1]!;
    if (MACROS.has(name) || out.has(name)) continue;
    const esc = `\\.${name}\\b`;
    let shape: Shape = 'string';
    if (new RegExp(`${esc}(\\[|\\.(all|exists|exists_one|filter|size)\\()`).test(source) || new RegExp(`size\\([^()]*${esc}\\)`).test(source)) shape = 'list';
    else if (new RegExp(`${esc}\\.(?!(all|exists|exists_one|filter|size|matches|contains|startsWith|endsWith)\\()[A-Za-z_]`).test(source)) shape = 'map';
    else if (new RegExp(`${esc}\\s*(==|!=|<=|>=|<|>)\\s*\\d`).test(source) || new RegExp(`\\d\\s*(==|!=|<=|>=|<|>)\\s*[A-Za-z0-9_.]*${esc}`).test(source) || /^(port|numerator|denominator|percent)$/.test(name)) shape = 'number';
    out.set(name, shape);
  }
  return out;
}

/**
 * Random values shaped like what the rule sees: maps with the field names the rule mentions
 * (mostly of the type the rule uses them as, sometimes of another type, sometimes missing),
 * lists of such maps with duplicates, strings from the rule's own literals.
 */
function generatorFor(source: string, rand: () => number): () => unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const shapes = fieldShapes(source);
  const strings = [...new Set([...[...source.matchAll(/'([^'\\]*)'|"([^"\\]*)"/g)].map((m) => m[1] ?? m[2] ?? ''), '', 'a', 'b', 'é😀'])];
  const numbers = [...new Set([...[...source.matchAll(/\b(\d+)\b/g)].map((m) => Number(m[1])), 0, 1, 80, 1.5])];
  const scalar = (): unknown => pick<() => unknown>([() => pick(strings), () => pick(numbers), () => rand() < 0.5, () => null, () => pick(strings)])();
  const valueOf = (shape: Shape, depth: number): unknown => {
    if (rand() < 0.12) return rand() < 0.7 || depth > 3 ? scalar() : rand() < 0.5 ? mapOf(depth + 1) : listOf(depth + 1); // a wrong type
    if (shape === 'string') return pick(strings);
    if (shape === 'number') return pick(numbers);
    if (depth > 3) return scalar();
    return shape === 'map' ? mapOf(depth + 1) : listOf(depth + 1);
  };
  const mapOf = (depth: number): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (const [name, shape] of shapes) {
      const r = rand();
      if (r < 0.3) continue;
      o[name] = r < 0.31 ? undefined : valueOf(shape, depth);
    }
    return o;
  };
  const listOf = (depth: number): unknown[] => {
    const pool = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => (rand() < 0.9 ? mapOf(depth) : scalar()));
    return Array.from({ length: Math.floor(rand() * 4) }, () => (rand() < 0.3 ? structuredClone(pick(pool)) : pick(pool)));
  };
  const selfIsList = /^!?\(?self\.(all|exists|exists_one|filter)\(/.test(source);
  return () => valueOf(selfIsList ? 'list' : 'map', 0);
}

test('certain passes answer true only where CEL passes, and every outcome equals CEL alone (all CRD rules they accept)', () => {
  let seed = 23;
  const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const rules = new Map<string, CelRule>();
  for (const { rule } of listCrdRules()) if (!isTransitionRule(rule) && certainPassFor(rule.rule) !== undefined) rules.set(rule.rule, rule);
  // The listed HTTPRoute rules alone are 26; matches(), duration(), isIP(), `+` and split() are left to CEL.
  assert.ok(rules.size >= 60, `only ${rules.size} rules accepted`);
  let certainTotal = 0;
  let passTotal = 0;
  for (const rule of rules.values()) {
    const certain = certainPassFor(rule.rule)!;
    const combined = compileUncached(rule, true);
    const plain = compileUncached(rule, false);
    const gen = generatorFor(rule.rule, rand);
    let certainTrue = 0;
    let pass = 0;
    let other = 0;
    for (let i = 0; i < 2000; i++) {
      const self = gen();
      const want = plain.evaluate(self);
      const sure = certain(self);
      if (sure) {
        certainTrue += 1;
        assert.equal(want.status, 'pass', `certain pass, yet CEL says ${JSON.stringify(want)}: ${rule.rule} on ${show(self)}`);
      }
      assert.deepEqual(combined.evaluate(self), want, `${rule.rule} on ${show(self)}`);
      if (want.status === 'pass') pass += 1;
      else other += 1;
    }
    assert.ok(certainTrue > 0, `the certain pass never answered: ${rule.rule}`);
    assert.ok(pass > 0 && other > 0, `CEL gave ${pass} passes and ${other} other outcomes: ${rule.rule}`);
    certainTotal += certainTrue;
    passTotal += pass;
  }
  // Most passes on these (often ill-typed) values are answered without the interpreter.
  assert.ok(certainTotal > passTotal * 0.5, `certain ${certainTotal} of ${passTotal} passes`);
});

test('rules outside the subset get no certain pass; ill-typed values are never certain', () => {
  for (const source of ["self.matches('^a$')", 'self.a + 1 > 2', "duration(self) > duration('1s')", 'self.a == null', "self.exists(k, v, v == 'x')", 'self.a == 1u', "self.a.?b == 'x'", 'x == 1']) {
    assert.equal(certainPassFor(source), undefined, source);
  }
  const ne = certainPassFor("self.type != 'CORS'")!;
  assert.equal(ne({ type: 'URLRewrite' }), true);
  assert.equal(ne({ type: 'CORS' }), false);
  assert.equal(ne({ type: 3 }), false, 'CEL says true here (different types), but that is not modelled');
  assert.equal(ne({}), false, 'missing field: CEL errors');
  assert.equal(ne({ type: undefined }), false);
  assert.equal(ne(new Map([['type', 'x']])), false);
  const has = certainPassFor('!has(self.cors)')!;
  assert.equal(has({}), true);
  assert.equal(has([]), false, 'has() on a list');
  assert.equal(has({ cors: undefined }), false);
  const size = certainPassFor('size(self) == 2')!;
  assert.equal(size('é😀'), true, 'code points');
  assert.equal(size([1, 2]), true);
  assert.equal(size({ a: 1, b: 2 }), false, 'size of a map is not modelled');
  const all = certainPassFor("self.all(x, x.a == 'y')")!;
  assert.equal(all([{ a: 'y' }, { a: 'y' }]), true);
  // eslint-disable-next-line no-sparse-arrays
  assert.equal(all([{ a: 'y' }, , { a: 'y' }]), false, 'a hole in the list');
  assert.equal(all([{ a: 'y' }, {}]), false);
  const guard = certainPassFor("!has(self.a) || self.a.b == 'x'")!;
  assert.equal(guard({}), true, '`true || x` is true whatever x is');
  // The library types the operands of `in` and the argument of cel.ts's k8sHasField (a `has()`
  // on a non-identifier target) deeply: an unknown value anywhere down the first entries errs.
  for (const [source, self] of [
    ['!(self.m in [])', { m: { a: undefined } }],
    ['has(self[0].f)', [{ x: undefined, f: 1 }]],
  ] as const) {
    assert.equal(compileUncached({ rule: source }, false).evaluate(self).status, 'error', source);
    assert.equal(certainPassFor(source)!(self), false, source);
  }
  assert.equal(certainPassFor('!(self.m in [])')!({ m: { a: [1] } }), true);
  assert.equal(certainPassFor('has(self[0].f)')!([{ x: [null], f: 1 }]), true);
  const shadow = certainPassFor("self.all(f, f.all(f, f == 'a') && f.exists(g, g == 'a'))")!;
  assert.equal(shadow([['a'], ['a', 'a']]), true);
  assert.equal(shadow([['a'], ['b']]), false);
});

test('the bench routes are validated with at most 2 rule evaluations per route left to the CEL interpreter', () => {
  const text = yamlStream(scaleRoutes(100, 'backend').map((r) => routeManifest({ ...r, setHeader: { name: 'x-churn', value: 'certain-pass-test' } })));
  const before = celInterpreterEvaluations();
  const load = loadText('routes.yaml', text);
  const evaluations = celInterpreterEvaluations() - before;
  assert.equal(load.objects.length, 100);
  assert.deepEqual(load.issues, []);
  assert.ok(evaluations <= 200, `${evaluations} rule evaluations went to the CEL interpreter`);
  // The counter counts: a filter whose type does not match its field is left to CEL, which rejects it.
  const broken = routeManifest({ ...scaleRoutes(1, 'backend')[0]!, setHeader: { name: 'x', value: '1' } }).replace('- type: RequestHeaderModifier', '- type: CORS');
  const again = celInterpreterEvaluations();
  const bad = loadText('broken.yaml', broken);
  assert.ok(celInterpreterEvaluations() > again);
  assert.equal(bad.objects.length, 0);
  assert.ok(bad.issues.some((i) => /CORS|cors/.test(i.message)), JSON.stringify(bad.issues));
});
