/**
 * The seams of the standalone runtime: what it needs from a config source, a watcher and the
 * controller, typed structurally so tests can hand in fakes.
 */
import type { KubeObject } from '../api/types.js';
import type { StatusUpdate } from '../controller/translate.js';

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
  load(): Promise<{ objects: KubeObject[]; issues: readonly RuntimeIssue[]; changed: boolean }>;
}

/** Starts watching for changes; `onChange` may be called in bursts. */
export type WatchFn = (onChange: () => void) => { close(): void };

/** Keeps lastTransitionTime stable when a condition's status did not change. */
export type MergeTransitionTimes = (
  previous: readonly StatusUpdate[],
  next: readonly StatusUpdate[],
) => readonly StatusUpdate[];
