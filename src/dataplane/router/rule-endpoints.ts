/**
 * The upstream pool keys a rule's backends and mirrors use: the data plane closes the pools no
 * served rule uses any more (data-plane.ts). Computed once per IR rule.
 */
import type * as ir from '../../ir/types.js';
import { poolKey } from '../upstream/pools.js';

const byRule = new WeakMap<ir.Rule, readonly string[]>();

function addKeys(b: ir.Backend, into: Set<string>): void {
  if (b.kind === 'service') for (const e of b.endpoints) into.add(poolKey(e, b.tls));
}

/** The distinct pool keys of rule `r`. */
export function ruleEndpoints(r: ir.Rule): readonly string[] {
  let keys = byRule.get(r);
  if (keys !== undefined) return keys;
  const into = new Set<string>();
  if (r.action.kind === 'forward') for (const b of r.action.backends) addKeys(b, into);
  for (const m of r.mirrors) addKeys(m.backend, into);
  keys = [...into];
  byRule.set(r, keys);
  return keys;
}
