/**
 * Leader election through a coordination.k8s.io/v1 Lease, as client-go's leaderelection does:
 * the holder renews `spec.renewTime` every `renewMs`; another candidate takes the Lease over
 * once it has seen no renewal for `leaseDurationMs` (measured on its own clock from when it
 * last saw the record change, so clock skew between nodes does not matter). Every write carries
 * the resourceVersion read, so two candidates can never both win. A leader that cannot renew
 * within the lease duration steps down; `stop()` releases the Lease so a successor need not wait.
 */
import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import { LEASE, objectPath, collectionPath } from './kinds.js';
import { KubeApiError, type KObj, type KubeRest } from './rest.js';

export interface LeaderElectorOptions {
  readonly rest: KubeRest;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewMs?: number;
  readonly retryMs?: number;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
  readonly log?: Logger;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

function microTime(d: Date): string {
  return d.toISOString().replace(/(\.\d{3})Z$/, '$1000Z');
}

/** One candidate. See the module comment. */
export class LeaderElector {
  readonly #o: LeaderElectorOptions;
  readonly #log: Logger;
  #leader = false;
  #stopped = true;
  #timer: NodeJS.Timeout | null = null;
  #observed: { record: string; at: number } | null = null;
  #lastRenew = 0;

  constructor(options: LeaderElectorOptions) {
    this.#o = options;
    this.#log = (options.log ?? silentLogger).child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  get #durationMs(): number {
    return this.#o.leaseDurationMs ?? 15_000;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#tick();
  }

  /** Stops campaigning; a leader releases the Lease first. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#leader) {
      try {
        const lease = await this.#o.rest.get(this.#path());
        const spec = (lease?.['spec'] ?? {}) as LeaseSpec;
        if (lease && spec.holderIdentity === this.#o.identity) {
          await this.#o.rest.send('PUT', this.#path(), { body: { ...lease, spec: { ...spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) } } });
        }
      } catch (err) {
        this.#log.warn('could not release the lease', { error: (err as Error).message });
      }
      this.#setLeader(false);
    }
  }

  #path(): string {
    return objectPath(LEASE, this.#o.namespace, this.#o.name);
  }

  #setLeader(value: boolean): void {
    if (this.#leader === value) return;
    this.#leader = value;
    this.#log.info(value ? 'became leader' : 'stopped leading');
    if (value) this.#o.onStartedLeading();
    else this.#o.onStoppedLeading();
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      const won = await this.#tryAcquireOrRenew();
      if (won) this.#lastRenew = Date.now();
      if (won) this.#setLeader(true);
      else if (this.#leader && Date.now() - this.#lastRenew > this.#durationMs) this.#setLeader(false);
    } catch (err) {
      this.#log.warn('lease update failed', { error: (err as Error).message });
      if (this.#leader && Date.now() - this.#lastRenew > this.#durationMs) this.#setLeader(false);
    }
    if (this.#stopped) return;
    const next = this.#leader ? (this.#o.renewMs ?? Math.round(this.#durationMs / 3)) : (this.#o.retryMs ?? Math.round(this.#durationMs / 5));
    this.#timer = setTimeout(() => void this.#tick(), next);
    this.#timer.unref?.();
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const me = this.#o.identity;
    const durationSeconds = Math.max(1, Math.round(this.#durationMs / 1000));
    const lease = await this.#o.rest.get(this.#path());
    if (!lease) {
      const body: KObj = {
        apiVersion: LEASE.apiVersion,
        kind: 'Lease',
        metadata: { name: this.#o.name, namespace: this.#o.namespace },
        spec: { holderIdentity: me, leaseDurationSeconds: durationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
      };
      return this.#write('POST', collectionPath(LEASE, this.#o.namespace), body);
    }
    const spec = (lease['spec'] ?? {}) as LeaseSpec;
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime]);
    if (!this.#observed || this.#observed.record !== record) this.#observed = { record, at: Date.now() };
    const holder = spec.holderIdentity ?? '';
    const heldFor = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    const expired = holder === '' || Date.now() - this.#observed.at > heldFor;
    if (holder !== me && !expired) return false;
    const next: LeaseSpec = {
      holderIdentity: me,
      leaseDurationSeconds: durationSeconds,
      acquireTime: holder === me ? (spec.acquireTime ?? microTime(now)) : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (holder === me ? 0 : 1),
    };
    return this.#write('PUT', this.#path(), { ...lease, spec: next });
  }

  async #write(method: string, path: string, body: KObj): Promise<boolean> {
    try {
      await this.#o.rest.send(method, path, { body });
      return true;
    } catch (err) {
      // Someone else wrote first: not ours this round.
      if (err instanceof KubeApiError && (err.code === 409 || err.code === 422)) return false;
      throw err;
    }
  }
}
