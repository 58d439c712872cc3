/**
 * Validation output is pinned byte for byte on a seeded set of mutated documents: every document
 * of the controller and loader golden inputs, each mutated a few ways (fields deleted, nulled,
 * given wrong types or bad strings, list entries duplicated, unknown keys added), then pruned,
 * defaulted and validated as the file loader does. The issues (path, message, severity) are kept
 * in full, the defaulted objects as a hash. The walks in ./defaults.ts and ./schema.ts and the
 * CEL value conversion in ./cel.ts are written for allocation (lazy paths, lazy conversion); this
 * shows they say exactly what the plain versions said. `UPDATE_GOLDEN=1` rewrites the fixture
 * (only ever from a commit whose output is known good).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { applyCoreDefaults, pruneAndDefault } from './defaults.js';
import { lookupKind, validateObject } from './schema.js';
import { prng } from '../../test/support/prng.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(here, 'testdata', 'validation-golden.json');
const INPUT_DIRS = [join(here, '../../test/golden/controller'), join(here, '../../test/golden/loader')];
const VARIANTS = 5;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Slot = { parent: Json[] | { [k: string]: Json }; key: string | number };

const BAD_VALUES: Json[] = [
  null, 0, -1, 70000, 1.5, true, '', 'Bad Value!', '/a//b', '/a/../b', '/a/./b', 'x%2Fy', '/#frag', 'UPPER',
  'x'.repeat(300), [], {}, ['a', 'a'], { name: 'n' }, 'RequestRedirect', 'URLRewrite', 'PathPrefix', 'Exact',
  'RegularExpression', 'Service', 'HTTPS', 'TLS', 'Passthrough', '1s', '10ms', '-1s', '::1', '10.0.0.1', 'a.b.c',
];
const ODD_KEYS = ['bogus', 'namespace', 'weird-key.x/y', 'x__y', 'in', 'port', 'group', 'kind', 'name'];

function slots(v: Json, out: Slot[]): Slot[] {
  if (Array.isArray(v)) v.forEach((c, i) => { out.push({ parent: v, key: i }); slots(c, out); });
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) { out.push({ parent: v, key: k }); slots(v[k]!, out); }
  return out;
}

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

function mutate(doc: Json, r: () => number): void {
  const all = slots(doc, []).filter((s) => !(s.parent === doc && (s.key === 'kind' || s.key === 'apiVersion')));
  if (all.length === 0) return;
  const s = pick(r, all);
  const p = s.parent as Record<string | number, Json>;
  const op = Math.floor(r() * 6);
  if (op === 0) {
    if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
    else delete p[s.key];
  } else if (op === 1 || op === 2) {
    p[s.key] = structuredClone(pick(r, BAD_VALUES));
  } else if (op === 3 && Array.isArray(s.parent)) {
    s.parent.push(structuredClone(s.parent[s.key as number]!));
  } else if (op === 4) {
    const target = p[s.key];
    if (target !== null && typeof target === 'object' && !Array.isArray(target)) target[pick(r, ODD_KEYS)] = structuredClone(pick(r, BAD_VALUES));
    else p[s.key] = structuredClone(pick(r, BAD_VALUES));
  } else {
    const v = p[s.key];
    if (typeof v === 'string') p[s.key] = pick(r, [v.toUpperCase(), `${v}//`, `/${v}`, `${v}-`, v.slice(1)]);
    else if (typeof v === 'number') p[s.key] = pick(r, [v * 1000, -v, v + 0.5]);
    else p[s.key] = null;
  }
}

function inputs(): Json[] {
  const docs: Json[] = [];
  for (const dir of INPUT_DIRS) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.in.yaml') || n === 'base.yaml').sort()) {
      for (const d of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
        const v = d.toJS() as Json;
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.kind === 'string' && typeof v.apiVersion === 'string') docs.push(v);
      }
    }
  }
  return docs;
}

/** What the loader keeps of one document: its issues, and a hash of the defaulted object. */
function outcome(doc: Json): string | null {
  const o = doc as { apiVersion: string; kind: string } & Record<string, unknown>;
  const found = lookupKind(o.apiVersion, o.kind);
  if (found.status !== 'ok') return null;
  const issues = pruneAndDefault(o, found.kind.schema);
  applyCoreDefaults(found.kind.kind, o);
  issues.push(...validateObject(o, found.kind));
  const hash = createHash('sha256').update(JSON.stringify(o)).digest('hex').slice(0, 16);
  return `${o.kind} ${hash}${issues.map((i) => `\n  ${i.severity} ${i.path}: ${i.message}`).join('')}`;
}

function run(): string[] {
  const out: string[] = [];
  inputs().forEach((doc, i) => {
    const plain = outcome(structuredClone(doc));
    if (plain !== null) out.push(plain);
    for (let v = 0; v < VARIANTS; v++) {
      const r = prng(i * 101 + v);
      const copy = structuredClone(doc);
      const n = 1 + Math.floor(r() * 3);
      for (let m = 0; m < n; m++) mutate(copy, r);
      const res = outcome(copy);
      if (res !== null) out.push(res);
    }
  });
  return out;
}

test('validation issues and defaulted objects are unchanged on seeded mutated documents', () => {
  const got = run();
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(FIXTURE, JSON.stringify(got, null, 0).replace(/","/g, '",\n"') + '\n');
  }
  assert.ok(existsSync(FIXTURE), `${FIXTURE} is missing (UPDATE_GOLDEN=1 writes it from this build)`);
  const want = JSON.parse(readFileSync(FIXTURE, 'utf8')) as string[];
  assert.ok(want.length > 1000, `only ${want.length} documents`);
  assert.ok(want.filter((w) => w.includes('\n  error')).length > 500, 'too few invalid documents to mean anything');
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.equal(got[i], want[i], `document ${i}`);
});
