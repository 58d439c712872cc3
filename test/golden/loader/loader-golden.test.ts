/**
 * Loader golden cases: `<case>.in.yaml` → `<case>.issues.yaml` (the issues, and the keys of the
 * objects kept; the full objects when the first document is `kind: TestOptions` with
 * `showObjects: true`). `UPDATE_GOLDEN=1` rewrites the expected files.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { loadTexts } from '../../../src/source/file/load.js';

const here = dirname(fileURLToPath(import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

/** Blanks a leading TestOptions document (keeping the `---`, so document numbers stay). */
function takeOptions(text: string): { text: string; showObjects: boolean } {
  const sep = /^---[ \t]*$/m.exec(text);
  if (!sep) return { text, showObjects: false };
  const first = parse(text.slice(0, sep.index)) as { kind?: string; showObjects?: boolean } | null;
  if (first?.kind !== 'TestOptions') return { text, showObjects: false };
  return { text: `# TestOptions\n${text.slice(sep.index)}`, showObjects: first.showObjects === true };
}

const cases = readdirSync(here)
  .filter((f) => f.endsWith('.in.yaml'))
  .map((f) => f.slice(0, -'.in.yaml'.length))
  .sort();

test('there are loader golden cases', () => {
  assert.ok(cases.length >= 15, `found only ${cases.length} cases`);
});

for (const name of cases) {
  test(`loader golden: ${name}`, () => {
    const raw = readFileSync(join(here, `${name}.in.yaml`), 'utf8');
    const { text, showObjects } = takeOptions(raw);
    const result = loadTexts([{ file: `${name}.in.yaml`, text }]);
    const out = {
      issues: result.issues.map((i) => ({ ...i })),
      objects: showObjects
        ? result.objects
        : result.objects.map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`),
    };
    const actual = stringify(out, { lineWidth: 0 });
    const expectedPath = join(here, `${name}.issues.yaml`);
    if (update) {
      writeFileSync(expectedPath, actual);
      return;
    }
    let expected: string;
    try {
      expected = readFileSync(expectedPath, 'utf8');
    } catch {
      assert.fail(`missing ${name}.issues.yaml; run with UPDATE_GOLDEN=1 to create it`);
    }
    assert.equal(actual, expected);
  });
}
