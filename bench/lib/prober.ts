/**
 * `propagation-k8s` runs its probes in a child process of their own (bench/prober-main.ts), not
 * in the harness, which hosts the test API server: its collections (5–14 ms) and stalls (up to
 * 22 ms) delayed the 2 ms polls. A trace of the slowest probes showed routes applied by the
 * proxy 7–9 ms after the POST was answered and first seen served 17–45 ms after it. The child
 * POSTs the route itself and starts its clock when the answer is in, as the harness did.
 * Pooled A/B (3 runs × 300 probes each, alternating): churn p95 25.8 → 19.9 ms, p99 44.8 →
 * 40.6. `propagation` (files) keeps probing in the harness, whose only other work is the churn
 * writer: there a prober process on the same core was worse (p99 18.5 → 23.1 ms), waiting for
 * the core instead of for a task (docs/performance.md §14).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pinned } from './cpus.js';
import { trackTransient } from './processes.js';
import { addTally, type ProbeTally } from './route-probe.js';

export interface ProbeRequest {
  /** The new route: `object` POSTed to the collection `path` of the API server at `apiUrl`. */
  readonly post: { readonly apiUrl: string; readonly path: string; readonly object: unknown };
  /** The proxy to poll, and the new route's hostname. */
  readonly address: string;
  readonly port: number;
  readonly host: string;
  readonly timeoutMs: number;
}

/** What the probe saw (route-probe.ts), or that the POST failed. */
export type ProbeReply = { readonly tally: ProbeTally } | { readonly error: string };

/** How the probe under way ends. */
interface Pending {
  readonly resolve: (r: ProbeReply) => void;
  readonly reject: (e: Error) => void;
}

/** One prober child; `probe()` one at a time. */
export class Prober {
  readonly #child: ChildProcess;
  #pending: Pending | null = null;

  constructor(repoRoot: string, cpu: number | null) {
    const argv = pinned(cpu, [process.execPath, '--import', 'tsx', join(repoRoot, 'bench/prober-main.ts')]);
    this.#child = spawn(argv[0]!, argv.slice(1), { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    trackTransient(this.#child);
    this.#child.on('message', (r: ProbeReply) => this.#settle((p) => p.resolve(r)));
    this.#child.on('exit', (code, signal) => this.#settle((p) => p.reject(new Error(`prober exited (${signal ?? code})`))));
    // A send to a child that is gone: the probe fails, the harness does not crash.
    this.#child.on('error', (err) => this.#settle((p) => p.reject(err)));
  }

  /** POSTs the route, waits for its first 200 (or the timeout), and adds the outcome to `tally`. */
  async probe(r: ProbeRequest, tally: ProbeTally): Promise<void> {
    if (this.#pending !== null) throw new Error('internal: one probe at a time');
    const reply = await new Promise<ProbeReply>((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#child.send(r, (err) => {
        if (err) this.#settle((p) => p.reject(err));
      });
    });
    if ('error' in reply) throw new Error(reply.error);
    addTally(tally, reply.tally);
  }

  close(): void {
    if (this.#child.connected) this.#child.disconnect();
  }

  /** Ends the probe under way, if any, once. */
  #settle(how: (p: Pending) => void): void {
    const p = this.#pending;
    this.#pending = null;
    if (p !== null) how(p);
  }
}
