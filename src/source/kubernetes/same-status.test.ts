import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameStatus } from './same-status.js';

/** The rule written the simple way: canonical JSON without lastTransitionTime, lists sorted. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => JSON.stringify(canonical(v))).sort();
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) if (k !== 'lastTransitionTime') out[k] = canonical((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}
const reference = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a ?? {})) === JSON.stringify(canonical(b ?? {}));

const cond = (type: string, status: string, time: string, gen = 1) => ({ type, status, reason: type, message: '', observedGeneration: gen, lastTransitionTime: time });
const parent = (name: string, controllerName: string, conditions: unknown[]) => ({ parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name }, controllerName, conditions });

test('sameStatus: times and list order do not count; generations, statuses and entries do', () => {
  const ours = parent('gw', 'waygate.dev/gateway-controller', [cond('Accepted', 'True', 't1'), cond('ResolvedRefs', 'True', 't1')]);
  const theirs = parent('gw', 'example.com/other', [cond('Accepted', 'False', 't0')]);
  const a = { parents: [theirs, ours] };
  assert.ok(sameStatus(a, { parents: [ours, theirs] }));
  assert.ok(sameStatus(a, { parents: [theirs, parent('gw', 'waygate.dev/gateway-controller', [cond('ResolvedRefs', 'True', 't9'), cond('Accepted', 'True', 't9')])] }));
  assert.ok(!sameStatus(a, { parents: [theirs, parent('gw', 'waygate.dev/gateway-controller', [cond('Accepted', 'True', 't1', 2), cond('ResolvedRefs', 'True', 't1')])] }));
  assert.ok(!sameStatus(a, { parents: [ours] }));
  assert.ok(!sameStatus(a, { parents: [ours, ours] }));
  assert.ok(sameStatus(undefined, {}));
  assert.ok(sameStatus({ parents: [], extra: undefined }, { parents: [] }));
  assert.ok(!sameStatus({ parents: [] }, {}));
});

test('sameStatus agrees with canonical JSON on random statuses', () => {
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const leaf = (): unknown => [1, 2, 'a', 'b', true, null, '1'][rnd(7)];
  const value = (depth: number): unknown => {
    const k = depth > 2 ? 0 : rnd(4);
    if (k === 0) return leaf();
    if (k === 1) return Array.from({ length: rnd(4) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (const key of ['type', 'status', 'lastTransitionTime', 'conditions'].filter(() => rnd(2) === 0)) o[key] = value(depth + 1);
    return o;
  };
  /** A variant of v: same up to times and order, or perhaps changed somewhere. */
  const variant = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      const out = v.map(variant);
      if (out.length > 1 && rnd(2) === 0) out.push(out.shift());
      if (rnd(8) === 0) out.pop();
      return out;
    }
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = k === 'lastTransitionTime' ? `t${rnd(3)}` : variant(x);
      if (rnd(10) === 0) out['status'] = leaf();
      return out;
    }
    return rnd(12) === 0 ? leaf() : v;
  };
  let same = 0;
  for (let i = 0; i < 5000; i++) {
    const a = value(0);
    const b = variant(a);
    const want = reference(a, b);
    if (want) same++;
    assert.equal(sameStatus(a, b), want, JSON.stringify([a, b]));
  }
  assert.ok(same > 1000 && same < 4500, `both outcomes exercised (${same} same of 5000)`);
});
