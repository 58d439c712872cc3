/**
 * `waygate controller`'s control loop:
 *
 *   informers (ready) → buildSnapshot → translate → publish IR per Gateway (config stream)
 *                                         ╰╌╌╌╌╌╌╌╌▶ leader only: status writer, provisioner
 *
 * One pass at a time; changes during a pass queue exactly one follow-up (informers already
 * coalesce bursts). Every replica translates and serves configs (so proxies can connect to any
 * of them); only the Lease holder writes status and provisions. Validation is the API server's
 * job here: objects go to translate() as the API server stored them.
 *
 * Passes cost what changed (docs/performance.md §9): translate() gets a TranslateCache, and the
 * objects it sees keep their identity while only their status changed (stable-objects.ts), so
 * the controller's own status writes do not invalidate it. Status writes and provisioning run
 * in their own loop on the latest pass's result: a new route is translated and published while
 * the statuses of the previous change are still being written, not after them.
 *
 * A change to statuses alone (most often the echo of our own writes) runs no pass: the write
 * loop checks just those objects against the latest pass's statuses (StatusWriter.recheck), so
 * a status someone else overwrote is written again (docs/performance.md §13).
 */
import type { KubeObject } from '../../api/types.js';
import type { TranslateResult } from '../../controller/translate.js';
import { translate, TranslateCache } from '../../controller/translate.js';
import type * as ir from '../../ir/types.js';
import type { Logger } from '../../log.js';
import { errorFields, silentLogger } from '../../log.js';
import { backoffMs } from '../../runtime/backoff.js';
import { CoalescedRuns } from '../../runtime/coalesced-runs.js';
import { toKubeTime } from '../../runtime/standalone.js';
import { buildSnapshot, updateSnapshot, type Snapshot } from '../snapshot.js';
import { InformerSet } from './informers.js';
import { WATCHED_KINDS, type KindSpec } from './kinds.js';
import { LeaderElector } from './leader-election.js';
import { objectKeyOf, type KObj, type KubeRest } from './rest.js';
import { StableObjects } from './stable-objects.js';
import { StatusWriter } from './status-writer.js';

/**
 * Default least time between two bursts the informers report (a change after a quiet spell is
 * reported at once). Short: a pass is cheap when little changed, and changes that arrive during
 * a pass coalesce into one follow-up pass anyway. Not shorter: it also bounds the share of a
 * core that passes take while events never stop (a 1.5 ms pass at 5k routes every 5 ms is 30%;
 * at 2 ms it would be 75%). 2 ms gained ~1 ms of propagation-k8s p50 under churn, no p99.
 */
const DEFAULT_COALESCE_MS = 5;

/** What the controller hands to provisioning (see provisioner.ts). */
export interface ProvisionHook {
  /** Label-selected kinds to cache for it. */
  readonly watch: readonly { spec: KindSpec; labelSelector: string }[];
  /** Addresses of each Gateway (`ns/name`) from the objects it created. */
  addresses(observed: readonly KObj[]): Record<string, readonly string[]>;
  /**
   * The watched kinds reconcile() reads: it is handed only those (a handful of Gateways and
   * classes, not the thousands of routes it would walk past on every write).
   */
  readonly reads: readonly string[];
  /** Creates, updates and deletes the data plane objects (leader only), from objects of the kinds it reads. */
  reconcile(result: TranslateResult, objects: readonly KObj[], observed: readonly KObj[]): Promise<void>;
}

export interface KubernetesControllerOptions {
  readonly rest: KubeRest;
  readonly controllerName: string;
  /** Lease location and our identity; null disables leader election (always leader). */
  readonly leaderElection: { namespace: string; name: string; identity: string; leaseDurationMs?: number; renewMs?: number; retryMs?: number } | null;
  readonly provision?: ProvisionHook | null;
  /** Called after every pass with the IR (all Gateways). */
  readonly onConfig?: (config: ir.Config) => void;
  /** Addresses handed to Gateways that request none when no provisioned Service gives one. */
  readonly addressPool?: readonly string[];
  /**
   * Conformance features claimed on top of translate()'s (e.g. PROVISIONING_FEATURES when
   * provisioning): merged into our GatewayClasses' status.supportedFeatures, kept sorted.
   */
  readonly extraFeatures?: readonly string[];
  readonly kinds?: readonly KindSpec[];
  readonly coalesceMs?: number;
  readonly initialBackoffMs?: number;
  readonly clock?: () => Date;
  readonly log?: Logger;
}

/** The controller. `start()`, then `whenReady()`; `stop()` releases the Lease. */
export class KubernetesController {
  readonly #o: KubernetesControllerOptions;
  readonly #log: Logger;
  readonly informers: InformerSet;
  readonly statusWriter: StatusWriter;
  readonly #elector: LeaderElector | null;
  readonly #runs = new CoalescedRuns(() => this.#passSafely());
  /** Status writes and provisioning for the latest pass, one run at a time. */
  readonly #writes = new CoalescedRuns(() => this.#writeSafely());
  #writesDone: Promise<void> = Promise.resolve();
  readonly #cache = new TranslateCache();
  readonly #stable = new StableObjects();
  /** The snapshot of the last pass, updated by what the stable view says changed. */
  #snapshot: Snapshot | null = null;
  #stopped = false;
  /** Passes whose statuses were written (readiness), and passes started. */
  #passesWritten = 0;
  #passCount = 0;
  #last: TranslateResult | null = null;
  /** The latest pass's result with the informers' objects it was computed from, not yet written. */
  #toWrite: { result: TranslateResult; objects: KObj[]; provisioning: KObj[]; observed: KObj[] } | null = null;
  /** Objects whose status alone changed since they were last handed to the write loop, by key. */
  #toRecheck = new Map<string, KObj>();
  /** The timer that tries failed status writes again, and how many tries in a row. */
  #retryTimer: NodeJS.Timeout | null = null;
  #retryDue = false;
  #retries = 0;
  #readyWaiters: (() => void)[] = [];

  constructor(options: KubernetesControllerOptions) {
    this.#o = options;
    this.#log = options.log ?? silentLogger;
    this.informers = new InformerSet({
      rest: options.rest,
      onChange: () => void this.reconcile(),
      onStatusChange: (objects) => this.#statusesChanged(objects),
      log: this.#log.child({ component: 'informers' }),
      kinds: options.kinds ?? WATCHED_KINDS,
      extra: options.provision?.watch ?? [],
      coalesceMs: options.coalesceMs ?? DEFAULT_COALESCE_MS,
      ...(options.initialBackoffMs !== undefined ? { initialBackoffMs: options.initialBackoffMs } : {}),
    });
    this.statusWriter = new StatusWriter({ rest: options.rest, controllerName: options.controllerName, log: this.#log.child({ component: 'status' }) });
    const le = options.leaderElection;
    this.#elector = le
      ? new LeaderElector({
          rest: options.rest,
          ...le,
          onStartedLeading: () => void this.reconcile(),
          onStoppedLeading: () => undefined,
          log: this.#log.child({ component: 'leader-election' }),
        })
      : null;
  }

  /** True while this replica may write (holds the Lease, or election is off). */
  get isLeader(): boolean {
    return this.#elector ? this.#elector.isLeader : !this.#stopped;
  }

  /** Passes run so far (tests). */
  get passCount(): number {
    return this.#passCount;
  }

  /** True once the caches are filled and the first pass ran (and, as leader, wrote its statuses). */
  get ready(): boolean {
    return this.#passesWritten > 0;
  }

  /** The last translation, or null. */
  get last(): TranslateResult | null {
    return this.#last;
  }

  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  start(): void {
    this.informers.start();
    this.#elector?.start();
  }

  /** Stops watching; a leader releases its Lease. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.informers.stop();
    await this.#runs.stop();
    await this.#writes.stop();
    await this.#elector?.stop();
  }

  /**
   * Runs a pass now, or queues one follow-up while one runs. Settles once that pass and the
   * status writes and provisioning of the latest pass are done. Never rejects.
   */
  reconcile(): Promise<void> {
    if (this.#stopped || !this.informers.ready) return Promise.resolve();
    return this.#runs.request().then(() => this.#writesDone);
  }

  async #passSafely(): Promise<void> {
    try {
      await this.#pass();
    } catch (err) {
      this.#log.error('controller pass failed; the previous config keeps serving', errorFields(err));
    }
  }

  async #writeSafely(): Promise<void> {
    try {
      await this.#write();
    } catch (err) {
      this.#log.error('status write or provisioning failed; retried on the next change', errorFields(err));
    }
  }

  /**
   * buildSnapshot(objects), from the previous pass's snapshot and the view's change when there
   * is one: sorting every object again per pass was a tenth of the controller's time under
   * churn (propagation-k8s).
   */
  #snapshotOf(objects: readonly KubeObject[]): Snapshot {
    const change = this.#stable.lastChange();
    if (this.#snapshot !== null && change !== null) {
      const updated = updateSnapshot(this.#snapshot, objects, change.removed as unknown as KubeObject[], change.added as unknown as KubeObject[]);
      if (updated !== null) return updated;
    }
    return buildSnapshot(objects);
  }

  /** Queues the objects for a recheck in the write loop (see the module comment). */
  #statusesChanged(objects: readonly KObj[]): void {
    if (this.#stopped || objects.length === 0) return;
    for (const o of objects) this.#toRecheck.set(objectKeyOf(o), o);
    this.#writesDone = this.#writes.request();
  }

  /** Tries failed status writes again after a backoff (500 ms, doubling to 30 s), also when nothing changes. */
  #scheduleRetry(): void {
    if (this.#retryTimer !== null || this.#stopped) return;
    const ms = backoffMs(this.#retries++, 500, 30_000, false);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#retryDue = true;
      this.#writesDone = this.#writes.request();
    }, ms);
    this.#retryTimer.unref?.();
  }

  async #pass(): Promise<void> {
    this.#passCount++;
    const objects = this.informers.objects();
    const observed = this.informers.extraObjects();
    const kubeObjects = this.#stable.view(objects) as unknown as KubeObject[];
    const snapshot = this.#snapshotOf(kubeObjects);
    this.#snapshot = snapshot;
    const provisioned = this.#o.provision?.addresses(observed) ?? {};
    const pool = [...new Set([...Object.values(provisioned).flat(), ...(this.#o.addressPool ?? [])])];
    // With provisioning, an address is usable only when the cluster gave it to one of our
    // Services (a static address the load balancer could not assign is AddressNotUsable);
    // without it, static addresses are the administrator's business.
    const usable = new Set(pool);
    const result = translate(snapshot, {
      controllerName: this.#o.controllerName,
      now: toKubeTime((this.#o.clock ?? (() => new Date()))()),
      cache: this.#cache,
      addresses: { pool, assigned: provisioned, isUsable: this.#o.provision ? (ip) => usable.has(ip) : () => true },
      ...(this.#o.extraFeatures ? { extraFeatures: this.#o.extraFeatures } : {}),
    });
    const previous = this.#last;
    this.#last = result;
    // The TranslateCache hands out the previous server objects while they are equal: a pass
    // that changed no server (most often one for our own status writes) publishes nothing,
    // instead of serializing every Gateway's config to find that out.
    if (previous === null || !sameServers(previous.ir, result.ir)) this.#o.onConfig?.(result.ir);
    this.#toWrite = { result, objects, provisioning: this.#o.provision ? this.informers.objectsOf(this.#o.provision.reads) : [], observed };
    this.#writesDone = this.#writes.request();
  }

  /**
   * Writes the statuses of the latest pass, rechecks objects whose status alone changed
   * meanwhile (as they are cached now) and failed writes, then provisions (leader only). Before
   * the first write() the rechecks wait: there is nothing to compare them with.
   */
  async #write(): Promise<void> {
    const next = this.#toWrite;
    this.#toWrite = null;
    if (this.isLeader && !this.#stopped) {
      if (next !== null) {
        const written = await this.statusWriter.write(next.result.statuses, next.objects);
        if (written.written > 0 || written.failed > 0) this.#log.debug('statuses written', { ...written });
      }
      if (this.statusWriter.started) await this.#recheck();
      if (next !== null) await this.#o.provision?.reconcile(next.result, next.provisioning, next.observed);
    } else {
      this.#toRecheck.clear();
    }
    if (next === null) return;
    this.#passesWritten++;
    if (this.#passesWritten === 1) for (const w of this.#readyWaiters.splice(0)) w();
  }

  /** Rechecks the queued objects as they are cached now, and failed writes when their retry is due. */
  async #recheck(): Promise<void> {
    const current: KObj[] = [];
    for (const o of this.#toRecheck.values()) {
      const now = this.informers.current(o);
      if (now !== undefined) current.push(now);
    }
    this.#toRecheck.clear();
    const retryDue = this.#retryDue;
    this.#retryDue = false;
    if (current.length > 0 || retryDue) {
      const written = await this.statusWriter.recheck(current);
      if (written.written > 0 || written.failed > 0) this.#log.debug('statuses written again', { ...written });
    }
    if (this.statusWriter.pendingRetries > 0) this.#scheduleRetry();
    else this.#retries = 0;
  }
}

/** True when both configs hold the very same server objects, in the same order. */
function sameServers(a: ir.Config, b: ir.Config): boolean {
  return a.version === b.version && a.servers.length === b.servers.length && a.servers.every((s, i) => s === b.servers[i]);
}
