/** Helpers shared by the scenarios: resolving targets and timing a scenario. */
import type { BenchContext, Target } from '../lib/context.js';
import type { ScenarioResult, ScenarioStatus, Table } from '../lib/results.js';

/** Starts the named targets; returns the ones that run and notes for the ones that cannot. */
export async function resolveTargets(ctx: BenchContext, names: readonly string[]): Promise<{ targets: Target[]; notes: string[] }> {
  const targets: Target[] = [];
  const notes: string[] = [];
  for (const n of names) {
    const t = await ctx.target(n);
    if (typeof t === 'string') notes.push(`${n} skipped: ${t}`);
    else targets.push(t);
  }
  return { targets, notes };
}

/** Builds a ScenarioResult. */
export function result(name: string, status: ScenarioStatus, t0: number, notes: string[], tables: Table[], data: unknown): ScenarioResult {
  return { name, status, notes, tables, data, seconds: (performance.now() - t0) / 1000 };
}

/** The message of an unknown thrown value. */
export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
