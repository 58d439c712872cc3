/**
 * One offline pass over a directory, for `validate` and `status -f`: load, translate, and
 * render the statuses that `serve` would write — without binding anything.
 */
import type { KubeObject } from '../api/types.js';
import { translate } from '../controller/translate.js';
import { FileSource } from '../source/file/file-source.js';
import type { LoadIssue } from '../source/file/issues.js';
import { isBindableAddress, localInterfaceAddresses } from '../runtime/addresses.js';
import { toKubeTime } from '../runtime/standalone.js';
import { toStatusObjects, type StatusObject } from '../runtime/status-objects.js';

export interface OfflineResult {
  readonly objects: readonly KubeObject[];
  readonly issues: readonly LoadIssue[];
  readonly statusObjects: readonly StatusObject[];
}

export interface OfflineOptions {
  readonly controllerName: string;
  readonly addressPool: readonly string[];
  readonly clock?: () => Date;
}

/** Loads `dir` once and computes the statuses. */
export async function computeOffline(dir: string, options: OfflineOptions): Promise<OfflineResult> {
  const clock = options.clock ?? (() => new Date());
  const loaded = await new FileSource(dir, { clock }).load();
  const result = translate(loaded.snapshot, {
    controllerName: options.controllerName,
    now: toKubeTime(clock()),
    addresses: { pool: options.addressPool, assigned: {}, isUsable: (ip) => isBindableAddress(ip, localInterfaceAddresses) },
  });
  return { objects: loaded.objects, issues: loaded.issues, statusObjects: toStatusObjects(result.statuses, loaded.objects) };
}
