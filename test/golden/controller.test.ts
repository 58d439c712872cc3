/**
 * Golden tests of the controller: test/golden/controller/<case>.in.yaml → <case>.out.yaml.
 *
 * Each input is multi-document Kubernetes YAML. An optional first document of
 * `kind: TestOptions` sets knobs:
 *
 *   kind: TestOptions
 *   controllerName: waygate.dev/gateway-controller   # default
 *   pool: [127.0.1.1, 127.0.1.2]                      # address pool, default 127.0.1.1-4
 *   usable: [127.0.0.1]                               # usable IPs; default: 127.0.0.0/8 and ::1
 *   assigned: {ns/gw: [127.0.1.2]}                    # addresses kept from a previous pass
 *   base: false                                       # skip base.yaml (default: merged)
 *
 * base.yaml (shared fixtures: our GatewayClass, namespaces) is merged into every case unless
 * the case says `base: false`. CRD defaults are applied when the schema modules load.
 * The output is `{statuses: {'Kind/ns/name': status}, ir}` as YAML with sorted keys.
 * `UPDATE_GOLDEN=1` rewrites the outputs; review every changed .out.yaml by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import type { KubeObject } from '../../src/api/types.js';
import { buildSnapshot } from '../../src/source/snapshot.js';
import { translate, type TranslateResult } from '../../src/controller/translate.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'controller');
const NOW = '2026-01-01T00:00:00Z';
const DEFAULT_CONTROLLER = 'waygate.dev/gateway-controller';
const DEFAULT_POOL = ['127.0.1.1', '127.0.1.2', '127.0.1.3', '127.0.1.4'];
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

interface TestOptions {
  controllerName?: string;
  pool?: string[];
  usable?: string[];
  assigned?: Record<string, string[]>;
  base?: boolean;
}

type Defaulter = (obj: KubeObject) => void;

/** CRD defaulting from src/api when it loads; inputs are written defaulted either way. */
async function loadDefaulter(): Promise<Defaulter | null> {
  try {
    const schema = (await import('../../src/api/schema.js')) as {
      lookupKind: (apiVersion: string, kind: string) => { status: string; kind?: { schema: unknown } };
    };
    const defaults = (await import('../../src/api/defaults.js')) as {
      applyDefaults: (value: unknown, schema: never) => void;
    };
    return (obj) => {
      const hit = schema.lookupKind(obj.apiVersion, obj.kind);
      if (hit.status === 'ok' && hit.kind) defaults.applyDefaults(obj, hit.kind.schema as never);
    };
  } catch {
    return null;
  }
}

function parseDocs(text: string, file: string): Record<string, unknown>[] {
  const docs: Record<string, unknown>[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value !== null && typeof value === 'object') docs.push(value as Record<string, unknown>);
  }
  return docs;
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

/** Runs one case: returns the serialised output and the raw result. */
function runCase(input: string, base: string | null, defaulter: Defaulter | null): { yaml: string; result: TranslateResult } {
  const docs = parseDocs(input, 'input');
  let options: TestOptions = {};
  if (docs[0]?.['kind'] === 'TestOptions') options = docs.shift() as TestOptions;
  const objects = [...(options.base === false || base === null ? [] : parseDocs(base, 'base.yaml')), ...docs] as unknown as KubeObject[];
  if (defaulter) for (const obj of objects) defaulter(obj);
  const usable = options.usable;
  const result = translate(buildSnapshot(objects), {
    controllerName: options.controllerName ?? DEFAULT_CONTROLLER,
    now: NOW,
    addresses: {
      pool: options.pool ?? DEFAULT_POOL,
      assigned: options.assigned ?? {},
      isUsable: (ip) => (usable ? usable.includes(ip) : isLoopback(ip)),
    },
  });
  const statuses: Record<string, unknown> = {};
  for (const s of result.statuses) {
    statuses[s.namespace === null ? `${s.kind}/${s.name}` : `${s.kind}/${s.namespace}/${s.name}`] = s.status;
  }
  const out: Record<string, unknown> = { statuses, ir: result.ir };
  if (Object.keys(result.assigned).length > 0) out['assigned'] = result.assigned;
  return { yaml: stringify(out, { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false }), result };
}

/** A small line diff (LCS), enough for golden files of a few hundred lines. */
function lineDiff(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      out.push(`+ ${b[j]}   (line ${j + 1})`);
      j++;
    } else {
      out.push(`- ${a[i]}   (line ${i + 1})`);
      i++;
    }
  }
  return out.join('\n');
}

const cases = existsSync(DIR)
  ? readdirSync(DIR).filter((f) => f.endsWith('.in.yaml')).map((f) => f.slice(0, -'.in.yaml'.length)).sort()
  : [];
const basePath = join(DIR, 'base.yaml');
const base = existsSync(basePath) ? readFileSync(basePath, 'utf8') : null;
const defaulter = await loadDefaulter();

for (const name of cases) {
  test(`controller golden: ${name}`, () => {
    const input = readFileSync(join(DIR, `${name}.in.yaml`), 'utf8');
    const { yaml: actual } = runCase(input, base, defaulter);
    // translate is deterministic: a second pass over the same input gives the same output.
    assert.equal(runCase(input, base, defaulter).yaml, actual, 'translate is not deterministic');
    const outPath = join(DIR, `${name}.out.yaml`);
    if (UPDATE || !existsSync(outPath)) {
      writeFileSync(outPath, actual);
      if (!UPDATE) assert.fail(`${name}.out.yaml did not exist; wrote it — review it and rerun`);
      return;
    }
    const expected = readFileSync(outPath, 'utf8');
    if (expected !== actual) {
      assert.fail(`${name}: output differs from ${name}.out.yaml (UPDATE_GOLDEN=1 rewrites):\n${lineDiff(expected, actual)}`);
    }
  });
}
