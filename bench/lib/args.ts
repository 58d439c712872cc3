/** Command-line options of `npm run bench [-- SCENARIO...] [--rounds N] [--duration S] [--smoke]`. */
import { parseArgs } from 'node:util';
import type { BenchOptions } from './context.js';

/** Every scenario, in the order they run. */
export const SCENARIOS = ['http1', 'latency', 'routes', 'propagation', 'propagation-k8s', 'churn', 'tls', 'multicore', 'soak'] as const;

export const USAGE = `usage: npm run bench [-- SCENARIO...] [--rounds N] [--duration S] [--smoke]
scenarios: ${SCENARIOS.join(', ')} (default: all)
  --rounds N       interleaved rounds per measurement (default 3; smoke 1)
  --duration S     seconds per load window (default 6; smoke 1)
  --smoke          every scenario in a few seconds: checks the harness, numbers are meaningless
  --max-steal F    reject rounds whose CPU steal on any core exceeds F (default 0.10)
  --routes LIST    route counts for "routes" (default 1000,5000,10000; smoke 100)
  --no-install     do not apt-get install missing tools
  --keep           keep the scratch directory (configs, logs)`;

/** Parses argv (without node and script); throws an Error with a readable message on bad input. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions & { help: boolean } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      'max-steal': { type: 'string' },
      routes: { type: 'string' },
      'no-install': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const smoke = values.smoke === true;
  for (const p of positionals) {
    if (!(SCENARIOS as readonly string[]).includes(p)) throw new Error(`unknown scenario ${JSON.stringify(p)} (known: ${SCENARIOS.join(', ')})`);
  }
  const num = (name: string, v: string | undefined, dflt: number, min: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  const routeCounts = values.routes === undefined
    ? (smoke ? [100] : [1000, 5000, 10000])
    : values.routes.split(',').map((s) => num('routes', s.trim(), 0, 1));
  return {
    help: values.help === true,
    scenarios: positionals.length > 0 ? [...new Set(positionals)] : [...SCENARIOS],
    rounds: Math.round(num('rounds', values.rounds, smoke ? 1 : 3, 1)),
    durationS: num('duration', values.duration, smoke ? 1 : 6, 1),
    smoke,
    maxSteal: num('max-steal', values['max-steal'], 0.1, 0),
    install: values['no-install'] !== true,
    keepWorkDir: values.keep === true,
    routeCounts,
  };
}
