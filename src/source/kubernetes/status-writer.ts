/**
 * Writes the controller's statuses through the `/status` subresource.
 *
 * - only our entries are touched: route `status.parents` and policy `status.ancestors` entries
 *   of other controllers are kept as they are ("keyed by (parentRef, controllerName)"); our stale
 *   entries (a route that no longer points at us) are removed
 * - no write when nothing changed, comparing without lastTransitionTime; only the cached
 *   objects and status updates that are not the very ones of the previous write are looked at,
 *   and a pair already written or found equal is not compared again (both are kept by identity
 *   from pass to pass: informers keep an object until it changes, the translate cache keeps a
 *   route's rendered status). At 5k routes, walking every status per pass took 2.4 ms, with
 *   passes at ~60/s while routes churned
 * - an object whose status alone changed (our write's echo, or someone else's write) is checked
 *   against the last write's updates only (recheck), without a pass
 * - lastTransitionTime stays stable when a condition's status did not flip (mergeTransitionTimes)
 * - optimistic concurrency: the patch carries the cached resourceVersion; on 409 Conflict the
 *   object is read again and the status recomputed on the fresh copy
 */
import type { StatusUpdate } from '../../controller/translate.js';
import { mergeTransitionTimes } from '../../controller/status.js';
import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import { alignByIdentity, changeBudget } from '../../ir/identity-diff.js';
import { kindSpec, objectPath } from './kinds.js';
import { KubeApiError, objectKeyOf, type KObj, type KubeRest } from './rest.js';
import { sameStatus } from './same-status.js';
import { identityKey } from '../snapshot.js';

const ROUTE_KINDS = new Set(['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute']);
const POLICY_KINDS = new Set(['BackendTLSPolicy']);

export interface StatusWriteResult {
  readonly written: number;
  readonly unchanged: number;
  readonly failed: number;
}

type Status = Record<string, unknown>;

function entriesOf(status: Status | undefined, field: string): Record<string, unknown>[] {
  const v = status?.[field];
  return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
}

/** Where a kind's status lists entries per controller: routes' `parents`, policies' `ancestors`. */
function entriesField(kind: string): 'parents' | 'ancestors' | null {
  return ROUTE_KINDS.has(kind) ? 'parents' : POLICY_KINDS.has(kind) ? 'ancestors' : null;
}

/**
 * The status the object should have: `update` (our part, null when we have none) merged into
 * `current`. Pure.
 */
export function desiredStatus(kind: string, current: Status | undefined, update: StatusUpdate | null, controllerName: string): Status {
  const field = entriesField(kind);
  if (update === null) {
    if (field === null) return current ?? {};
    return { ...(current ?? {}), [field]: entriesOf(current, field).filter((e) => e['controllerName'] !== controllerName) };
  }
  const previous: StatusUpdate = { ...update, status: current ?? {} };
  const [merged] = mergeTransitionTimes([previous], [update]);
  const ours = (merged ?? update).status;
  if (field === null) return ours;
  const others = entriesOf(current, field).filter((e) => e['controllerName'] !== controllerName);
  return { ...(current ?? {}), ...ours, [field]: [...others, ...entriesOf(ours, field)] };
}

/** The key of the object an update is for: the same as objectKeyOf of that object. */
function updateKey(u: StatusUpdate): string {
  return identityKey(u.kind, u.namespace, u.name);
}

/** Removes `key` from `map` when it still holds `value`; notes the key. */
function forget<V>(map: Map<string, V>, key: string, value: V, touched: Set<string>): void {
  if (map.get(key) === value) map.delete(key);
  touched.add(key);
}

/** Sets `key` to `value`; notes the key. */
function remember<V>(map: Map<string, V>, key: string, value: V, touched: Set<string>): void {
  map.set(key, value);
  touched.add(key);
}

/** The updates before the first write(). */
const NO_UPDATES: readonly StatusUpdate[] = [];

/** An object to bring to `update` (null: drop our entries). */
interface Work {
  readonly obj: KObj;
  readonly update: StatusUpdate | null;
}

/** Status PATCHes in flight at once (each object is independent; the API server takes them concurrently). */
const STATUS_WRITES_IN_FLIGHT = 8;

/** Patches statuses. See the module comment. */
export class StatusWriter {
  readonly #rest: KubeRest;
  readonly #controllerName: string;
  readonly #log: Logger;
  /** Writes sent so far (tests). */
  writes = 0;
  /**
   * Per cached object, the update it was last written with or found equal to (null: our
   * entries dropped). At 5k routes, comparing every route's status on every pass was a sixth of
   * the controller's CPU while routes churned.
   */
  #settled = new WeakMap<KObj, StatusUpdate | null>();
  /** The lists of the last write() and what they hold by `kind/namespace/name`. */
  #cached: readonly KObj[] = [];
  #updates: readonly StatusUpdate[] = NO_UPDATES;
  #byKey = new Map<string, KObj>();
  /** What recheck() compares with. */
  #latest = new Map<string, StatusUpdate>();
  /** Keys whose write failed: looked at again by the next write(). */
  readonly #retry = new Set<string>();

  constructor(options: { rest: KubeRest; controllerName: string; log?: Logger }) {
    this.#rest = options.rest;
    this.#controllerName = options.controllerName;
    this.#log = options.log ?? silentLogger;
  }

  /**
   * Writes every status that differs from the cached object's. Looks only at the objects and
   * updates that are not the very ones of the previous call (both lists lined up by identity
   * with the previous ones), plus those whose write failed; everything when too much changed.
   */
  async write(updates: readonly StatusUpdate[], cached: readonly KObj[]): Promise<StatusWriteResult> {
    const touched = new Set<string>(this.#retry);
    this.#retry.clear();
    const objects = alignByIdentity(this.#cached, cached, changeBudget(cached.length));
    const statuses = objects === null ? null : alignByIdentity(this.#updates, updates, changeBudget(updates.length));
    if (objects === null || statuses === null) {
      this.#byKey = new Map(cached.map((o) => [objectKeyOf(o), o]));
      this.#latest = new Map(updates.map((u) => [updateKey(u), u]));
      for (const key of this.#byKey.keys()) touched.add(key);
    } else {
      // A replaced element is a removed one and an inserted one with the same key: removals first.
      for (const i of objects.removed) forget(this.#byKey, objectKeyOf(this.#cached[i]!), this.#cached[i]!, touched);
      for (const i of statuses.removed) forget(this.#latest, updateKey(this.#updates[i]!), this.#updates[i]!, touched);
      for (const j of objects.inserted) remember(this.#byKey, objectKeyOf(cached[j]!), cached[j]!, touched);
      for (const j of statuses.inserted) remember(this.#latest, updateKey(updates[j]!), updates[j]!, touched);
    }
    this.#cached = cached;
    this.#updates = updates;
    const objs: KObj[] = [];
    for (const key of touched) {
      const obj = this.#byKey.get(key);
      if (obj !== undefined) objs.push(obj);
    }
    return this.#bring(objs);
  }

  /**
   * Checks objects whose status alone changed since the last write() (often the echo of our own
   * write; sometimes someone else's) against the updates of that write, and writes those that
   * no longer match; also tries again the writes that failed (pendingRetries), with the object
   * given for that key or else the one last cached. Costs those objects, not every status.
   */
  recheck(objects: readonly KObj[]): Promise<StatusWriteResult> {
    // Before the first write() there are no updates to compare with: every route would look
    // like one we no longer handle, and lose our entries.
    if (!this.started) return Promise.resolve({ written: 0, unchanged: 0, failed: 0 });
    const byKey = new Map<string, KObj>();
    for (const key of this.#retry) {
      const obj = this.#byKey.get(key);
      if (obj !== undefined) byKey.set(key, obj);
    }
    this.#retry.clear();
    for (const obj of objects) byKey.set(objectKeyOf(obj), obj);
    return this.#bring([...byKey.values()]);
  }

  /** Writes that failed and are not tried again yet (by the next write() or recheck()). */
  get pendingRetries(): number {
    return this.#retry.size;
  }

  /** True once write() ran: recheck() has statuses to compare with. */
  get started(): boolean {
    return this.#updates !== NO_UPDATES;
  }

  /** Brings each object to its update of the last write(), unless settled there already. */
  async #bring(objects: readonly KObj[]): Promise<StatusWriteResult> {
    const work: Work[] = [];
    let unchanged = 0;
    for (const obj of objects) {
      const u = this.#latest.get(objectKeyOf(obj));
      // Routes and policies we wrote for before but no longer handle: drop our entries.
      if (u === undefined) {
        if (this.#hasStaleEntries(obj)) work.push({ obj, update: null });
      } else if (this.#settled.get(obj) === u) unchanged++;
      else work.push({ obj, update: u });
    }
    const result = await this.#run(work);
    return { ...result, unchanged: result.unchanged + unchanged };
  }

  /** True for a route or policy that we do not handle (any more) but that lists our entries. */
  #hasStaleEntries(obj: KObj): boolean {
    const field = entriesField(obj.kind ?? '');
    if (field === null || this.#settled.get(obj) === null) return false;
    return entriesOf(obj['status'] as Status | undefined, field).some((e) => e['controllerName'] === this.#controllerName);
  }

  /**
   * Each object is written on its own: a few at a time, so thousands of routes' statuses do
   * not take thousands of round trips one after the other.
   */
  async #run(work: readonly Work[]): Promise<StatusWriteResult> {
    let written = 0;
    let unchanged = 0;
    let failed = 0;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < work.length) {
        const { obj, update } = work[next++]!;
        try {
          if (await this.#writeOne(obj, update)) written++;
          else unchanged++;
          this.#settled.set(obj, update);
        } catch (err) {
          failed++;
          this.#retry.add(objectKeyOf(obj));
          this.#log.warn('status write failed', { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, error: (err as Error).message });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(STATUS_WRITES_IN_FLIGHT, work.length) }, lane));
    return { written, unchanged, failed };
  }

  async #writeOne(initial: KObj, update: StatusUpdate | null): Promise<boolean> {
    const spec = kindSpec(initial.kind ?? '');
    if (!spec) return false;
    let obj: KObj | null = initial;
    for (let attempt = 0; attempt < 5 && obj; attempt++) {
      // observedGeneration may lag when the cache is behind the object translate saw (or vice
      // versa); the pass that follows the next informer event writes it again.
      const current = obj['status'] as Status | undefined;
      const desired = desiredStatus(spec.kind, current, update, this.#controllerName);
      if (sameStatus(current, desired)) return false;
      const body: Status = { ...desired };
      // A merge patch merges nested objects: remove what we no longer want explicitly.
      for (const k of Object.keys(current ?? {})) if (!(k in desired)) body[k] = null;
      try {
        this.writes++;
        await this.#rest.send('PATCH', objectPath(spec, obj.metadata.namespace, obj.metadata.name, 'status'), {
          body: { metadata: { resourceVersion: obj.metadata.resourceVersion }, status: body },
          contentType: 'application/merge-patch+json',
        });
        return true;
      } catch (err) {
        if (!(err instanceof KubeApiError) || err.code !== 409) throw err;
        obj = await this.#rest.get(objectPath(spec, obj.metadata.namespace, obj.metadata.name));
      }
    }
    return false;
  }
}
