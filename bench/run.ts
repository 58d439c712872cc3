/**
 * `npm run bench [-- SCENARIO...] [--rounds N] [--duration S] [--smoke]`: waygate side by side
 * with nginx and HAProxy on this machine. See bench/README.md for the method.
 *
 * Writes bench/results/<timestamp>.json (every measurement) and <timestamp>.md (summary).
 * Every process it starts is stopped on exit, on errors and on SIGINT/SIGTERM.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE } from './lib/args.js';
import { BenchContext } from './lib/context.js';
import { pinProcess, planCpus } from './lib/cpus.js';
import { ensureTools } from './lib/install.js';
import { ProcessManager } from './lib/processes.js';
import type { RunResults, ScenarioResult } from './lib/results.js';
import { renderSummary } from './lib/summary.js';
import { waygateCommand } from './lib/waygate.js';
import { runChurn } from './scenarios/churn.js';
import { message, result } from './scenarios/common.js';
import { runHttp1 } from './scenarios/http1.js';
import { runLatency } from './scenarios/latency.js';
import { runMulticore } from './scenarios/multicore.js';
import { runPropagation } from './scenarios/propagation.js';
import { runPropagationK8s } from './scenarios/propagation-k8s.js';
import { runRoutes } from './scenarios/routes.js';
import { runSoak } from './scenarios/soak.js';
import { runTls } from './scenarios/tls.js';

const RUNNERS: Record<string, (ctx: BenchContext) => Promise<ScenarioResult>> = {
  http1: runHttp1,
  latency: runLatency,
  routes: runRoutes,
  propagation: runPropagation,
  'propagation-k8s': runPropagationK8s,
  churn: runChurn,
  tls: runTls,
  multicore: runMulticore,
  soak: runSoak,
};

async function main(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseBenchArgs(argv);
  } catch (e) {
    process.stderr.write(`bench: ${message(e)}\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const startedAt = new Date();
  const log = (msg: string): void => void process.stderr.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)}s] ${msg}\n`);
  const tools = ensureTools(opts.install, log);
  for (const n of tools.notes) log(n);
  const cpus = planCpus();
  // The orchestrator itself stays off the proxy core.
  pinProcess(process.pid, cpus.load);
  const workDir = mkdtempSync(join(tmpdir(), 'waygate-bench-'));
  chmodSync(workDir, 0o755); // nginx workers (user nobody) read the 64 KiB body from here
  const pm = new ProcessManager();
  // Also on SIGINT/SIGTERM (the process manager exits the process after stopping its children).
  process.on('exit', () => {
    pm.killAllNow();
    if (!opts.keepWorkDir) {
      try {
        rmSync(workDir, { recursive: true, force: true });
      } catch {
        // a child still writing its log; leave the scratch directory
      }
    }
  });
  const ctx = new BenchContext(opts, pm, cpus, workDir, tools, repoRoot, log);
  const wg = waygateCommand(repoRoot);
  const scenarios: ScenarioResult[] = [];
  try {
    for (const name of opts.scenarios) {
      log(`scenario ${name}…`);
      const t0 = performance.now();
      try {
        scenarios.push(await RUNNERS[name]!(ctx));
      } catch (e) {
        scenarios.push(result(name, 'failed', t0, [message(e)], [], null));
      }
      log(`scenario ${name}: ${scenarios.at(-1)!.status} in ${scenarios.at(-1)!.seconds.toFixed(1)} s`);
    }
  } finally {
    await pm.stopAll();
    if (!opts.keepWorkDir) rmSync(workDir, { recursive: true, force: true });
    else log(`scratch directory kept: ${workDir}`);
  }
  const results: RunResults = {
    meta: {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      command: argv.length === 0 ? 'npm run bench' : `npm run bench -- ${argv.join(' ')}`,
      smoke: opts.smoke,
      rounds: opts.rounds,
      durationS: opts.durationS,
      maxSteal: opts.maxSteal,
      cpuPlan: cpus.note,
      cores: cpus.cores,
      versions: tools.versions,
      installNotes: tools.notes,
      installSeconds: tools.installSeconds,
      waygate: 'argv' in wg ? wg.argv.slice(1).join(' ') : wg.missing,
    },
    scenarios,
  };
  const outDir = join(repoRoot, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-') + (opts.smoke ? '-smoke' : '');
  writeFileSync(join(outDir, `${stamp}.json`), `${JSON.stringify(results, null, 1)}\n`);
  const md = renderSummary(results);
  writeFileSync(join(outDir, `${stamp}.md`), md);
  process.stdout.write(md);
  log(`results: bench/results/${stamp}.json and .md (${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)} s total)`);
  // A smoke run fails when a scenario failed outright (a harness bug), not when waygate is missing.
  return scenarios.some((s) => s.status === 'failed') ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
