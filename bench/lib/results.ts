/** Shapes of what the harness records (bench/results/<timestamp>.json) and renders. */

/** A table for the markdown summary: cells are strings, numbers or null (`n/a`). */
export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly (string | number | null)[])[];
}

export type ScenarioStatus = 'ok' | 'partial' | 'skipped' | 'failed' | 'pending';

export interface ScenarioResult {
  readonly name: string;
  readonly status: ScenarioStatus;
  /** Why something was skipped or partial, caveats, the method in one line. */
  readonly notes: readonly string[];
  readonly tables: readonly Table[];
  /** Raw measurements (every run, including rejected rounds). */
  readonly data: unknown;
  readonly seconds: number;
}

export interface RunMeta {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly smoke: boolean;
  readonly rounds: number;
  readonly durationS: number;
  readonly maxSteal: number;
  readonly cpuPlan: string;
  readonly cores: number;
  readonly versions: Readonly<Record<string, string>>;
  readonly installNotes: readonly string[];
  readonly installSeconds: number;
  readonly waygate: string;
}

export interface RunResults {
  readonly meta: RunMeta;
  readonly scenarios: readonly ScenarioResult[];
}

/**
 * One measured run of one target in the http1 scenario (one wrk invocation).
 * `usPerReq` = CPU seconds of every process of the proxy over the window ÷ requests.
 */
export interface ProxyRun {
  readonly variant: string;
  readonly round: number;
  readonly target: string;
  readonly rps: number;
  readonly requests: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly proxyCpuS: number | null;
  readonly usPerReq: number | null;
  /** Same plus the proxy core's softirq time (loopback packet work), as performance-notes.md counts it. */
  readonly usPerReqWithSoftirq: number | null;
  /** Busy share (non-idle, non-steal) of the proxy core over the window. */
  readonly proxyCoreBusy: number | null;
  readonly rpsPerBusyCore: number | null;
  /** Steal share per core, e.g. { cpu0: 0.02, cpu1: 0.04 }. */
  readonly steal: Readonly<Record<string, number>>;
  readonly rssMiB: number | null;
  /**
   * Busy share of the proxy core not explained by the proxy's own processes or softirq: other
   * programs on a shared machine. High values make rps (not µs/req) unreliable.
   */
  readonly otherOnProxyCore: number | null;
  /** Steal (or foreign load) above the limit: kept in the JSON, left out of the medians. */
  readonly rejected: boolean;
  readonly rejectReason: string | null;
}
