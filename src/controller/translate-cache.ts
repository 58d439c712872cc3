/**
 * TranslateCache: an optional memo that translate() uses to skip work for routes that did not
 * change since the previous pass. translate() stays a pure function of its snapshot: with or
 * without a cache the result is the same (translate-cache.test.ts compares them on randomized
 * edit sequences).
 *
 * What is reused: the converted rules of an HTTPRoute or GRPCRoute (IR rules, their matches,
 * invalid-rule and unresolved-reference problems) — the bulk of a pass at thousands of routes.
 * They depend only on the route object and on the resource index (Services, EndpointSlices,
 * ReferenceGrants, Secrets, ConfigMaps, BackendTLSPolicies, Namespaces). Keep it simple and
 * safe:
 * - An entry is keyed by the route object itself (a WeakMap): sources hand out the very same
 *   object for an unchanged route (FileSource; Kubernetes informers), and an edit is a new
 *   object.
 * - Any change to an object that is not a route (a different object, an addition or a removal
 *   in any non-route list of the snapshot) or to the options drops every entry.
 * Attachment, virtual hosts and statuses are recomputed on every pass (they are cheap next to
 * rule conversion, and they depend on every route at once).
 */
import type { Snapshot } from '../source/snapshot.js';
import type { ConvertedRule } from './attachment.js';

/** The snapshot lists that are not routes: a change in any of them invalidates everything. */
const ENVIRONMENT_FIELDS = [
  'gatewayClasses',
  'gateways',
  'listenerSets',
  'backendTLSPolicies',
  'referenceGrants',
  'namespaces',
  'services',
  'endpointSlices',
  'secrets',
  'configMaps',
  'waygateParameters',
] as const satisfies readonly (keyof Snapshot)[];

type Environment = readonly (readonly object[])[];

/** Reuses per-route results across translate() passes (see the module comment). */
export class TranslateCache {
  #environment: Environment | null = null;
  #controllerName: string | null = null;
  #rules = new WeakMap<object, readonly ConvertedRule[]>();
  #hits = 0;
  #misses = 0;

  /**
   * Starts a pass: keeps the entries when no non-route object and no option changed since the
   * previous pass, else drops them all. Called by translate().
   */
  begin(snapshot: Snapshot, controllerName: string): void {
    const environment = ENVIRONMENT_FIELDS.map((f) => snapshot[f] ?? []);
    if (this.#controllerName !== controllerName || !sameEnvironment(this.#environment, environment)) {
      this.#rules = new WeakMap();
    }
    this.#environment = environment;
    this.#controllerName = controllerName;
  }

  /** The converted rules of `route`, computed by `compute` unless the cache has them. */
  rules(route: object, compute: () => ConvertedRule[]): readonly ConvertedRule[] {
    const hit = this.#rules.get(route);
    if (hit !== undefined) {
      this.#hits++;
      return hit;
    }
    this.#misses++;
    const rules = compute();
    this.#rules.set(route, rules);
    return rules;
  }

  /** Reuse counters since the cache was created (for logs and tests). */
  get stats(): { readonly hits: number; readonly misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }
}

/** Element-wise identity of every list. */
function sameEnvironment(prev: Environment | null, next: Environment): boolean {
  if (prev === null || prev.length !== next.length) return false;
  for (let i = 0; i < next.length; i++) {
    const a = prev[i]!;
    const b = next[i]!;
    if (a === b) continue;
    if (a.length !== b.length) return false;
    for (let j = 0; j < b.length; j++) if (a[j] !== b[j]) return false;
  }
  return true;
}
