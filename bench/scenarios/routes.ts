import type { BenchContext } from '../lib/context.js';
import type { ScenarioResult } from '../lib/results.js';
import { result } from './common.js';

export async function runRoutes(_ctx: BenchContext): Promise<ScenarioResult> {
  return result('routes', 'pending', performance.now(), ['not written yet'], [], null);
}
