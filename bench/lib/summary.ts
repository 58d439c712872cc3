/** Renders a run's results as the markdown summary written next to the JSON. */
import type { RunResults, Table } from './results.js';

/** Formats one cell: integers with thousands separators, others to 2 significant decimals. */
export function formatCell(v: string | number | null): string {
  if (v === null) return 'n/a';
  if (typeof v === 'string') return v.replace(/\|/g, '\\|');
  if (!Number.isFinite(v)) return 'n/a';
  const abs = Math.abs(v);
  if (Number.isInteger(v) || abs >= 100) return Math.round(v).toLocaleString('en-US');
  if (abs >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** A markdown table (GitHub flavour). */
export function renderTable(t: Table): string {
  const lines = [`**${t.title}**`, '', `| ${t.headers.join(' | ')} |`, `|${t.headers.map(() => '---').join('|')}|`];
  for (const row of t.rows) lines.push(`| ${row.map(formatCell).join(' | ')} |`);
  return lines.join('\n');
}

/** The whole summary: run facts, then one section per scenario. */
export function renderSummary(r: RunResults): string {
  const m = r.meta;
  const out: string[] = [
    `# waygate benchmark — ${m.startedAt}${m.smoke ? ' (smoke: harness check only, numbers meaningless)' : ''}`,
    '',
    `- command: \`${m.command}\``,
    `- rounds: ${m.rounds}, window: ${m.durationS} s, steal limit per round: ${Math.round(m.maxSteal * 100)}%`,
    `- cores: ${m.cores}; pinning: ${m.cpuPlan}`,
    `- versions: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- waygate: ${m.waygate}`,
  ];
  if (m.installNotes.length > 0) out.push(`- tools: ${m.installNotes.join('; ')} (${m.installSeconds.toFixed(1)} s)`);
  out.push('');
  for (const s of r.scenarios) {
    out.push(`## ${s.name} — ${s.status} (${s.seconds.toFixed(1)} s)`, '');
    for (const n of s.notes) out.push(`- ${n}`);
    if (s.notes.length > 0) out.push('');
    for (const t of s.tables) out.push(renderTable(t), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
