import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRule, escapePropertyName, isTransitionRule, rewriteRuleSource, toCelValue } from './cel.js';
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
