/**
 * The seams of the standalone runtime: what it needs from a config source, a watcher and the
 * controller, typed structurally so tests can hand in fakes.
 */
import type { KubeObject } from '../api/types.js';
import type { StatusUpdate } from '../controller/translate.js';
import type { Snapshot } from '../source/snapshot.js';

/**
 * A problem with one input document, as the file source reports it (see
 * src/source/file: LoadIssue). Typed structurally here so the runtime does not depend on the
 * loader's internals.
 */
export interface RuntimeIssue {
  readonly file: string;
  readonly document: number;
  readonly kind: string | null;
  readonly name: string | null;
  readonly namespace: string | null;
  readonly path: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/** Where the runtime reads objects from (FileSource in standalone mode). */
export interface ConfigSource {
  /**
   * Loads the current objects. `changed`: the paths a watcher saw change (the source may re-read
   * only those); absent or null: re-read everything.
   */
  load(changed?: ReadonlySet<string> | null): Promise<LoadResult>;
}

/** What ConfigSource.load gives. */
export interface LoadResult {
  /** Every object (a source may put the list together only when this is read). */
  readonly objects: KubeObject[];
  readonly issues: readonly RuntimeIssue[];
  readonly changed: boolean;
  /**
   * buildSnapshot(objects), when the source keeps one up to date (FileSource): the runtime
   * translates it without reading `objects`. It must be exactly what buildSnapshot would give.
   */
  readonly snapshot?: Snapshot;
  /** objects.length, without putting the list together. */
  readonly count?: number;
}

/**
 * Starts watching for changes; `onChange` may be called in bursts, with the paths that changed
 * when the watcher knows them (null or absent: anything may have changed). `flush`, when the
 * watcher coalesces events, calls `onChange` at once with what it holds.
 */
export type WatchFn = (onChange: (changed?: ReadonlySet<string> | null) => void) => { close(): void; flush?(): void };

/** Keeps lastTransitionTime stable when a condition's status did not change. */
export type MergeTransitionTimes = (
  previous: readonly StatusUpdate[],
  next: readonly StatusUpdate[],
) => readonly StatusUpdate[];
