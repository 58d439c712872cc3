/** Runs the Node load generator (bench/loadgen-main.ts) as a child process pinned to a core. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pinned } from './cpus.js';
import type { LoadOptions, LoadResult } from './loadgen.js';
import { trackTransient } from './processes.js';

/** Spawns the generator, bounded by the run's duration + timeout + 20 s, and parses its JSON. */
export function runLoadChild(repoRoot: string, cpu: number | null, o: LoadOptions): Promise<LoadResult> {
  const argv = pinned(cpu, [process.execPath, '--import', 'tsx', join(repoRoot, 'bench/loadgen-main.ts'), JSON.stringify(o)]);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    trackTransient(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.durationMs + o.timeoutMs + 20_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as LoadResult);
      } catch (e) {
        reject(new Error(`load generator failed (${e instanceof Error ? e.message : String(e)}): ${err.trim().slice(-500)}`));
      }
    });
  });
}
