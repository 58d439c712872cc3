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

  const virtualHosts: ir.VirtualHost[] = [];
  for (const hostname of [...names].sort(compareVirtualHostNames)) {
    const entries: (PrecedenceEntry & { rule: number })[] = [];
    for (const att of listener.attachments) {
      if (!servesHostname(att.hostnames, hostname)) continue;
      const host = computeHostnamePrecedence(att.hostnames, hostname);
      for (const r of att.rules) {
        const rule = ruleIndex.get(r.rule.name) ?? -1;
        r.matches.forEach((match, matchIndex) => {
          entries.push({ route: att.route, host, match, ruleIndex: r.index, matchIndex, rule });
        });
      }
    }
    entries.sort(compareEntries);
    virtualHosts.push({ hostname, entries: entries.map((e) => ({ rule: e.rule, match: e.match })) });
  }
  return { rules, virtualHosts };
}
