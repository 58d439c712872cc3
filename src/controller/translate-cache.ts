/**
 * TranslateCache: an optional memo that translate() uses to skip work for routes that did not
 * change since the previous pass. translate() stays a pure function of its snapshot: with or
 * without a cache the result is the same (translate-cache.test.ts compares them on randomized
 * edit sequences), with one exception: a reused route's status keeps the lastTransitionTime of
 * the pass that first rendered it (below).
 *
 * What is reused, so that a pass costs what changed rather than the number of routes:
 * - the converted rules of an HTTPRoute or GRPCRoute (IR rules, their matches, invalid-rule and
 *   unresolved-reference problems). They depend only on the route object and on the resource
 *   index (Services, EndpointSlices, ReferenceGrants, Secrets, ConfigMaps, BackendTLSPolicies,
 *   Namespaces);
 * - its attachment (the RouteNode with its parent conditions, and its placements on listener
 *   slots), which also depends on the listeners: kept only while `attachmentSignature` of the
 *   Gateways is unchanged;
 * - per route kind, where its routes were placed on each listener slot, so the next pass places
 *   only the routes that came or went (route-placements.ts); dropped with the attachments;
 * - per listener, its rules and virtual hosts: updated where few attachments changed
 *   (virtual-hosts-cache.ts), each unaffected virtual host keeping its IR object;
 * - the rendered status of a reused RouteNode, stamped with the `now` of the pass that first
 *   rendered it: the time the controller first reached those conditions, which is when they
 *   transitioned. Every consumer keeps older times of unchanged conditions anyway
 *   (mergeTransitionTimes in standalone.ts and status-writer.ts), so what is stored is the
 *   same; rendering all 5k route statuses again whenever `now` moved on was a fifth of a
 *   Kubernetes-mode pass under churn.
 * Keep it simple and safe:
 * - An entry is keyed by the route object itself (a WeakMap): sources hand out the very same
 *   object for an unchanged route (FileSource; Kubernetes informers), and an edit is a new
 *   object.
 * - Any change to an object that is not a route (a different object, an addition or a removal
 *   in any non-route list of the snapshot) or to the options drops every entry.
 *
 * Structural sharing of the IR: a server equal to the one of the same name in the previous
 * pass is returned as that very object, so a data plane can tell unchanged servers by identity
 * and skip compiling (and sending) them. The comparison is cheap because reused rules are the
 * same objects (equality short-circuits on identity).
 */
import type { Snapshot } from '../source/snapshot.js';
import type * as ir from '../ir/types.js';
import { attachmentSignature, type AttachedRoute, type ConvertedRule, type RouteMemo } from './attachment.js';
import type { KindPlacements } from './route-placements.js';
import type { GatewayNode, RouteNode } from './model.js';
import type { StatusUpdate } from './translate.js';
import { VirtualHostCache } from './virtual-hosts-cache.js';

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
export class TranslateCache implements RouteMemo {
  #environment: Environment | null = null;
  #controllerName: string | null = null;
  #rules = new WeakMap<object, readonly ConvertedRule[]>();
  #attached = new WeakMap<object, AttachedRoute>();
  /** Per route kind, the previous pass's placements; valid exactly as long as #attached. */
  #placements = new Map<string, KindPlacements>();
  #placementUpdates = 0;
  #signature: string | null = null;
  #routeStatuses = new WeakMap<RouteNode, StatusUpdate>();
  /** Per-listener rules and virtual hosts of the previous pass (used by buildServers). */
  readonly virtualHosts = new VirtualHostCache();
  #servers = new Map<string, ir.Server>();
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
      this.#attached = new WeakMap();
      this.#placements = new Map();
      this.#routeStatuses = new WeakMap();
    }
    this.#environment = environment;
    this.#controllerName = controllerName;
    this.virtualHosts.begin();
  }

  /**
   * Called once the Gateways of the pass are built: attachments are kept only while everything
   * attachment reads about the listeners is unchanged.
   */
  gatewaysBuilt(gateways: readonly GatewayNode[]): void {
    const signature = attachmentSignature(gateways);
    if (signature !== this.#signature) {
      this.#attached = new WeakMap();
      this.#placements = new Map();
    }
    this.#signature = signature;
  }

  /** The attachment remembered for `route` (a miss is counted through rules()). */
  attachedOf(route: object): AttachedRoute | undefined {
    const hit = this.#attached.get(route);
    if (hit !== undefined) this.#hits++;
    return hit;
  }

  rememberAttached(route: object, attached: AttachedRoute): void {
    this.#attached.set(route, attached);
  }

  placementsOf(kind: string): KindPlacements | undefined {
    return this.#placements.get(kind);
  }

  rememberPlacements(kind: string, placements: KindPlacements, how: { readonly updated: boolean; readonly unvisited: number }): void {
    if (how.updated) this.#placementUpdates++;
    this.#hits += how.unvisited; // reused too; the visited ones counted their hit or miss
    this.#placements.set(kind, placements);
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

  /**
   * The status of a route node, rendered by `render(node)` the first time (see the module
   * comment). `render` takes the node so that one function serves a whole pass: a closure per
   * route cost 5k allocations per status rendering at 5k routes.
   */
  routeStatus(node: RouteNode, render: (node: RouteNode) => StatusUpdate): StatusUpdate {
    let status = this.#routeStatuses.get(node);
    if (status === undefined) {
      status = render(node);
      this.#routeStatuses.set(node, status);
    }
    return status;
  }

  /** The servers, each replaced by the previous pass's object of the same name when equal. */
  shareServers(servers: readonly ir.Server[]): ir.Server[] {
    const next = new Map<string, ir.Server>();
    const out = servers.map((server) => {
      const prev = this.#servers.get(server.name);
      const shared = prev !== undefined && equalValues(prev, server) ? prev : server;
      next.set(server.name, shared);
      return shared;
    });
    this.#servers = next;
    return out;
  }

  /** Passes that updated a route kind's placements instead of placing every route (for tests). */
  get placementUpdates(): number {
    return this.#placementUpdates;
  }

  /** Routes reused (attachment or rules) and converted, since the cache was created (for logs and tests). */
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

/** Deep equality of plain data (objects, arrays, primitives), short-circuiting on identity. */
function equalValues(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equalValues(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const pa = Object.getPrototypeOf(a) as unknown;
  if (pa !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false; // not plain data
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!equalValues((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}
