/**
 * The controller's caches: one Reflector per watched kind, plus one per referenced Secret or
 * ConfigMap (watched by name; see kinds.ts for why). Ready only when every kind has completed
 * its first list and every referenced object its own; changes are coalesced into bursts,
 * reported at most once per `coalesceMs`: the first change after a quiet spell is reported at
 * once (after the events of the same read), later ones wait for the window to end. Under churn
 * a burst then takes what arrived during the window; an isolated change (a new route) does not
 * wait for a window it does not need (docs/performance.md §14).
 *
 * A burst in which watched objects changed only in their status (sameApartFromStatus) is
 * reported apart, with those objects, and does not ask for a pass: translate() does not see
 * such changes (stable-objects.ts), and most of them are the echoes of our own status writes.
 * Each pass costs O(routes); while 5k routes churned, skipping those bursts took passes from
 * ~190 to ~140 per 2.5 s (the rest are the churn's own edits, spread over each 100 ms step).
 * The label-selected extra reflectors are not blind to status (a provisioned Service's
 * addresses are in its status).
 */
import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import { CONFIG_MAP, SECRET, WATCHED_KINDS, type KindSpec } from './kinds.js';
import { REFERENCING_KINDS, referencedObjects } from './references.js';
import { Reflector, type ObjectChange } from './reflector.js';
import { objectKeyOf, type KObj, type KubeRest } from './rest.js';
import { sameApartFromStatus, shareUnchanged } from './stable-objects.js';

export interface InformerSetOptions {
  readonly rest: KubeRest;
  /** Called once per burst of changes after the caches are ready. */
  readonly onChange: () => void;
  /**
   * Called instead of `onChange` for a burst in which only statuses of watched objects changed,
   * with those objects as cached at the time (see the module comment).
   */
  readonly onStatusChange?: (objects: readonly KObj[]) => void;
  readonly log?: Logger;
  /** Least time between two reports of a burst (default 50 ms). */
  readonly coalesceMs?: number;
  /** Kinds to watch whole (default WATCHED_KINDS). */
  readonly kinds?: readonly KindSpec[];
  /** Extra label-selected reflectors (e.g. our provisioned objects). */
  readonly extra?: readonly { spec: KindSpec; labelSelector: string }[];
  readonly initialBackoffMs?: number;
}

/** All caches. See the module comment. */
export class InformerSet {
  readonly #o: InformerSetOptions;
  readonly #kinds: Reflector[];
  readonly #extra: Reflector[];
  readonly #refs = new Map<string, Reflector>();
  /** Cancels the scheduled report of the current burst; null when none is scheduled. */
  #cancel: (() => void) | null = null;
  /** When the last burst was reported (performance.now()). */
  #reportedAt = -Infinity;
  /** In the current burst: whether anything besides a status changed, and the status-only objects. */
  #burstChanged = false;
  #burstStatuses: KObj[] = [];
  #started = false;
  #readyWaiters: (() => void)[] = [];

  constructor(options: InformerSetOptions) {
    this.#o = options;
    const make = (spec: KindSpec, extra: { labelSelector?: string; namespace?: string; fieldSelector?: string } = {}, statusBlind = true): Reflector =>
      new Reflector({
        rest: options.rest,
        spec,
        ...extra,
        onChange: (change) => this.#changed(statusBlind ? change : null),
        log: options.log ?? silentLogger,
        ...(options.initialBackoffMs !== undefined ? { initialBackoffMs: options.initialBackoffMs } : {}),
      });
    this.#kinds = (options.kinds ?? WATCHED_KINDS).map((k) => make(k));
    this.#extra = (options.extra ?? []).map((e) => make(e.spec, { labelSelector: e.labelSelector }, false));
    this.#makeRef = (spec, namespace, name) => make(spec, { namespace, fieldSelector: `metadata.name=${name}` });
  }

  readonly #makeRef: (spec: KindSpec, namespace: string, name: string) => Reflector;

  /** All reflectors (for tests and metrics). */
  get reflectors(): readonly Reflector[] {
    return [...this.#kinds, ...this.#extra, ...this.#refs.values()];
  }

  /** True when every cache has completed its first list. */
  get ready(): boolean {
    return this.reflectors.every((r) => r.synced);
  }

  /** Resolves once ready. */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  start(): void {
    this.#started = true;
    for (const r of [...this.#kinds, ...this.#extra]) r.start();
  }

  stop(): void {
    this.#started = false;
    this.#cancel?.();
    this.#cancel = null;
    this.#burstChanged = false;
    this.#burstStatuses = [];
    for (const r of this.reflectors) r.stop();
  }

  /** Every cached object of the watched kinds and referenced Secrets/ConfigMaps. */
  objects(): KObj[] {
    return concatItems([...this.#kinds, ...this.#refs.values()]);
  }

  /** Every cached object of the given watched kinds. */
  objectsOf(kinds: readonly string[]): KObj[] {
    return concatItems(this.#kinds.filter((r) => kinds.includes(r.kind)));
  }

  /** The cached object with the kind, namespace and name of `o` (watched kinds and references). */
  current(o: KObj): KObj | undefined {
    const r = this.#kinds.find((k) => k.kind === o.kind) ?? this.#refs.get(objectKeyOf(o));
    return r?.item(o.metadata.namespace, o.metadata.name);
  }

  /** Cached objects of the extra (label-selected) reflectors. */
  extraObjects(): KObj[] {
    return concatItems(this.#extra);
  }

  /**
   * Once per burst (not per event: finding the referenced objects walks every cached object,
   * which at thousands of routes and events per second was a third of the controller's CPU):
   * start/stop the reference watches, then report readiness and the change.
   */
  #changed(change: ObjectChange | null): void {
    if (!this.#started) return;
    if (change?.previous !== undefined && change.current !== undefined && this.#o.onStatusChange && sameApartFromStatus(change.previous, change.current)) {
      shareUnchanged(change.previous, change.current);
      this.#burstStatuses.push(change.current);
    } else {
      this.#burstChanged = true;
    }
    if (this.#cancel) return;
    const report = (): void => {
      this.#cancel = null;
      this.#reportedAt = performance.now();
      if (!this.#started) return;
      const changed = this.#burstChanged;
      const statuses = this.#burstStatuses;
      this.#burstChanged = false;
      this.#burstStatuses = [];
      // A pass reads every object as it is now, statuses included.
      if (!changed && this.ready) return this.#o.onStatusChange?.(statuses);
      this.#syncReferences();
      if (!this.ready) return;
      for (const w of this.#readyWaiters.splice(0)) w();
      this.#o.onChange();
    };
    const wait = this.#reportedAt + (this.#o.coalesceMs ?? 50) - performance.now();
    if (wait > 0) {
      const timer = setTimeout(report, wait);
      this.#cancel = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(report);
      this.#cancel = () => clearImmediate(immediate);
    }
  }

  /** Starts a reflector for each newly referenced Secret/ConfigMap, stops the unreferenced. */
  #syncReferences(): void {
    if (!this.#kinds.every((r) => r.synced)) return;
    // Only the kinds that can reference one: walking every route per burst cost ~5% of the
    // controller's CPU while 5k routes churned.
    const wanted = referencedObjects(this.objectsOf([...REFERENCING_KINDS]));
    for (const [key, ref] of wanted) {
      if (this.#refs.has(key)) continue;
      const r = this.#makeRef(ref.kind === 'Secret' ? SECRET : CONFIG_MAP, ref.namespace, ref.name);
      this.#refs.set(key, r);
      r.start();
    }
    for (const [key, r] of this.#refs) {
      if (wanted.has(key)) continue;
      r.stop();
      this.#refs.delete(key);
    }
  }
}

/**
 * Every reflector's items in one array. With concat, not flatMap: flatMap took 0.3 ms for 5k
 * routes, concat 0.01 (.scratch-me/objs-bench.mts), and the controller reads this every pass.
 */
function concatItems(reflectors: readonly Reflector[]): KObj[] {
  return ([] as KObj[]).concat(...reflectors.map((r) => r.items()));
}
