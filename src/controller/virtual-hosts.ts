/**
 * Per-listener virtual hosts: the IR `rules` list and `virtualHosts` that point into it.
 *
 * Every effective hostname any attached route serves becomes a virtual host (`*` for routes that
 * serve any host). A virtual host collects every (rule, match) of every route whose hostnames
 * cover its name — an exact `a.example.com` also collects routes serving `*.example.com` and
 * `*`; a wildcard collects broader wildcards and `*` — ordered by precedence.ts. A request uses
 * the first virtual host matching its Host, so merging the broader routes in keeps them
 * reachable from the narrower names.
 */
import type * as ir from '../ir/types.js';
import type { ListenerNode } from './model.js';
import { servesHostname } from './hostnames.js';
import { compareEntries, compareVirtualHostNames, computeHostnamePrecedence, type PrecedenceEntry } from './precedence.js';

/** Builds the IR rules and virtual hosts of one listener from its route attachments. */
export function buildVirtualHosts(listener: ListenerNode): { rules: ir.Rule[]; virtualHosts: ir.VirtualHost[] } {
  const rules: ir.Rule[] = [];
  const ruleIndex = new Map<string, number>();
  const names = new Set<string>();
  for (const att of listener.attachments) {
    if (att.hostnames.length === 0) names.add('*');
    for (const h of att.hostnames) names.add(h.toLowerCase());
    for (const r of att.rules) {
      if (ruleIndex.has(r.rule.name)) continue;
      ruleIndex.set(r.rule.name, rules.length);
      rules.push(r.rule);
    }
  }

  const byHostname = indexByHostname(listener.attachments);
  const virtualHosts: ir.VirtualHost[] = [];
  for (const hostname of [...names].sort(compareVirtualHostNames)) {
    const entries: (PrecedenceEntry & { rule: number })[] = [];
    for (const i of candidates(byHostname, hostname)) {
      const att = listener.attachments[i]!;
      if (!servesHostname(att.hostnames, hostname)) continue;
      const host = computeHostnamePrecedence(att.hostnames, hostname);
      for (const r of att.rules) {
        const rule = ruleIndex.get(r.rule.name) ?? -1;
        r.matches.forEach((match, matchIndex) => {
          const grpc = r.grpcRanks?.[matchIndex];
          const entry = { route: att.route, host, match, ruleIndex: r.index, matchIndex, rule };
          entries.push(grpc === undefined ? entry : { ...entry, grpc });
        });
      }
    }
    entries.sort(compareEntries);
    virtualHosts.push({ hostname, entries: entries.map((e) => ({ rule: e.rule, match: e.match })) });
  }
  return { rules, virtualHosts };
}

type Attachments = ListenerNode['attachments'];

/** Attachment indexes by lower-cased effective hostname (`''`: any host). */
function indexByHostname(attachments: Attachments): Map<string, number[]> {
  const index = new Map<string, number[]>();
  const add = (key: string, i: number): void => {
    const list = index.get(key);
    if (list === undefined) index.set(key, [i]);
    else if (list[list.length - 1] !== i) list.push(i);
  };
  attachments.forEach((att, i) => {
    if (att.hostnames.length === 0) add('', i);
    for (const h of att.hostnames) add(h.toLowerCase(), i);
  });
  return index;
}

/**
 * The attachments that may serve `vhost`, in attachment order: those serving any host, those
 * naming `vhost` itself and those naming a wildcard that covers it (`*.b.c` and `*.c` for
 * `a.b.c` or `*.b.c`). Looking these up instead of testing every attachment keeps a listener
 * with many hostnames linear (servesHostname still has the last word).
 */
function candidates(index: Map<string, number[]>, vhost: string): number[] {
  const out: number[] = [...(index.get('') ?? [])];
  if (vhost !== '*') {
    out.push(...(index.get(vhost) ?? []));
    for (let dot = vhost.indexOf('.', 1); dot !== -1; dot = vhost.indexOf('.', dot + 1)) {
      const pattern = `*${vhost.slice(dot)}`;
      if (pattern !== vhost) out.push(...(index.get(pattern) ?? []));
    }
  }
  return [...new Set(out)].sort((a, b) => a - b);
}
