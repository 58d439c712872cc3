/**
 * Renders status objects (the /status shape) as readable tables for `waygate status`:
 * GatewayClasses, Gateways with their listeners, and routes per parent. Conditions in their
 * abnormal state (False, or True for the negative-polarity types) get a line with their reason
 * and message.
 */
import type { StatusObject } from '../runtime/status-objects.js';

interface Cond {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** Condition types where True is the bad state. */
const NEGATIVE = new Set(['Conflicted', 'PartiallyInvalid', 'Detached', 'Degraded']);

function isAbnormal(c: Cond): boolean {
  return NEGATIVE.has(c.type) ? c.status === 'True' : c.status !== 'True';
}

function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function conditions(v: unknown): Cond[] {
  return asArray(v).map((c) => {
    const r = asRecord(c);
    return {
      type: String(r['type'] ?? '?'),
      status: String(r['status'] ?? 'Unknown'),
      ...(typeof r['reason'] === 'string' ? { reason: r['reason'] } : {}),
      ...(typeof r['message'] === 'string' ? { message: r['message'] } : {}),
    };
  });
}

function summary(conds: Cond[]): string {
  return conds.length ? conds.map((c) => `${c.type}=${c.status}`).join(' ') : '-';
}

function statusOf(conds: Cond[], type: string): string {
  return conds.find((c) => c.type === type)?.status ?? '-';
}

function problems(conds: Cond[], indent: string): string[] {
  return conds.filter(isAbnormal).map((c) => `${indent}! ${c.type}=${c.status} ${c.reason ?? ''}${c.message ? `: ${c.message}` : ''}`);
}

/** Lays rows out in columns separated by two spaces. */
export function columns(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

function key(o: StatusObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

function renderGatewayClasses(list: StatusObject[]): string[] {
  const out = columns([['GATEWAYCLASS', 'CONTROLLER', 'ACCEPTED'], ...list.map((o) => {
    const conds = conditions(asRecord(o.status)['conditions']);
    return [key(o), String(asRecord(o.spec)['controllerName'] ?? '-'), statusOf(conds, 'Accepted')];
  })]);
  for (const o of list) {
    const p = problems(conditions(asRecord(o.status)['conditions']), '  ');
    if (p.length) out.push(`  ${key(o)}:`, ...p);
  }
  return out;
}

function renderGateway(o: StatusObject): string[] {
  const spec = asRecord(o.spec);
  const status = asRecord(o.status);
  const conds = conditions(status['conditions']);
  const addresses = asArray(status['addresses']).map((a) => String(asRecord(a)['value'] ?? '')).join(',') || '-';
  const out = columns([
    [o.kind.toUpperCase(), 'CLASS', 'ADDRESSES', 'ACCEPTED', 'PROGRAMMED'],
    [key(o), String(spec['gatewayClassName'] ?? '-'), addresses, statusOf(conds, 'Accepted'), statusOf(conds, 'Programmed')],
  ]);
  out.push(...problems(conds, '  '));
  const specListeners = new Map(asArray(spec['listeners']).map((l) => [String(asRecord(l)['name']), asRecord(l)]));
  const listeners = asArray(status['listeners']).map(asRecord);
  if (listeners.length) {
    const rows = [['LISTENER', 'PORT', 'PROTOCOL', 'HOSTNAME', 'ROUTES', 'CONDITIONS']];
    const notes: string[] = [];
    for (const l of listeners) {
      const name = String(l['name'] ?? '?');
      const sl = specListeners.get(name) ?? {};
      const lc = conditions(l['conditions']);
      rows.push([name, String(sl['port'] ?? '-'), String(sl['protocol'] ?? '-'), String(sl['hostname'] ?? '*'), String(l['attachedRoutes'] ?? 0), summary(lc)]);
      const p = problems(lc, '      ');
      if (p.length) notes.push(`    ${name}:`, ...p);
    }
    out.push(...columns(rows, '  '), ...notes);
  }
  return out;
}

function renderRoute(o: StatusObject): string[] {
  const hostnames = asArray(asRecord(o.spec)['hostnames']).map(String).join(',') || '*';
  const out = columns([[o.kind.toUpperCase(), 'HOSTNAMES'], [key(o), hostnames]]);
  const parents = asArray(asRecord(o.status)['parents']).map(asRecord);
  if (parents.length === 0) out.push('  (no parents accepted it)');
  for (const p of parents) {
    const ref = asRecord(p['parentRef']);
    const ns = ref['namespace'] ?? o.metadata.namespace;
    const target = `${String(ref['kind'] ?? 'Gateway')} ${ns ? `${String(ns)}/` : ''}${String(ref['name'] ?? '?')}`;
    const section = ref['sectionName'] !== undefined ? ` section ${String(ref['sectionName'])}` : '';
    const port = ref['port'] !== undefined ? ` port ${String(ref['port'])}` : '';
    const pc = conditions(p['conditions']);
    out.push(`  parent ${target}${section}${port}: ${summary(pc)}`, ...problems(pc, '    '));
  }
  return out;
}

function kindRank(kind: string): number {
  if (kind === 'Gateway') return 0;
  if (kind === 'ListenerSet') return 1;
  if (kind.endsWith('Route')) return 2;
  return 3;
}

/** Policies (BackendTLSPolicy) report per ancestor (`status.ancestors`); others top-level conditions. */
function renderOther(o: StatusObject): string[] {
  const status = asRecord(o.status);
  const ancestors = asArray(status['ancestors']).map(asRecord);
  if (ancestors.length === 0) {
    const conds = conditions(status['conditions']);
    return [`${o.kind.toUpperCase()} ${key(o)}: ${summary(conds)}`, ...problems(conds, '  ')];
  }
  const out = [`${o.kind.toUpperCase()} ${key(o)}`];
  for (const a of ancestors) {
    const ref = asRecord(a['ancestorRef']);
    const ns = ref['namespace'] ?? o.metadata.namespace;
    const target = `${String(ref['kind'] ?? 'Gateway')} ${ns ? `${String(ns)}/` : ''}${String(ref['name'] ?? '?')}`;
    const ac = conditions(a['conditions']);
    out.push(`  ancestor ${target}: ${summary(ac)}`, ...problems(ac, '    '));
  }
  return out;
}

/** The whole report, ending with a newline; "No objects." when empty. */
export function renderStatusTable(objects: readonly StatusObject[]): string {
  if (objects.length === 0) return 'No objects with status (no GatewayClass with our controllerName?).\n';
  const blocks: string[][] = [];
  const classes = objects.filter((o) => o.kind === 'GatewayClass');
  if (classes.length) blocks.push(renderGatewayClasses(classes));
  const sorted = [...objects].sort((a, b) => kindRank(a.kind) - kindRank(b.kind));
  for (const o of sorted) {
    if (o.kind === 'GatewayClass') continue;
    if (o.kind === 'Gateway' || o.kind === 'ListenerSet') blocks.push(renderGateway(o));
    else if (o.kind.endsWith('Route')) blocks.push(renderRoute(o));
    else blocks.push(renderOther(o));
  }
  return `${blocks.map((b) => b.join('\n')).join('\n\n')}\n`;
}
