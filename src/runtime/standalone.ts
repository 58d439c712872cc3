/**
 * The standalone runtime: source → translate → data plane, on every change.
 *
 *   watch DIR → source.load() → (changed?) buildSnapshot → translate → dataPlane.apply(ir)
 *
 * One pass at a time: a change during a pass queues exactly one follow-up pass (bursts
 * coalesce). A pass that throws is a bug of ours: it is logged and the last good IR keeps
 * serving. Used by `waygate serve` and by the conformance runner.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { KubeObject } from '../api/types.js';
import type { StatusUpdate, TranslateOptions, TranslateResult } from '../controller/translate.js';
import type { ApplyResult, DataPlane, DataPlaneStats, ServerError } from '../dataplane/index.js';
import type * as ir from '../ir/types.js';
import { buildSnapshot, type Snapshot } from '../source/snapshot.js';
import { errorFields, silentLogger, type Logger } from '../log.js';
import { CoalescedRuns } from './coalesced-runs.js';
import { toStatusObjects, type StatusObject } from './status-objects.js';
import type { ConfigSource, LoadResult, MergeTransitionTimes, RuntimeIssue, WatchFn } from './types.js';

/** buildSnapshot(loaded.objects), without reading `objects` when the source gives the snapshot. */
function snapshotOf(loaded: LoadResult): Snapshot {
  return loaded.snapshot ?? buildSnapshot(loaded.objects);
}

/** How many times a pass loads again the files that changed while it was loading. */
const LATE_JOIN_ROUNDS = 3;

/** Durations of one pass, in milliseconds. */
export interface PassTimings {
  readonly loadMs: number;
  readonly translateMs: number;
  readonly applyMs: number;
}

/** Everything the runtime currently knows; replaced as a whole after each pass. */
export interface RuntimeState {
  /** Number of configs applied so far; 0 until the first one (readiness). */
  readonly version: number;
  /** When the current config was applied (RFC 3339), or null. */
  readonly appliedAt: string | null;
  /** The objects of the last load. */
  readonly objects: readonly KubeObject[];
  /** Load issues of the last load. */
  readonly issues: readonly RuntimeIssue[];
  /** Statuses with lastTransitionTime kept stable across passes. */
  readonly statuses: readonly StatusUpdate[];
  /** The statuses as Kubernetes objects (what /status serves). */
  readonly statusObjects: readonly StatusObject[];
  /** The IR being served, or null before the first apply. */
  readonly ir: ir.Config | null;
  /**
   * Servers that could not be bound in the last pass, including those whose address was then
   * fed back as unusable (their Gateway shows Programmed=False AddressNotUsable): the why.
   */
  readonly applyErrors: readonly ServerError[];
  /** The error of the last pass if it threw (the previous config keeps serving), else null. */
  readonly lastError: string | null;
  readonly timings: PassTimings | null;
  /** Passes run, including those that found nothing changed. */
  readonly passes: number;
}

export type TranslateFn = (snapshot: ReturnType<typeof buildSnapshot>, options: TranslateOptions) => TranslateResult;

export interface StandaloneRuntimeOptions {
  readonly source: ConfigSource;
  readonly dataPlane: DataPlane;
  readonly translate: TranslateFn;
  readonly mergeTransitionTimes: MergeTransitionTimes;
  /** Without it only reload() triggers passes. */
  readonly watch?: WatchFn;
  readonly controllerName: string;
  /** IPs Gateways without spec.addresses are given, in order. */
  readonly addressPool: readonly string[];
  /** Whether this host can bind an IP (before bind failures are known). */
  readonly isUsable: (ip: string) => boolean;
  readonly clock?: () => Date;
  readonly log?: Logger;
  /** After a pass with bind failures, run a full pass again this much later (default 5000; 0: never). */
  readonly bindRetryMs?: number;
  /** Formats a load issue for the log (the loader's formatIssue). */
  readonly formatIssue?: (issue: RuntimeIssue) => string;
}

/** RFC 3339 at second precision, as Kubernetes serialises metav1.Time. */
export function toKubeTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const INITIAL_STATE: RuntimeState = {
  version: 0,
  appliedAt: null,
  objects: [],
  issues: [],
  statuses: [],
  statusObjects: [],
  ir: null,
  applyErrors: [],
  lastError: null,
  timings: null,
  passes: 0,
};

/** Runs the standalone control loop. See the module comment. */
export class StandaloneRuntime {
  readonly #opts: StandaloneRuntimeOptions;
  readonly #log: Logger;
  readonly #clock: () => Date;
  #state: RuntimeState = INITIAL_STATE;
  #assigned: Readonly<Record<string, readonly string[]>> = {};
  readonly #runs = new CoalescedRuns(() => this.#passSafely());
  #stopped = false;
  #watcher: ReturnType<WatchFn> | null = null;
  #force = false;
  /** Paths changed since the last pass began; null: re-read everything. */
  #changed: Set<string> | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #loggedIssues = new Set<string>();
  /**
   * Statuses of the latest pass not merged into #state yet: rendering them (translate renders
   * on first read), merging transition times and building status objects (~30 ms at 5k routes)
   * waits until someone reads the state, so back-to-back passes do not pay for statuses nobody
   * saw (like coalesced passes, the intermediate ones are skipped). The state's objects are
   * taken from the load then too.
   */
  #pendingStatuses: { readonly result: TranslateResult; readonly loaded: LoadResult } | null = null;
  #readyWaiters: (() => void)[] = [];

  constructor(options: StandaloneRuntimeOptions) {
    this.#opts = options;
    this.#log = options.log ?? silentLogger;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** The current state (immutable; a new object after every pass). */
  get snapshot(): RuntimeState {
    const pending = this.#pendingStatuses;
    if (pending !== null) {
      this.#pendingStatuses = null;
      const statuses = this.#opts.mergeTransitionTimes(this.#state.statuses, pending.result.statuses);
      // The objects too: a source may put its objects list together only when it is read.
      const objects = pending.loaded.objects;
      this.#state = { ...this.#state, objects, statuses, statusObjects: toStatusObjects(statuses, objects) };
    }
    return this.#state;
  }

  /** True once the first config has been applied. */
  get ready(): boolean {
    return this.#state.version > 0;
  }

  /** Starts watching and runs the first pass; resolves when that pass is done. */
  async start(): Promise<void> {
    if (this.#opts.watch) {
      this.#watcher = this.#opts.watch((changed) => {
        void this.reload(changed ?? null);
      });
    }
    await this.reload();
  }

  /**
   * Runs a pass now, or queues one follow-up if a pass is running. Resolves when a pass that
   * started after this call has finished. Never rejects. `changed`: the paths a watcher saw
   * change, so the source re-reads only those (absent or null: everything).
   */
  reload(changed: ReadonlySet<string> | null = null): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (changed === null || this.#changed === null) this.#changed = null;
    else for (const p of changed) this.#changed.add(p);
    return this.#runs.request();
  }

  /** The data plane's live counters, when it keeps them (the HTTP data plane does). */
  dataPlaneStats(): DataPlaneStats | null {
    const dp = this.#opts.dataPlane as DataPlane & { stats?: () => DataPlaneStats };
    return typeof dp.stats === 'function' ? dp.stats() : null;
  }

  /** Resolves once the first config is applied (or immediately if it already is). */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /** Stops watching, waits for a running pass, then drains and closes the data plane. */
  async stop(graceMs?: number): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#watcher?.close();
    this.#watcher = null;
    await this.#runs.stop();
    await this.#opts.dataPlane.close(graceMs);
  }

  async #passSafely(): Promise<void> {
    try {
      await this.#pass();
    } catch (err) {
      // Tier 3: a broken invariant of ours. Keep serving the last good IR and say so.
      this.#changed = null; // what the failed pass read is unknown: re-read everything next time
      this.#state = { ...this.#state, passes: this.#state.passes + 1, lastError: err instanceof Error ? err.message : String(err) };
      this.#log.error('config pass failed; the previous config keeps serving', errorFields(err));
    }
    // A change seen while the pass applied starts the next pass now, not when the watcher's
    // coalescing window closes (its reload lands while this pass runs: CoalescedRuns follows up).
    this.#watcher?.flush?.();
  }

  async #pass(): Promise<void> {
    const t0 = performance.now();
    const changed = this.#changed;
    this.#changed = new Set();
    const joined = await this.#joinLate(await this.#opts.source.load(changed));
    let loaded = joined.loaded;
    const loadMs = performance.now() - t0;
    this.#logNewIssues(loaded.issues);
    const prev = this.#state;
    const force = this.#force;
    this.#force = false;
    if (!joined.changed && !force && prev.version > 0) {
      this.#state = { ...prev, issues: loaded.issues, passes: prev.passes + 1 };
      this.#log.debug('nothing changed', { loadMs: round(loadMs) });
      return;
    }

    // Between stages the event loop runs: an in-process data plane keeps serving requests.
    await yieldToEventLoop();
    let snapshot = snapshotOf(loaded);
    const now = toKubeTime(this.#clock());
    let translateMs = 0;
    let applyMs = 0;
    const unusable = new Set<string>();
    const run = (): TranslateResult => {
      const t = performance.now();
      const result = this.#opts.translate(snapshot, {
        controllerName: this.#opts.controllerName,
        now,
        addresses: {
          pool: this.#opts.addressPool,
          assigned: this.#assigned,
          isUsable: (ip) => !unusable.has(ip) && this.#opts.isUsable(ip),
        },
      });
      translateMs += performance.now() - t;
      return result;
    };
    const applyTimed = async (config: ir.Config): Promise<ApplyResult> => {
      const t = performance.now();
      try {
        return await this.#opts.dataPlane.apply(config);
      } finally {
        applyMs += performance.now() - t;
      }
    };

    let result = run();
    await yieldToEventLoop();
    // Changes that arrived while translating join too: with the translate cache, translating
    // again costs what changed, not another whole pass.
    if (this.#lateChanges()) {
      loaded = (await this.#joinLate(loaded)).loaded;
      snapshot = snapshotOf(loaded);
      result = run();
      await yieldToEventLoop();
    }
    let applied = await applyTimed(result.ir);
    const bindErrors: ServerError[] = [...applied.errors];
    // A Gateway whose address cannot be bound must say so in its status
    // (Programmed=False AddressNotUsable). Status stays a product of translate: feed the failing
    // addresses back as unusable and translate once more.
    const failing = applied.errors.map((e) => e.address).filter((a) => !unusable.has(a));
    if (failing.length > 0) {
      for (const a of failing) unusable.add(a);
      this.#log.warn('could not bind some Gateway addresses; marking them unusable', { errors: applied.errors });
      result = run();
      applied = await applyTimed(result.ir);
      for (const e of applied.errors) if (!bindErrors.some((b) => b.server === e.server)) bindErrors.push(e);
    }

    this.#assigned = result.assigned;
    const timings: PassTimings = { loadMs: round(loadMs), translateMs: round(translateMs), applyMs: round(applyMs) };
    this.#state = {
      version: prev.version + 1,
      appliedAt: now,
      // The last objects and merged statuses until read (see #pendingStatuses).
      objects: prev.objects,
      issues: loaded.issues,
      statuses: prev.statuses,
      statusObjects: prev.statusObjects,
      ir: result.ir,
      applyErrors: bindErrors,
      lastError: null,
      timings,
      passes: prev.passes + 1,
    };
    this.#pendingStatuses = { result, loaded };
    for (const e of applied.errors) this.#log.error('server could not be bound', { ...e });
    if (bindErrors.length > 0) this.#scheduleBindRetry();
    this.#log.info('config applied', {
      version: this.#state.version,
      objects: loaded.count ?? loaded.objects.length,
      servers: result.ir.servers.length,
      issues: loaded.issues.length,
    });
    this.#log.debug('pass timings', { ...timings });
    if (this.#state.version === 1) for (const w of this.#readyWaiters.splice(0)) w();
  }

  /**
   * Whether files changed since this pass began (their paths are in #changed). The watcher
   * hands over what it holds first: otherwise a change seen during the pass would sit out the
   * watcher's coalescing window and miss the pass by a few milliseconds.
   */
  #lateChanges(): boolean {
    this.#watcher?.flush?.();
    return this.#changed !== null && this.#changed.size > 0;
  }

  /**
   * Loads the files that changed since `loaded` was read (a few rounds at most), so a small edit
   * that lands during a big one is served with it instead of waiting for another pass. `changed`:
   * whether any of these loads changed something.
   */
  async #joinLate(loaded: LoadResult): Promise<{ loaded: LoadResult; changed: boolean }> {
    let changed = loaded.changed;
    for (let round = 0; round < LATE_JOIN_ROUNDS && this.#lateChanges(); round++) {
      const more = this.#changed;
      this.#changed = new Set();
      loaded = await this.#opts.source.load(more);
      changed ||= loaded.changed;
    }
    return { loaded, changed };
  }

  /** Bind failures may be temporary (a port in use): translate and apply again later. */
  #scheduleBindRetry(): void {
    const ms = this.#opts.bindRetryMs ?? 5000;
    if (ms <= 0 || this.#retryTimer || this.#stopped) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#force = true;
      void this.reload();
    }, ms);
    this.#retryTimer.unref();
  }

  #logNewIssues(issues: readonly RuntimeIssue[]): void {
    const format = this.#opts.formatIssue ?? defaultFormat;
    const current = new Set<string>();
    for (const issue of issues) {
      const text = format(issue);
      current.add(text);
      if (this.#loggedIssues.has(text)) continue;
      this.#log.warn(`load issue: ${text}`, { file: issue.file, document: issue.document, path: issue.path });
    }
    for (const text of this.#loggedIssues) if (!current.has(text)) this.#log.info(`load issue resolved: ${text}`);
    this.#loggedIssues = current;
  }
}

function defaultFormat(i: RuntimeIssue): string {
  return `${i.file}: document ${i.document}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
