/**
 * Fills the defaults of a partial IR written by hand (golden fixtures, e2e tests), so test files
 * only spell what matters. Every filled value is the IR's "nothing special" value:
 * - Config: version 1. Server: gateway `test/gw`, protocol HTTP, name from address and port.
 * - Listener: hostname null, port = the server's, scheme http; rules given as a list; when
 *   `virtualHosts` is absent, one `*` virtual host with one entry per rule (`match` taken from
 *   the rule's `match` shorthand, default PathPrefix `/`), in rule order.
 * - Rule: name `rule/<i>`, route `test/route`, no filters, no timeouts, no retry; `backends`
 *   shorthand for a forward action.
 * - Service backend: weight 1, protocol http1, no filters; `endpoints` default [127.0.0.1:9].
 * - Match: method null, no headers, no query params; `path` may be a string (PathPrefix).
 */
import type * as ir from '../../../src/ir/types.js';

type Loose = Record<string, unknown>;

function arr(v: unknown): Loose[] {
  return Array.isArray(v) ? (v as Loose[]) : [];
}

/** A match from a partial one; a string path is a PathPrefix. */
export function fillMatch(m: unknown): ir.Match {
  const o = (m ?? {}) as Loose;
  const p = o['path'];
  const path: ir.PathMatch =
    p === undefined ? { type: 'PathPrefix', value: '/' } : typeof p === 'string' ? { type: 'PathPrefix', value: p } : (p as ir.PathMatch);
  return {
    path,
    method: (o['method'] as string | undefined) ?? null,
    headers: arr(o['headers']).map((h) => ({ name: String(h['name']).toLowerCase(), type: (h['type'] as 'Exact') ?? 'Exact', value: String(h['value']) })),
    queryParams: arr(o['queryParams']).map((h) => ({ name: String(h['name']), type: (h['type'] as 'Exact') ?? 'Exact', value: String(h['value']) })),
  };
}

function fillModifier(m: unknown): ir.HeaderModifier | null {
  if (m === undefined || m === null) return null;
  const o = m as Loose;
  return {
    set: arr(o['set']).map((h) => ({ name: String(h['name']).toLowerCase(), value: String(h['value']) })),
    add: arr(o['add']).map((h) => ({ name: String(h['name']).toLowerCase(), value: String(h['value']) })),
    remove: ((o['remove'] as string[] | undefined) ?? []).map((n) => n.toLowerCase()),
  };
}

function fillFilters(f: unknown): ir.RequestFilter[] {
  return arr(f).map((x) =>
    x['type'] === 'RequestHeaderModifier'
      ? { type: 'RequestHeaderModifier', headers: fillModifier(x['headers']) as ir.HeaderModifier }
      : { type: 'URLRewrite', hostname: (x['hostname'] as string | undefined) ?? null, path: (x['path'] as ir.PathRewrite | undefined) ?? null },
  );
}

function fillRedirect(r: unknown): ir.Redirect | null {
  if (r === undefined || r === null) return null;
  const o = r as Loose;
  return {
    scheme: (o['scheme'] as 'http' | undefined) ?? null,
    hostname: (o['hostname'] as string | undefined) ?? null,
    port: (o['port'] as number | undefined) ?? null,
    path: (o['path'] as ir.PathRewrite | undefined) ?? null,
    statusCode: (o['statusCode'] as number | undefined) ?? 302,
  };
}

/** A backend from a partial one (`kind` defaults to service). */
export function fillBackend(b: unknown): ir.Backend {
  const o = b as Loose;
  if (o['kind'] === 'invalid') {
    return { kind: 'invalid', name: String(o['name'] ?? 'invalid'), weight: (o['weight'] as number) ?? 1, status: (o['status'] as number) ?? 500, reason: String(o['reason'] ?? 'BackendNotFound') };
  }
  return {
    kind: 'service',
    name: String(o['name'] ?? 'test/svc:80'),
    weight: (o['weight'] as number | undefined) ?? 1,
    protocol: (o['protocol'] as ir.BackendProtocol | undefined) ?? 'http1',
    tls: (o['tls'] as ir.BackendTLS | undefined) ?? null,
    endpoints: (o['endpoints'] as ir.Endpoint[] | undefined) ?? [{ address: '127.0.0.1', port: 9 }],
    requestFilters: fillFilters(o['requestFilters']),
    redirect: fillRedirect(o['redirect']),
    responseHeaders: fillModifier(o['responseHeaders']),
  };
}

/** A rule from a partial one. */
export function fillRule(r: unknown, index: number): ir.Rule {
  const o = r as Loose;
  let action: ir.Action;
  const a = o['action'] as Loose | undefined;
  if (a !== undefined) {
    action =
      a['kind'] === 'redirect'
        ? { kind: 'redirect', redirect: fillRedirect(a['redirect']) as ir.Redirect }
        : a['kind'] === 'direct'
          ? { kind: 'direct', status: a['status'] as number }
          : { kind: 'forward', backends: arr(a['backends']).map(fillBackend) };
  } else if (o['redirect'] !== undefined) {
    action = { kind: 'redirect', redirect: fillRedirect(o['redirect']) as ir.Redirect };
  } else {
    action = { kind: 'forward', backends: arr(o['backends'] ?? [{}]).map(fillBackend) };
  }
  const cors = o['cors'] as Loose | undefined;
  const timeouts = (o['timeouts'] ?? {}) as Loose;
  const retry = o['retry'] as Loose | undefined;
  return {
    name: String(o['name'] ?? `rule/${index}`),
    route: String(o['route'] ?? 'test/route'),
    kind: 'HTTPRoute',
    sectionName: null,
    requestFilters: fillFilters(o['requestFilters']),
    responseHeaders: fillModifier(o['responseHeaders']),
    cors:
      cors === undefined
        ? null
        : {
            allowOrigins: (cors['allowOrigins'] as string[]) ?? [],
            allowCredentials: (cors['allowCredentials'] as boolean) ?? false,
            allowMethods: (cors['allowMethods'] as string[]) ?? [],
            allowHeaders: (cors['allowHeaders'] as string[]) ?? [],
            exposeHeaders: (cors['exposeHeaders'] as string[]) ?? [],
            maxAge: (cors['maxAge'] as number) ?? 5,
          },
    mirrors: arr(o['mirrors']).map((m) => ({ backend: fillBackend(m['backend']), fraction: (m['fraction'] as number | undefined) ?? 1 })),
    action,
    timeouts: { requestMs: (timeouts['requestMs'] as number | undefined) ?? null, backendRequestMs: (timeouts['backendRequestMs'] as number | undefined) ?? null },
    retry:
      retry === undefined
        ? null
        : { codes: (retry['codes'] as number[]) ?? [], attempts: (retry['attempts'] as number) ?? 1, backoffMs: (retry['backoffMs'] as number) ?? 0 },
  };
}

function fillListener(l: unknown, serverPort: number): ir.Listener {
  const o = l as Loose;
  const rawRules = arr(o['rules']);
  const rules = rawRules.map(fillRule);
  const vhs = o['virtualHosts'] as Loose[] | undefined;
  const virtualHosts: ir.VirtualHost[] =
    vhs === undefined
      ? [{ hostname: '*', entries: rawRules.map((r, i) => ({ rule: i, match: fillMatch(r['match']) })) }]
      : vhs.map((v) => ({
          hostname: String(v['hostname']),
          entries: arr(v['entries']).map((e) => {
            // An entry may name its rule by index or by name.
            const ref = e['rule'];
            const idx = typeof ref === 'number' ? ref : rules.findIndex((r) => r.name === ref);
            if (idx < 0) throw new Error(`unknown rule ${String(ref)}`);
            return { rule: idx, match: fillMatch(e['match']) };
          }),
        }));
  return {
    name: String(o['name'] ?? 'test/gw/http'),
    hostname: (o['hostname'] as string | undefined) ?? null,
    port: (o['port'] as number | undefined) ?? serverPort,
    scheme: (o['scheme'] as 'http' | undefined) ?? 'http',
    tls: null,
    rules,
    virtualHosts,
  };
}

/** A server from a partial one. */
export function fillServer(s: unknown): ir.Server {
  const o = s as Loose;
  const address = String(o['address'] ?? '127.0.0.1');
  const port = (o['port'] as number | undefined) ?? 0;
  return {
    name: String(o['name'] ?? `test/gw/${address}:${port}`),
    gateway: String(o['gateway'] ?? 'test/gw'),
    address,
    port,
    protocol: (o['protocol'] as ir.ServerProtocol | undefined) ?? 'HTTP',
    listeners: arr(o['listeners']).map((l) => fillListener(l, port)),
    streamListeners: [],
  };
}

/** A whole config from a partial one. */
export function fillConfig(c: unknown): ir.Config {
  const o = (c ?? {}) as Loose;
  return { version: 1, servers: arr(o['servers']).map(fillServer) };
}
