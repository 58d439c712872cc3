/**
 * Data-plane golden cases: `<case>.ir.yaml` (an IR config, defaults filled by ir-defaults.ts)
 * and `<case>.requests.yaml` (requests with their expected outcome). The runner compiles the IR
 * and plans each request without sockets. For each request, only the fields named under
 * `expect` are compared:
 *   status        reply status, or "forward" when the request goes to a backend
 *   rule          the IR rule name that served it (null: no rule, a 404)
 *   backend       chosen backend name (forward only)
 *   location      Location header of a redirect
 *   path          upstream request target (path and query), forward only
 *   host          upstream Host header, forward only
 *   headers / absentHeaders                 upstream request headers (forward only)
 *   responseHeaders / absentResponseHeaders reply headers; for a forward, the headers the
 *                 client would get for an upstream answer carrying `upstreamResponseHeaders`
 *   mirrors       names of the mirror backends selected
 * A request may set `random` (one number or a list, consumed in order) for weighted picks.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { emptyHeaders, headerValue, type HeaderMap } from '../../../src/dataplane/headers.js';
import { decorateResponse, planRequest, type Plan } from '../../../src/dataplane/plan.js';
import { compileServer } from '../../../src/dataplane/router/compile.js';
import { fillConfig } from './ir-defaults.js';

const dir = path.dirname(fileURLToPath(import.meta.url));

interface RequestCase {
  name?: string;
  server?: string;
  method?: string;
  host?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  random?: number | number[];
  upstreamResponseHeaders?: Record<string, string>;
  expect: Record<string, unknown>;
}

function rawHeaders(h: Record<string, string | string[]> | undefined): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(h ?? {})) {
    if (Array.isArray(v)) for (const one of v) out.push(k, one);
    else out.push(k, String(v));
  }
  return out;
}

function lower(h: HeaderMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(h)) out[k] = headerValue(h, k) as string;
  return out;
}

function outcome(plan: Plan, rc: RequestCase): Record<string, unknown> {
  if (plan.kind === 'reply') {
    const headers = lower(plan.headers);
    return {
      status: plan.status,
      rule: plan.rule?.name ?? null,
      location: headers['location'] ?? null,
      responseHeaders: headers,
    };
  }
  const resp = emptyHeaders();
  for (const [k, v] of Object.entries(rc.upstreamResponseHeaders ?? {})) resp[k.toLowerCase()] = v;
  decorateResponse(resp, plan.rule, plan.backend, plan.origin);
  const headers = lower(plan.headers);
  return {
    status: 'forward',
    rule: plan.rule.name,
    backend: plan.backend.name,
    path: plan.target,
    host: headers['host'] ?? null,
    headers,
    responseHeaders: lower(resp),
    mirrors: plan.mirrors.map((m) => m.backend.name),
  };
}

function check(actual: Record<string, unknown>, expect: Record<string, unknown>, label: string): void {
  for (const [key, want] of Object.entries(expect)) {
    if (key === 'headers' || key === 'responseHeaders') {
      const got = (actual[key] ?? {}) as Record<string, string>;
      for (const [name, value] of Object.entries(want as Record<string, string>)) {
        assert.equal(got[name.toLowerCase()], String(value), `${label}: ${key} ${name}`);
      }
    } else if (key === 'absentHeaders' || key === 'absentResponseHeaders') {
      const got = (actual[key === 'absentHeaders' ? 'headers' : 'responseHeaders'] ?? {}) as Record<string, string>;
      for (const name of want as string[]) assert.equal(got[name.toLowerCase()], undefined, `${label}: ${name} must be absent`);
    } else {
      assert.deepEqual(actual[key], want, `${label}: ${key}`);
    }
  }
}

const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.ir.yaml'))
  .map((f) => f.slice(0, -'.ir.yaml'.length))
  .sort();

test('there are golden cases', () => assert.ok(cases.length >= 8, `found ${cases.length}`));

for (const name of cases) {
  test(name, async (t) => {
    const config = fillConfig(YAML.parse(readFileSync(path.join(dir, `${name}.ir.yaml`), 'utf8')));
    const doc = YAML.parse(readFileSync(path.join(dir, `${name}.requests.yaml`), 'utf8')) as { requests: RequestCase[] };
    const servers = new Map(config.servers.map((s) => [s.name, compileServer(s)]));
    const first = config.servers[0];
    assert.ok(first, 'the case has a server');
    for (const [i, rc] of doc.requests.entries()) {
      const label = `${rc.name ?? `#${i}`}: ${rc.method ?? 'GET'} ${rc.host ?? ''}${rc.path}`;
      await t.test(label, () => {
        const server = servers.get(rc.server ?? first.name);
        assert.ok(server, `server ${rc.server}`);
        const randoms = rc.random === undefined ? [0] : Array.isArray(rc.random) ? [...rc.random] : [rc.random];
        const random = (): number => (randoms.length > 1 ? (randoms.shift() as number) : (randoms[0] as number));
        const plan = planRequest(
          server,
          { method: rc.method ?? 'GET', target: rc.path, rawHeaders: rawHeaders({ host: rc.host ?? 'example.com', ...rc.headers }), host: rc.host ?? 'example.com', clientIp: '192.0.2.1' },
          random,
        );
        check(outcome(plan, rc), rc.expect, label);
      });
    }
  });
}
