/**
 * Where one kind's routes (HTTPRoute or GRPCRoute) are placed, per listener slot, kept across
 * passes so that a pass places what changed instead of replaying every route.
 *
 * While attachments stay valid (translate-cache.ts: same non-route objects, same listeners),
 * an unchanged route — the same object — has the same attachment and so the same placements.
 * The next pass lines up its routes with the previous ones by identity (ir/identity-diff.ts) and
 * rebuilds each slot's list from the previous one: entries of removed routes dropped, those of
 * inserted routes merged in at their route's position. That reads only the lists and the
 * inserted routes' attachments; the thousands of unchanged route objects are not visited.
 * The lists are the same as a replay of every route in order (translate-cache.test.ts
 * compares cached and uncached translate along random edit sequences).
 */
import type { AttachedRoute } from './attachment.js';
import type { RouteAttachment, RouteNode } from './model.js';
import { alignByIdentity, changeBudget, recordDiff } from '../ir/identity-diff.js';

/** One slot's attachments in route order, with the position in `routes` of each one's route. */
export interface SlotPlacements {
  readonly attachments: readonly RouteAttachment[];
  readonly owners: Int32Array;
}

/** What one kind's routes placed in one pass. Never mutated once built. */
export interface KindPlacements {
  readonly routes: readonly object[];
  /** One RouteNode per route, in `routes` order. */
  readonly nodes: readonly RouteNode[];
  readonly slots: ReadonlyMap<string, SlotPlacements>;
}

/** Places every route: `attach` gives a route's (remembered or new) attachment. */
export function placeAll(routes: readonly object[], attach: (route: object) => AttachedRoute): KindPlacements {
  const nodes = new Array<RouteNode>(routes.length);
  const lists: GrowingLists = new Map();
  for (let i = 0; i < routes.length; i++) {
    const attached = attach(routes[i]!);
    nodes[i] = attached.node;
    addPlacements(lists, attached, i);
  }
  const slots = new Map<string, SlotPlacements>();
  for (const [slot, list] of lists) slots.set(slot, { attachments: list.attachments, owners: Int32Array.from(list.owners) });
  return { routes, nodes, slots };
}

/**
 * `prev` brought up to `routes` (see the module comment), or null when too many routes changed
 * for that to pay. `attach` is called for the inserted routes only.
 */
export function updatePlacements(prev: KindPlacements, routes: readonly object[], attach: (route: object) => AttachedRoute): KindPlacements | null {
  if (routes === prev.routes) return prev;
  const diff = alignByIdentity(prev.routes, routes, changeBudget(routes.length));
  if (diff === null) return null;
  const { oldToNew, newToOld, inserted } = diff;
  if (diff.removed.length === 0 && inserted.length === 0) return prev; // the same routes

  const nodes = new Array<RouteNode>(routes.length);
  for (let j = 0; j < routes.length; j++) {
    const i = newToOld[j]!;
    if (i !== -1) nodes[j] = prev.nodes[i]!;
  }
  // The inserted routes' placements by slot, in route order.
  const added: GrowingLists = new Map();
  for (const j of inserted) {
    const attached = attach(routes[j]!);
    nodes[j] = attached.node;
    addPlacements(added, attached, j);
  }

  const slots = new Map<string, SlotPlacements>();
  const merge = (slot: string, before: SlotPlacements | undefined): void => {
    const extra = added.get(slot);
    if (extra === undefined && before !== undefined) {
      const kept = keptAsIs(before, oldToNew);
      if (kept !== null) {
        slots.set(slot, kept);
        return;
      }
    }
    const size = (before?.owners.length ?? 0) + (extra?.owners.length ?? 0);
    const attachments = new Array<RouteAttachment>(size);
    const owners = new Int32Array(size);
    let n = 0;
    let e = 0;
    // The edits, recorded for the virtual-host update that lines up this slot's lists.
    const gone: number[] = [];
    const came: number[] = [];
    const takeExtraUpTo = (limit: number): void => {
      while (extra !== undefined && e < extra.owners.length && extra.owners[e]! < limit) {
        came.push(n);
        attachments[n] = extra.attachments[e]!;
        owners[n++] = extra.owners[e++]!;
      }
    };
    if (before !== undefined) {
      for (let k = 0; k < before.owners.length; k++) {
        const to = oldToNew[before.owners[k]!]!;
        if (to === -1) {
          gone.push(k); // its route is gone
          continue;
        }
        takeExtraUpTo(to);
        attachments[n] = before.attachments[k]!;
        owners[n++] = to;
      }
    }
    takeExtraUpTo(routes.length);
    if (n === 0) return;
    attachments.length = n;
    if (before !== undefined) recordDiff(before.attachments, attachments, gone, came);
    slots.set(slot, { attachments, owners: n === size ? owners : owners.slice(0, n) });
  };
  for (const [slot, before] of prev.slots) merge(slot, before);
  for (const slot of added.keys()) if (!prev.slots.has(slot)) merge(slot, undefined);
  return { routes, nodes, slots };
}

/** Per slot, attachments and their routes' positions, while they are being collected. */
type GrowingLists = Map<string, { attachments: RouteAttachment[]; owners: number[] }>;

/** Adds a route's placements (the route at position `owner`) to the slots' lists. */
function addPlacements(lists: GrowingLists, attached: AttachedRoute, owner: number): void {
  // An index loop: placeAll runs this for every route, and for-of allocated an iterator each time.
  for (let k = 0; k < attached.placements.length; k++) {
    const p = attached.placements[k]!;
    let list = lists.get(p.slot);
    if (list === undefined) lists.set(p.slot, (list = { attachments: [], owners: [] }));
    list.attachments.push(p.attachment);
    list.owners.push(owner);
  }
}

/**
 * A slot none of whose routes went and none came: the same attachments array (so later stages
 * see the listener unchanged by identity), with the owners renumbered if routes moved. Null
 * when one of its routes is gone.
 */
function keptAsIs(before: SlotPlacements, oldToNew: Int32Array): SlotPlacements | null {
  let owners: Int32Array | null = null;
  for (let k = 0; k < before.owners.length; k++) {
    const to = oldToNew[before.owners[k]!]!;
    if (to === -1) return null;
    if (to !== before.owners[k] && owners === null) owners = before.owners.slice();
    if (owners !== null) owners[k] = to;
  }
  return owners === null ? before : { attachments: before.attachments, owners };
}
