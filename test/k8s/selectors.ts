/**
 * Label and field selectors as the API server parses them: `a=b,c!=d,e in (x,y),f notin (z),g,!h`
 * for labels; `metadata.name=x,metadata.namespace!=y` (and a few kind-specific fields) for fields.
 */

/** A parsed selector: a predicate over an object. */
export type Selector = (obj: Record<string, unknown>) => boolean;

type Labels = Record<string, string>;

/** Splits on commas outside parentheses. */
function splitTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

/** Parses a label selector; throws on syntax the API server would reject. */
export function parseLabelSelector(text: string | null): Selector {
  if (!text) return () => true;
  const tests: ((l: Labels) => boolean)[] = [];
  for (const term of splitTerms(text)) {
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      const key = m[1]!;
      const values = m[3]!.split(',').map((v) => v.trim());
      const notin = m[2] === 'notin';
      tests.push((l) => (notin ? !(key in l) || !values.includes(l[key]!) : key in l && values.includes(l[key]!)));
    } else if ((m = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$/.exec(term))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      tests.push((l) => (op === '!=' ? l[key] !== value : l[key] === value));
    } else if ((m = /^!([^\s!=]+)$/.exec(term))) {
      const key = m[1]!;
      tests.push((l) => !(key in l));
    } else if (/^[^\s!=(),]+$/.test(term)) {
      tests.push((l) => term in l);
    } else {
      throw new Error(`unable to parse requirement: ${term}`);
    }
  }
  return (obj) => {
    const labels = ((obj['metadata'] as Record<string, unknown> | undefined)?.['labels'] ?? {}) as Labels;
    return tests.every((t) => t(labels));
  };
}

/** Reads a dotted field path (`metadata.name`, `type`, `spec.nodeName`). */
function fieldValue(obj: Record<string, unknown>, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

const FIELDS = new Set(['metadata.name', 'metadata.namespace', 'type', 'spec.nodeName', 'status.phase', 'spec.controllerName']);

/** Parses a field selector; unknown fields are rejected as the API server does. */
export function parseFieldSelector(text: string | null): Selector {
  if (!text) return () => true;
  const tests: ((o: Record<string, unknown>) => boolean)[] = [];
  for (const term of splitTerms(text)) {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new Error(`invalid field selector: ${term}`);
    const [, field, op, value] = m as unknown as [string, string, string, string];
    if (!FIELDS.has(field)) throw new Error(`field label not supported: ${field}`);
    tests.push((o) => (op === '!=' ? fieldValue(o, field) !== value : fieldValue(o, field) === value));
  }
  return (obj) => tests.every((t) => t(obj));
}
