/**
 * A reflector keeps a local copy of one collection: list, then watch from the list's
 * resourceVersion (with bookmarks, so the version stays fresh).
 *
 * - a watch that ends cleanly is resumed from the last seen resourceVersion
 * - "410 Gone" (an ERROR event with code 410, or a 410 answer) means the version is too old:
 *   list again, then watch from the new version
 * - any other error restarts the whole cycle after an exponential backoff with jitter
 *   (client-node's own ListWatch stops on such errors; this wrapper never gives up)
 * - an optional kind whose CRD is missing (404 on list) counts as synced and empty, and is
 *   listed again later
 *
 * `synced` turns true after the first successful list and stays true.
 */
import { backoffMs } from '../../runtime/backoff.js';
import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import { collectionPath, type KindSpec } from './kinds.js';
import { KubeApiError, type KObj, type KubeRest } from './rest.js';

export interface ReflectorOptions {
  readonly rest: KubeRest;
  readonly spec: KindSpec;
  /** Watch one namespace only. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /**
   * Called (synchronously) after every change of the local copy: with the object before and
   * after a watch event (undefined when it was added or deleted), or with null after a list
   * replaced the whole copy (also when first synced).
   */
  readonly onChange: (change: ObjectChange | null) => void;
  readonly log?: Logger;
  /** First retry delay (default 500 ms); doubles up to `maxBackoffMs` (default 30 s). */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How often a missing optional kind is listed again (default 60 s). */
  readonly absentRetryMs?: number;
}

/** One watch event's effect on the local copy. */
export interface ObjectChange {
  readonly previous: KObj | undefined;
  readonly current: KObj | undefined;
}

function keyOf(o: KObj): string {
  return itemKey(o.metadata.namespace, o.metadata.name);
}

/** The items' key: `namespace/name` (`/name` for cluster-scoped objects). */
function itemKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** One list/watch loop. See the module comment. */
export class Reflector {
  readonly #o: ReflectorOptions;
  readonly #log: Logger;
  #items = new Map<string, KObj>();
  #rv = '';
  #synced = false;
  #stopped = true;
  #attempt = 0;
  #failures = 0;
  #watch: { abort(): void } | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** Counters for tests and metrics. */
  readonly counters = { lists: 0, watches: 0, errors: 0, gone: 0 };

  constructor(options: ReflectorOptions) {
    this.#o = options;
    this.#log = (options.log ?? silentLogger).child({ kind: options.spec.kind, ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}) });
  }

  /** The kind this reflector caches. */
  get kind(): string {
    return this.#o.spec.kind;
  }

  /** True once the first list has completed. */
  get synced(): boolean {
    return this.#synced;
  }

  /** The cached objects, with apiVersion and kind set (list items may lack them). */
  items(): KObj[] {
    return [...this.#items.values()];
  }

  /** The cached object of that name, if any. */
  item(namespace: string | undefined, name: string): KObj | undefined {
    return this.#items.get(itemKey(namespace, name));
  }

  /** Starts the loop (idempotent). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#cycle();
  }

  /** Stops the loop and any open watch. */
  stop(): void {
    this.#stopped = true;
    this.#attempt++;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#watch?.abort();
    this.#watch = null;
  }

  #normalise(o: KObj): KObj {
    return { ...o, apiVersion: this.#o.spec.apiVersion, kind: this.#o.spec.kind };
  }

  #query(): Record<string, string> {
    const q: Record<string, string> = {};
    if (this.#o.labelSelector) q['labelSelector'] = this.#o.labelSelector;
    if (this.#o.fieldSelector) q['fieldSelector'] = this.#o.fieldSelector;
    return q;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#cycle();
    }, ms);
    this.#timer.unref?.();
  }

  #backoff(): number {
    return backoffMs(this.#failures++, this.#o.initialBackoffMs ?? 500, this.#o.maxBackoffMs ?? 30_000, true);
  }

  async #cycle(): Promise<void> {
    if (this.#stopped) return;
    const attempt = ++this.#attempt;
    const path = collectionPath(this.#o.spec, this.#o.namespace);
    if (this.#rv === '') {
      try {
        this.counters.lists++;
        const list = await this.#o.rest.list(path, this.#query());
        if (attempt !== this.#attempt) return;
        this.#replace(list.items);
        this.#rv = list.resourceVersion;
        this.#failures = 0;
      } catch (err) {
        if (attempt !== this.#attempt) return;
        this.counters.errors++;
        if (err instanceof KubeApiError && err.code === 404 && this.#o.spec.optional) {
          // The CRD is not installed: nothing to watch; look again later.
          if (!this.#synced || this.#items.size > 0) this.#replace([]);
          this.#schedule(this.#o.absentRetryMs ?? 60_000);
          return;
        }
        const ms = this.#backoff();
        this.#log.warn('list failed; retrying', { error: String((err as Error).message ?? err), retryMs: ms });
        this.#schedule(ms);
        return;
      }
    }
    this.counters.watches++;
    const started = Date.now();
    const onDone = (err: unknown): void => {
      if (attempt !== this.#attempt || this.#stopped) return;
      this.#watch = null;
      if (err && !(err instanceof Error && err.name === 'AbortError')) {
        this.counters.errors++;
        const code = (err as { statusCode?: number }).statusCode;
        if (code === 410) {
          this.counters.gone++;
          this.#rv = '';
          this.#schedule(0);
          return;
        }
        const ms = this.#backoff();
        this.#log.warn('watch failed; restarting', { error: String((err as Error).message ?? err), retryMs: ms });
        this.#schedule(ms);
        return;
      }
      // A clean end (server timeout, 410 ERROR event): resume, without spinning on a server that
      // closes every watch at once.
      this.#schedule(this.#rv === '' || Date.now() - started > 1000 ? 0 : this.#backoff());
    };
    try {
      const handle = await this.#o.rest.watch(path, { ...this.#query(), resourceVersion: this.#rv }, (type, obj) => {
        if (attempt !== this.#attempt) return;
        this.#onEvent(type, obj);
      }, onDone);
      if (attempt !== this.#attempt) handle.abort();
      else this.#watch = handle;
    } catch (err) {
      onDone(err);
    }
  }

  #onEvent(type: string, obj: KObj): void {
    let change: ObjectChange | null = null;
    switch (type) {
      case 'ADDED':
      case 'MODIFIED': {
        const key = keyOf(obj);
        const current = this.#normalise(obj);
        change = { previous: this.#items.get(key), current };
        this.#items.set(key, current);
        break;
      }
      case 'DELETED': {
        const key = keyOf(obj);
        change = { previous: this.#items.get(key), current: undefined };
        this.#items.delete(key);
        break;
      }
      case 'BOOKMARK':
        break;
      case 'ERROR': {
        // "410 Gone": the resourceVersion is too old; the stream ends and we list again.
        const code = (obj as { code?: number }).code;
        if (code === 410) {
          this.counters.gone++;
          this.#rv = '';
        }
        this.#watch?.abort();
        return;
      }
      default:
        return;
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.#rv = rv;
    this.#failures = 0;
    if (change !== null) this.#o.onChange(change);
  }

  #replace(items: readonly KObj[]): void {
    const next = new Map<string, KObj>();
    for (const o of items) next.set(keyOf(o), this.#normalise(o));
    this.#items = next;
    this.#synced = true;
    this.#o.onChange(null);
  }
}
