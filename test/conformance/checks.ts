/**
 * Status checks against waygate's /status, one function per `check` kind of expectations.json.
 * Each returns null when the check holds, else a message saying what was expected and seen.
 *
 * README rule: "A condition without `reason` accepts any reason. Every condition checked must
 * carry `observedGeneration` equal to the object's `metadata.generation`."
 */
import type { ExpectedCondition, ExpectedListener, StatusCheck } from './types.js';
import type { StatusObject, StatusView } from './waygate.js';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';
/** Gateways annotated like this are left out of namespace readiness, as upstream does. */
export const SKIP_READINESS_ANNOTATION = 'gateway-api/skip-this-for-readiness';

/** A condition as reported in status. */
export interface Cond {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

/** What a check may need besides /status. */
export interface CheckContext {
  status: StatusView;
  controllerName: string;
  /** Gateways the cluster holds in a namespace, with their annotations (for namespacesReady). */
  gatewaysIn(namespace: string): Array<{ name: string; annotations: Record<string, string> }>;
  /** Generations recorded before a patch, by `kind/namespace/name` (latestObservedGeneration). */
  previousGenerations: Map<string, number>;
  /** Usable/unusable addresses the placeholders were filled with (statusAddresses). */
  addresses?: { usable: { type: string; value: string }; unusable: { type: string; value: string } };
}

function describe(c: Cond | undefined): string {
  if (!c) return 'absent';
  return `${c.status}/${c.reason ?? ''} (observedGeneration ${c.observedGeneration ?? 'none'})`;
}

/**
 * Checks that every expected condition is present with the expected status and reason and an
 * up-to-date observedGeneration. Returns null or the first mismatch.
 */
export function conditionsMatch(actual: readonly Cond[] | undefined, expected: readonly ExpectedCondition[], generation: number | undefined, where: string): string | null {
  for (const e of expected) {
    const a = (actual ?? []).find((c) => c.type === e.type);
    const ok =
      a !== undefined &&
      (e.status === undefined || a.status === e.status) &&
      (e.reason === undefined || e.reason === '' || a.reason === e.reason) &&
      (generation === undefined || a.observedGeneration === generation);
    if (!ok) {
      const want = `${e.status ?? '*'}/${e.reason ?? '*'} (observedGeneration ${generation ?? 'any'})`;
      return `${where}: condition ${e.type}: expected ${want}, got ${describe(a)}`;
    }
  }
  return null;
}

function objName(c: StatusCheck): string {
  return `${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name ?? ''}`;
}

function getObj(ctx: CheckContext, c: StatusCheck): StatusObject | string {
  const o = ctx.status.get(c.kind, c.namespace, c.name ?? '');
  return o ?? `${objName(c)}: no status reported`;
}

type Parent = { parentRef: Record<string, unknown>; controllerName?: string; conditions?: Cond[] };
type Listener = { name: string; supportedKinds?: Array<{ group?: string; kind: string }>; attachedRoutes?: number; conditions?: Cond[] };

function parents(o: StatusObject): Parent[] {
  return ((o.status?.['parents'] as Parent[] | undefined) ?? []).filter((p) => p && typeof p === 'object');
}

function listeners(o: StatusObject): Listener[] {
  return (o.status?.['listeners'] as Listener[] | undefined) ?? [];
}

function conds(o: StatusObject): Cond[] {
  return (o.status?.['conditions'] as Cond[] | undefined) ?? [];
}

function allAtGeneration(list: readonly Cond[], gen: number | undefined, where: string): string | null {
  for (const c of list) {
    if (c.observedGeneration !== gen) return `${where}: condition ${c.type} has observedGeneration ${c.observedGeneration ?? 'none'}, generation is ${gen ?? 'none'}`;
  }
  return null;
}

/** Runs one status check. */
export function runCheck(ctx: CheckContext, c: StatusCheck): string | null {
  const fn = CHECKS[c.check];
  if (!fn) return `unknown check kind ${c.check}`;
  return fn(ctx, c);
}

type CheckFn = (ctx: CheckContext, c: StatusCheck) => string | null;

const CHECKS: Record<string, CheckFn> = {
  /**
   * GatewayInfrastructure: objects generated for the Gateway (selected by label in the
   * namespace) carry spec.infrastructure labels and annotations. Only Kubernetes mode reports
   * generated objects (their metadata is in the status view); standalone mode has none.
   */
  infrastructurePropagation(ctx, c) {
    const [key, value] = String(c['labelSelector'] ?? '').split('=');
    const kinds = (c['resourceKinds'] as string[] | undefined) ?? [];
    const wantLabels = (c['expectedLabels'] as Record<string, string> | undefined) ?? {};
    const wantAnnotations = (c['expectedAnnotations'] as Record<string, string> | undefined) ?? {};
    const found = ctx.status.doc.objects.filter((o) => kinds.includes(o.kind) && o.metadata.namespace === c.namespace && key !== undefined && o.metadata.labels?.[key] === value);
    if (found.length === 0) return `no ${kinds.join('/')} in ${c.namespace ?? ''} labelled ${String(c['labelSelector'])}`;
    for (const kind of kinds) {
      const first = found.find((o) => o.kind === kind);
      if (!first) continue;
      for (const [k, v] of Object.entries(wantLabels)) {
        if (first.metadata.labels?.[k] !== v) return `${kind} ${first.metadata.name}: label ${k}=${v} missing (labels ${JSON.stringify(first.metadata.labels ?? {})})`;
      }
      for (const [k, v] of Object.entries(wantAnnotations)) {
        if (first.metadata.annotations?.[k] !== v) return `${kind} ${first.metadata.name}: annotation ${k}=${v} missing (annotations ${JSON.stringify(first.metadata.annotations ?? {})})`;
      }
    }
    return null;
  },

  addressAssigned(ctx, c) {
    const o = getObj(ctx, c);
    if (typeof o === 'string') return o;
    const addrs = (o.status?.['addresses'] as Array<{ type?: string; value?: string }> | undefined) ?? [];
    if (!addrs.some((a) => typeof a.type === 'string' && a.type !== '')) return `${objName(c)}: expected status.addresses with a typed entry, got ${JSON.stringify(addrs)}`;
    return null;
  },

  parentStatus(ctx, c) {
    const o = getObj(ctx, c);
    if (typeof o === 'string') return o;
    const want = c.parentRef ?? { name: '' };
    const controller = c.controllerName === '$CONTROLLER_NAME' || c.controllerName === undefined ? ctx.controllerName : c.controllerName;
    const routeNs = c.namespace;
    const match = parents(o).find((p) => {
      const r = p.parentRef as { group?: string; kind?: string; namespace?: string; name?: string };
      if ((r.group ?? GATEWAY_GROUP) !== (want.group ?? GATEWAY_GROUP)) return false;
      if ((r.kind ?? 'Gateway') !== (want.kind ?? 'Gateway')) return false;
      if (r.name !== want.name) return false;
      if (c.parentNamespaceRequired) return r.namespace === want.namespace;
      return (r.namespace ?? routeNs) === (want.namespace ?? routeNs);
    });
    if (!match) return `${objName(c)}: no status.parents entry for ${want.kind ?? 'Gateway'} ${want.namespace ?? ''}/${want.name}; parents: ${JSON.stringify(parents(o).map((p) => p.parentRef))}`;
    if (match.controllerName !== controller) return `${objName(c)}: parent ${want.name} controllerName ${match.controllerName ?? 'absent'}, expected ${controller}`;
    return conditionsMatch(match.conditions, c.conditions ?? [], o.metadata.generation, `${objName(c)} parent ${want.name}`);
  },

  parentCondition(ctx, c) {
    const o = getObj(ctx, c);
    if (typeof o === 'string') return o;
    const want = c.parentRef ?? { name: '' };
    const candidates = parents(o).filter((p) => {
      const r = p.parentRef as { namespace?: string; name?: string };
      return r.name === want.name && (want.namespace === undefined || (r.namespace ?? c.namespace) === want.namespace);
    });
    if (candidates.length === 0) return `${objName(c)}: no parent named ${want.namespace ?? ''}/${want.name}`;
    let first: string | null = null;
    for (const p of candidates) {
      const err = conditionsMatch(p.conditions, c.conditions ?? [], o.metadata.generation, `${objName(c)} parent ${want.name}`);
      if (err === null) return null;
      first ??= err;
    }
    return first;
  },

  listenerConditions(ctx, c) {
    const o = getObj(ctx, c);
    if (typeof o === 'string') return o;
    const ls = listeners(o);
    if (ls.length === 0) return `${objName(c)}: no listeners in status`;
    const names = c.listeners === 'all' || c.listeners === undefined ? ls.map((l) => l.name) : (c.listeners as string[]);
    for (const n of names) {
      const l = ls.find((x) => x.name === n);
      if (!l) return `${objName(c)}: listener ${n} absent from status`;
      const err = conditionsMatch(l.conditions, c.conditions ?? [], o.metadata.generation, `${objName(c)} listener ${n}`);
      if (err) return err;
    }
    return null;
  },

  listenersStatus(ctx, c) {
    const o = getObj(ctx, c);
    if (typeof o === 'string') return o;
    const ls = listeners(o);
    const want = (c.listeners ?? []) as ExpectedListener[];
    if (ls.length !== want.length) return `${objName(c)}: expected ${want.length} listeners in status, got ${ls.length} (${ls.map((l) => l.name).join(', ')})`;
    for (const w of want) {
      const l = ls.find((x) => x.name === w.name);
      if (!l) return `${objName(c)}: listener ${w.name} absent from status`;
      const kinds = l.supportedKinds ?? [];
      const wk = w.supportedKinds ?? [];
      if (wk.length === 0 && kinds.length > 0) return `${objName(c)} listener ${w.name}: expected no supportedKinds, got ${JSON.stringify(kinds)}`;
      for (const k of wk) {
        if (!kinds.some((a) => a.kind === k.kind && (a.group ?? GATEWAY_GROUP) === (k.group ?? GATEWAY_GROUP))) {
          return `${objName(c)} listener ${w.name}: supportedKinds lacks ${k.kind}, got ${JSON.stringify(kinds)}`;
        }
      }
      if (w.attachedRoutes !== undefined && l.attachedRoutes !== w.attachedRoutes) return `${objName(c)} listener ${w.name}: attachedRoutes ${l.attachedRoutes ?? 'absent'}, expected ${w.attachedRoutes}`;
      const err = conditionsMatch(l.conditions, w.conditions ?? [], o.metadata.generation, `${objName(c)} listener ${w.name}`);
      if (err) return err;
    }
    return null;
  },

  gatewayCondition(ctx, c) {
    const o = getObj(ctx, c);
    if (typeof o === 'string') return o;
    return conditionsMatch(conds(o), c.conditions ?? [], o.metadata.generation, objName(c));
  },

  condition(ctx, c) {
    const o = getObj(ctx, c);
    if (typeof o === 'string') return o;
    return conditionsMatch(conds(o), c.conditions ?? [], undefined, objName(c));
  },

  listenerSetCondition(ctx, c) {
    const o = getObj(ctx, c);
    if (typeof o === 'string') return o;
    return conditionsMatch(conds(o), c.conditions ?? [], o.metadata.generation, objName(c)) ?? allAtGeneration(conds(o), o.metadata.generation, objName(c));
  },

  noAcceptedParents(ctx, c) {
    const o = getObj(ctx, c);
    if (typeof o === 'string') return o;
    for (const p of parents(o)) {
      const err = conditionsMatch(p.conditions, c.conditions ?? [{ type: 'Accepted', status: 'False' }], undefined, `${objName(c)} parent ${String(p.parentRef['name'])}`);
      if (err) return err;
    }
    return null;
  },

  zeroRoutes(ctx, c) {
    const o = getObj(ctx, c);
    if (typeof o === 'string') return o;
    const ls = listeners(o);
    if (ls.length > 1 || (ls.length === 1 && ls[0]?.attachedRoutes !== 0)) {
      return `${objName(c)}: expected no listeners or one with attachedRoutes 0, got ${JSON.stringify(ls.map((l) => ({ name: l.name, attachedRoutes: l.attachedRoutes })))}`;
    }
    return allAtGeneration(conds(o), o.metadata.generation, objName(c));
  },

  attachedListenerSets(ctx, c) {
    const o = getObj(ctx, c);
    if (typeof o === 'string') return o;
    const n = (o.status?.['attachedListenerSets'] as number | undefined) ?? 0;
    if (n !== c.attachedListenerSets) return `${objName(c)}: attachedListenerSets ${n}, expected ${c.attachedListenerSets}`;
    return allAtGeneration(conds(o), o.metadata.generation, objName(c));
  },

  ancestorCondition(ctx, c) {
    const o = getObj(ctx, c);
    if (typeof o === 'string') return o;
    const want = c.ancestorRef ?? { name: '' };
    const ancestors = (o.status?.['ancestors'] as Array<{ ancestorRef: { name?: string; namespace?: string }; conditions?: Cond[] }> | undefined) ?? [];
    const candidates = ancestors.filter((a) => a.ancestorRef?.name === want.name && (want.namespace === undefined || (a.ancestorRef.namespace ?? c.namespace) === want.namespace));
    if (candidates.length === 0) return `${objName(c)}: no ancestor ${want.namespace ?? ''}/${want.name}; ancestors: ${JSON.stringify(ancestors.map((a) => a.ancestorRef))}`;
    let first: string | null = null;
    for (const a of candidates) {
      const err = conditionsMatch(a.conditions, c.conditions ?? [], o.metadata.generation, `${objName(c)} ancestor ${want.name}`);
      if (err === null) return null;
      first ??= err;
    }
    return first;
  },

  latestObservedGeneration(ctx, c) {
    const o = getObj(ctx, c);
    if (typeof o === 'string') return o;
    const gen = o.metadata.generation;
    let list: Cond[];
    if (o.status?.['parents']) list = parents(o).flatMap((p) => p.conditions ?? []);
    else if (o.status?.['ancestors']) list = (o.status['ancestors'] as Array<{ conditions?: Cond[] }>).flatMap((a) => a.conditions ?? []);
    else list = conds(o);
    if (list.length === 0) return `${objName(c)}: no conditions in status`;
    const err = allAtGeneration(list, gen, objName(c));
    if (err) return err;
    const prev = ctx.previousGenerations.get(`${c.kind}/${c.namespace ?? ''}/${c.name ?? ''}`);
    if (prev !== undefined && prev === gen) return `${objName(c)}: metadata.generation is still ${gen} after the patch`;
    return null;
  },

  namespacesReady(ctx, c) {
    for (const ns of c.namespaces ?? []) {
      for (const gw of ctx.gatewaysIn(ns)) {
        if (gw.annotations[SKIP_READINESS_ANNOTATION] === 'true') continue;
        const o = ctx.status.get('Gateway', ns, gw.name);
        if (!o) return `Gateway ${ns}/${gw.name}: no status reported`;
        // Upstream NamespacesMustBeReady: every condition at the latest generation, then
        // Accepted and Programmed True (any reason).
        const err =
          allAtGeneration(conds(o), o.metadata.generation, `Gateway ${ns}/${gw.name}`) ??
          conditionsMatch(conds(o), [{ type: 'Accepted', status: 'True' }, { type: 'Programmed', status: 'True' }], o.metadata.generation, `Gateway ${ns}/${gw.name}`);
        if (err) return `namespace ${ns} not ready: ${err}`;
      }
    }
    return null;
  },

  statusAddresses(ctx, c) {
    const o = getObj(ctx, c);
    if (typeof o === 'string') return o;
    const addrs = (o.status?.['addresses'] as Array<{ type?: string; value?: string }> | undefined) ?? [];
    const usable = ctx.addresses?.usable;
    if (!usable) return 'no usable address configured';
    if (addrs.length !== 1 || addrs[0]?.value !== usable.value || (addrs[0]?.type ?? 'IPAddress') !== usable.type) {
      return `${objName(c)}: expected status.addresses [${usable.type} ${usable.value}], got ${JSON.stringify(addrs)}`;
    }
    return null;
  },
};

/** The check kinds the runner implements. */
export const CHECK_KINDS = Object.keys(CHECKS);
