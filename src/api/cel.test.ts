import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRule, compileUncached, escapePropertyName, fastPassFor, isTransitionRule, rewriteRuleSource, toCelValue } from './cel.js';
import type { CelRule, SchemaNode } from './crds/crd-types.js';
import { listCrdRules } from './schema.js';

test('every CEL rule of every imported CRD compiles and type-checks', () => {
  const rules = listCrdRules();
  // The imported CRDs carry well over 300 rule instances; a sudden drop means the import broke.
  assert.ok(rules.length > 300, `only ${rules.length} rules found`);
  const failures: string[] = [];
  let transition = 0;
  for (const { kind, apiVersion, path, rule } of rules) {
    if (isTransitionRule(rule)) {
      transition += 1;
      continue;
    }
    try {
      compileRule(rule);
    } catch (err) {
      failures.push(`${apiVersion} ${kind} ${path}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  assert.deepEqual(failures, []);
  // Only `self == oldSelf` immutability rules are transition rules; they are skipped for files.
  assert.ok(transition > 0 && transition < 20, `transition rules: ${transition}`);
  for (const { rule } of rules) if (isTransitionRule(rule)) assert.match(rule.rule, /oldSelf/);
});

test('has() on a non-identifier operand is rewritten to the k8sHasField shim', () => {
  assert.equal(rewriteRuleSource('has(self[0].matches)'), "k8sHasField(self[0], 'matches')");
  assert.equal(rewriteRuleSource('has(self.a.b)'), 'has(self.a.b)');
  assert.equal(rewriteRuleSource("'has(x[0].y)' == s"), "'has(x[0].y)' == s", 'string literals are left alone');
  const r = compileRule({ rule: '(self.size() > 0 && has(self[0].matches)) ? self[0].matches.size() == 2 : false', message: 'm' });
  assert.deepEqual(r.evaluate([{ matches: [1, 2] }]), { status: 'pass' });
  assert.deepEqual(r.evaluate([{}]), { status: 'fail', message: 'm' });
});

test('matches() understands the RE2 (?i) flag', () => {
  const r = compileRule({ rule: "self.matches(r'''^(?i)[a-z]+$''')", message: 'letters only' });
  assert.deepEqual(r.evaluate('MixedCase'), { status: 'pass' });
  assert.deepEqual(r.evaluate('digits9'), { status: 'fail', message: 'letters only' });
});

test('property names are escaped as the API server escapes them', () => {
  assert.equal(escapePropertyName('namespace'), '__namespace__');
  assert.equal(escapePropertyName('a-b.c/d'), 'a__dash__b__dot__c__slash__d');
  assert.equal(escapePropertyName('plain'), 'plain');
  const schema = { type: 'object' as const, properties: { namespace: { type: 'string' as const }, labels: { type: 'object' as const, additionalProperties: { type: 'string' as const } } } };
  assert.deepEqual(toCelValue({ namespace: 'ns', labels: { 'a.b/c': 'x' } }, schema), { __namespace__: 'ns', labels: { 'a.b/c': 'x' } });
  const r = compileRule({ rule: "self.__namespace__ == 'ns'", message: 'm' });
  assert.deepEqual(r.evaluate(toCelValue({ namespace: 'ns' }, schema)), { status: 'pass' });
});

test('a rule that cannot be evaluated is an error outcome, not an exception', () => {
  const r = compileRule({ rule: "self.value.startsWith('/')", message: 'must start with /' });
  const out = r.evaluate({});
  assert.equal(out.status, 'error');
  assert.match(out.status === 'error' ? out.message : '', /^must start with \/ \(rule could not be evaluated/);
});

test('messageExpression is used for the message when it evaluates', () => {
  const r = compileRule({ rule: 'self.size() < 2', messageExpression: "'too many: ' + string(self.size())", message: 'fallback' });
  assert.deepEqual(r.evaluate([1, 2, 3]), { status: 'fail', message: 'too many: 3' });
});

test('isIP shim (syntax itself: ip-syntax.test.ts)', () => {
  const r = compileRule({ rule: 'self.all(h, !isIP(h))', message: 'Hostnames cannot contain an IP' });
  assert.deepEqual(r.evaluate(['example.com']), { status: 'pass' });
  assert.deepEqual(r.evaluate(['example.com', '10.0.0.1']), { status: 'fail', message: 'Hostnames cannot contain an IP' });
});

/** toCelValue as it was before copy on write: always a fresh copy (the reference). */
function plainToCelValue(value: unknown, schema: SchemaNode | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => plainToCelValue(v, schema?.items));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  const props = schema?.properties;
  const extra = typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (props) out[escapePropertyName(key)] = plainToCelValue(v, props[key]);
    else out[key] = plainToCelValue(v, extra);
  }
  return out;
}

test('toCelValue (copy on write) equals a full copy, never changes its input, and shares what needs no escaping', () => {
  let seed = 7;
  const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const KEYS = ['name', 'namespace', 'in', 'a-b', 'x.y/z', 'p__q', 'plain', 'items', 'port'];
  const schemaOf = (depth: number): SchemaNode | undefined => {
    const r = rand();
    if (depth > 3 || r < 0.15) return undefined;
    if (r < 0.35) return { type: 'array', items: schemaOf(depth + 1) ?? {} };
    if (r < 0.5) return { type: 'object', additionalProperties: schemaOf(depth + 1) ?? { type: 'string' } };
    const properties: Record<string, SchemaNode> = {};
    for (const k of KEYS) if (rand() < 0.5) properties[k] = schemaOf(depth + 1) ?? { type: 'string' };
    return { type: 'object', properties };
  };
  const valueOf = (depth: number): unknown => {
    const r = rand();
    if (depth > 4 || r < 0.3) return pick(['s', 1, true, null, '']);
    if (r < 0.55) return Array.from({ length: Math.floor(rand() * 3) }, () => valueOf(depth + 1));
    const o: Record<string, unknown> = {};
    for (const k of KEYS) if (rand() < 0.35) o[k] = valueOf(depth + 1);
    return o;
  };
  let shared = 0;
  let copied = 0;
  for (let i = 0; i < 3000; i++) {
    const schema = schemaOf(0);
    const value = valueOf(0);
    const before = structuredClone(value);
    const got = toCelValue(value, schema);
    const want = plainToCelValue(value, schema);
    assert.deepEqual(got, want, `case ${i}`);
    assert.deepEqual(Object.keys(got ?? {}), Object.keys(want ?? {}), `key order, case ${i}`);
    assert.deepEqual(value, before, `input changed, case ${i}`);
    if (value !== null && typeof value === 'object') {
      if (JSON.stringify(want) === JSON.stringify(value)) {
        assert.equal(got, value, `nothing to escape, yet copied: case ${i}`);
        shared += 1;
      } else {
        assert.notEqual(got, value);
        copied += 1;
      }
    }
  }
  assert.ok(shared > 300 && copied > 300, `shared ${shared}, copied ${copied}`);
});

test('a compiled rule evaluated many times gives each value its own outcome (shared context and pass outcome)', () => {
  const r = compileRule({ rule: "self.startsWith('/')", message: 'absolute', messageExpression: "'not absolute: ' + self" });
  assert.deepEqual(r.evaluate('/a'), { status: 'pass' });
  assert.deepEqual(r.evaluate('b'), { status: 'fail', message: 'not absolute: b' });
  assert.deepEqual(r.evaluate('/c'), { status: 'pass' });
  assert.equal(r.evaluate(3).status, 'error');
  assert.deepEqual(r.evaluate('d'), { status: 'fail', message: 'not absolute: d' });
});

test('fast passes answer only where CEL passes: every outcome equals CEL alone on random values', () => {
  let seed = 11;
  const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const maybe = (o: Record<string, unknown>, key: string, v: unknown): void => {
    if (rand() < 0.9) o[key] = v;
  };
  const PIECES = ['/', 'a', 'B9', '//', '/./', '/../', '%2f', '%2F', '%41', '%zz', '#', '/..', '/.', ' ', 'é', '?', '~'];
  const TYPES = ['Exact', 'PathPrefix', 'RegularExpression', 'Other'];
  const str = (): string => Array.from({ length: Math.floor(rand() * 5) }, () => pick(PIECES)).join('');
  const scalar = (): unknown => pick([str(), 7, true, null, [], {}]);
  const pathValue = (): unknown => {
    if (rand() < 0.05) return scalar();
    const o: Record<string, unknown> = {};
    maybe(o, 'type', rand() < 0.9 ? pick(TYPES) : scalar());
    maybe(o, 'value', rand() < 0.9 ? (rand() < 0.5 ? `/${str()}` : str()) : scalar());
    return o;
  };
  const routeRules = (): unknown => {
    if (rand() < 0.05) return scalar();
    const big = rand() < 0.3;
    return Array.from({ length: Math.floor(rand() * 20) }, () => {
      if (rand() < 0.03) return scalar();
      const o: Record<string, unknown> = {};
      maybe(o, 'matches', rand() < 0.95 ? Array.from({ length: Math.floor(rand() * (big ? 40 : 4)) }, () => ({})) : scalar());
      return o;
    });
  };
  const rules = new Map<string, { rule: CelRule; gen: () => unknown }>();
  for (const { rule } of listCrdRules()) {
    if (rules.has(rule.rule) || fastPassFor(rule.rule) === undefined) continue;
    const gen = rule.rule.startsWith('(self.size()') ? routeRules : pathValue;
    rules.set(rule.rule, { rule, gen });
  }
  assert.equal(rules.size, 11, 'path value checks (10), total matches (1); the rest go to cel-certain.ts');
  for (const { rule, gen } of rules.values()) {
    const fast = compileUncached(rule, true);
    const plain = compileUncached(rule, false);
    const seenStatus = new Set<string>();
    for (let i = 0; i < 1500; i++) {
      const self = gen();
      const want = plain.evaluate(self);
      assert.deepEqual(fast.evaluate(self), want, `${rule.rule} on ${JSON.stringify(self)}`);
      seenStatus.add(want.status);
    }
    assert.ok(seenStatus.has('pass') && seenStatus.has('fail') && seenStatus.has('error'), `${rule.rule}: saw only ${[...seenStatus].join(', ')}`);
  }
});
