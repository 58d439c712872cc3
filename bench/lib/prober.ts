/**
 * The propagation probes run in a child process of their own (bench/prober-main.ts), not in
 * the harness: the harness also hosts the churn writer and, in Kubernetes mode, the test API
 * server, and their garbage collections and bursts delayed its 2 ms polls. A trace of the
 * slowest propagation-k8s probes showed the route applied by the proxy 7–9 ms after the POST
 * was answered, and first seen served 17–45 ms after it, behind 5–10 ms collections and a
 * 22 ms stall of the harness (docs/performance.md §14). The child makes the change itself (the
 * file write, or the POST) and starts its clock when that is done, exactly as before.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pinned } from './cpus.js';
import { trackTransient } from './processes.js';
import type { ProbeTally } from './route-probe.js';

/** The change that makes the new route: a file written atomically, or an object POSTed. */
export type ProbeChange =
  | { readonly kind: 'file'; readonly dir: string; readonly file: string; readonly text: string }
  | { readonly kind: 'post'; readonly url: string; readonly body: string };

export interface ProbeRequest {
  readonly id: number;
  readonly change: ProbeChange;
  /** The proxy to poll, and the new route's hostname. */
  readonly address: string;
  readonly port: number;
  readonly host: string;
  readonly timeoutMs: number;
}

/** ms null: timed out; error: the change itself failed. */
export type ProbeReply =
  | { readonly id: number; readonly ms: number | null; readonly unexpected: Record<string, number> }
  | { readonly id: number; readonly error: string };

/** One prober child; `probe()` one at a time. */
export class Prober {
  readonly #child: ChildProcess;
  #next = 1;
  readonly #waiting = new Map<number, { resolve: (r: ProbeReply) => void; reject: (e: Error) => void }>();

  constructor(repoRoot: string, cpu: number | null) {
    const argv = pinned(cpu, [process.execPath, '--import', 'tsx', join(repoRoot, 'bench/prober-main.ts')]);
    this.#child = spawn(argv[0]!, argv.slice(1), { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    trackTransient(this.#child);
    this.#child.on('message', (r: ProbeReply) => {
      const w = this.#waiting.get(r.id);
      this.#waiting.delete(r.id);
      w?.resolve(r);
    });
    this.#child.on('exit', (code, signal) => {
      for (const w of this.#waiting.values()) w.reject(new Error(`prober exited (${signal ?? code})`));
      this.#waiting.clear();
    });
  }

  /** Makes the change, waits for the route's first 200 (or the timeout), and adds the outcome to `tally`. */
  async probe(r: Omit<ProbeRequest, 'id'>, tally: ProbeTally): Promise<void> {
    const id = this.#next++;
    const reply = await new Promise<ProbeReply>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#child.send({ ...r, id } satisfies ProbeRequest);
    });
    if ('error' in reply) throw new Error(reply.error);
    if (reply.ms === null) tally.timeouts++;
    else tally.ms.push(reply.ms);
    for (const [k, v] of Object.entries(reply.unexpected)) tally.unexpected[k] = (tally.unexpected[k] ?? 0) + v;
  }

  close(): void {
    if (this.#child.connected) this.#child.disconnect();
  }
}
