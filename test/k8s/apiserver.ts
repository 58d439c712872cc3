/**
 * A test API server speaking the Kubernetes API on the wire over real HTTP, enough for
 * @kubernetes/client-node and waygate's controller: discovery, get/list/create/update/patch/
 * delete, the status subresource, list/watch with resourceVersion, bookmarks and 410 Gone on
 * compacted versions, label and field selectors, optimistic concurrency, generation bumped on
 * spec changes only, ownerReference garbage collection, Leases (plain objects), merge patch
 * and JSON patch. Tests can break every watch, compact the event log, read a request log, and
 * make requests fail with a 500 (`faults`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyJsonPatch, applyMergePatch, PatchError, type JsonPatchOp } from './patch.js';
import { apiVersionOf, findResource, groupList, resourceKey, resourceList, type ResourceType } from './resources.js';
import { parseFieldSelector, parseLabelSelector, type Selector } from './selectors.js';
import { ApiError, Store, type Obj, type StoreEvent } from './store.js';
import { applyCoreDefaults, applyDefaults } from '../../src/api/defaults.js';
import { lookupKind } from '../../src/api/schema.js';

/** Applies the CRD schema defaults (and core defaults), as the real API server does on writes. */
function defaulted(obj: Obj, t: { resource: ResourceType; version: string }): Obj {
  const found = lookupKind(apiVersionOf(t.resource.group, t.version), t.resource.kind);
  if (found.status === 'ok') applyDefaults(obj, found.kind.schema);
  applyCoreDefaults(t.resource.kind, obj as never);
  return obj;
}

/** One request as the server saw it. */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly contentType: string | null;
}

/** Options of the test API server. */
export interface TestApiServerOptions {
  /** Bearer token every request must carry (none: no authentication). */
  readonly token?: string;
  /** Interval of BOOKMARK events on watches that allow them (default 1000 ms). */
  readonly bookmarkMs?: number;
}

interface Target {
  readonly resource: ResourceType;
  readonly version: string;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly status: boolean;
}

/** The server. `await TestApiServer.start()`, then `url`, then `close()`. */
export class TestApiServer {
  readonly store = new Store();
  readonly requests: RequestRecord[] = [];
  /** Requests to answer with 500 InternalError: method and a path substring, and how many more times. */
  readonly faults: { method: string; pathIncludes: string; remaining: number }[] = [];
  readonly #server: http.Server;
  readonly #opts: TestApiServerOptions;
  readonly #watches = new Set<http.ServerResponse>();
  url = '';

  private constructor(opts: TestApiServerOptions) {
    this.#opts = opts;
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => this.#fail(res, err));
    });
  }

  /** Starts listening on 127.0.0.1 (port 0 unless given). */
  static async start(opts: TestApiServerOptions & { port?: number } = {}): Promise<TestApiServer> {
    const s = new TestApiServer(opts);
    await new Promise<void>((resolve) => s.#server.listen({ host: '127.0.0.1', port: opts.port ?? 0 }, resolve));
    s.url = `http://127.0.0.1:${(s.#server.address() as AddressInfo).port}`;
    return s;
  }

  /** Ends every open watch abruptly (the connection is destroyed). */
  breakWatches(): void {
    for (const res of this.#watches) res.destroy();
    this.#watches.clear();
  }

  /** Number of open watch connections. */
  get openWatches(): number {
    return this.#watches.size;
  }

  /** Stops the server and every open connection. */
  async close(): Promise<void> {
    this.breakWatches();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Writes a JSON object (for seeding tests without a client). */
  apply(obj: Obj): Obj {
    const [group, version] = String(obj['apiVersion']).includes('/') ? String(obj['apiVersion']).split('/') : ['', String(obj['apiVersion'])];
    const r = findResourceByKind(group!, version!, String(obj['kind']));
    const input = defaulted(structuredClone(obj), { resource: r, version: version! });
    const existing = this.store.get(r, obj.metadata.namespace, obj.metadata.name);
    if (!existing) return this.store.create(r, input);
    return this.store.update(r, obj.metadata.namespace, obj.metadata.name, { ...input, metadata: { ...existing.metadata, ...input.metadata, resourceVersion: '' } }, false);
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const contentType = req.headers['content-type']?.split(';')[0]?.trim() ?? null;
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search, contentType });
    if (this.#opts.token && req.headers.authorization !== `Bearer ${this.#opts.token}`) {
      throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    }
    const fault = this.faults.find((f) => f.remaining > 0 && f.method === req.method && url.pathname.includes(f.pathIncludes));
    if (fault !== undefined) {
      fault.remaining--;
      throw new ApiError(500, 'InternalError', 'injected fault');
    }
    const body = await readBody(req);
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'] });
    if (path === '/apis') return send(res, 200, groupList());
    const disc = /^\/api\/(v1)$|^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (disc) {
      const list = disc[1] ? resourceList('', 'v1') : resourceList(disc[2]!, disc[3]!);
      if (!list) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      return send(res, 200, list);
    }
    const t = parseTarget(path);
    const method = req.method ?? 'GET';
    const q = url.searchParams;
    if (method === 'GET' && t.name === undefined) {
      if (q.get('watch') === 'true' || q.get('watch') === '1') return this.#watch(t, q, res);
      return send(res, 200, this.#list(t, q));
    }
    if (method === 'GET') return send(res, 200, this.#out(t, this.#mustGet(t)));
    if (method === 'POST' && t.name === undefined) {
      const obj = parseObj(body);
      if (t.namespace !== undefined) obj.metadata.namespace = t.namespace;
      return send(res, 201, this.#out(t, this.store.create(t.resource, defaulted(obj, t))));
    }
    if (method === 'PUT' && t.name !== undefined) {
      const obj = parseObj(body);
      return send(res, 200, this.#out(t, this.store.update(t.resource, t.namespace, t.name, t.status ? obj : defaulted(obj, t), t.status)));
    }
    if (method === 'PATCH' && t.name !== undefined) {
      const current = this.#mustGet(t);
      let patched: unknown;
      const patch = JSON.parse(body || 'null') as unknown;
      if (contentType === 'application/json-patch+json') patched = applyJsonPatch(current, patch as JsonPatchOp[]);
      else if (contentType === 'application/merge-patch+json' || contentType === 'application/strategic-merge-patch+json') patched = applyMergePatch(current, patch);
      else throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format: ${contentType ?? ''}`);
      return send(res, 200, this.#out(t, this.store.update(t.resource, t.namespace, t.name, t.status ? (patched as Obj) : defaulted(patched as Obj, t), t.status)));
    }
    if (method === 'DELETE' && t.name !== undefined) {
      const gone = this.store.delete(t.resource, t.namespace, t.name);
      return send(res, 200, this.#out(t, gone));
    }
    throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported here`);
  }

  #mustGet(t: Target): Obj {
    const o = this.store.get(t.resource, t.namespace, t.name!);
    if (!o) throw new ApiError(404, 'NotFound', `${t.resource.plural} "${t.name}" not found`);
    return o;
  }

  #out(t: Target, o: Obj): Obj {
    return { ...o, apiVersion: apiVersionOf(t.resource.group, t.version), kind: t.resource.kind };
  }

  #matcher(t: Target, q: URLSearchParams): Selector {
    let labels: Selector;
    let fields: Selector;
    try {
      labels = parseLabelSelector(q.get('labelSelector'));
      fields = parseFieldSelector(q.get('fieldSelector'));
    } catch (err) {
      throw new ApiError(400, 'BadRequest', (err as Error).message);
    }
    return (o) => (t.namespace === undefined || (o as Obj).metadata.namespace === t.namespace) && labels(o) && fields(o);
  }

  #list(t: Target, q: URLSearchParams): Record<string, unknown> {
    const match = this.#matcher(t, q);
    // Items of built-in lists carry no apiVersion/kind on the wire; clients must not rely on them.
    const items = this.store.list(t.resource, t.namespace).filter(match).map((o) => {
      const { apiVersion: _a, kind: _k, ...rest } = o;
      return rest;
    });
    return { kind: `${t.resource.kind}List`, apiVersion: apiVersionOf(t.resource.group, t.version), metadata: { resourceVersion: String(this.store.resourceVersion) }, items };
  }

  #watch(t: Target, q: URLSearchParams, res: http.ServerResponse): void {
    const match = this.#matcher(t, q);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    this.#watches.add(res);
    const write = (type: string, object: unknown): void => {
      if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const rvText = q.get('resourceVersion') ?? '';
    const key = resourceKey(t.resource);
    const deliver = (e: StoreEvent): void => {
      if (e.resource !== key) return;
      const now = match(e.object);
      const before = e.previous ? match(e.previous) : false;
      if (e.type === 'MODIFIED' && now && !before) write('ADDED', this.#out(t, e.object));
      else if (e.type === 'MODIFIED' && !now && before) write('DELETED', this.#out(t, e.object));
      else if (now) write(e.type, this.#out(t, e.object));
    };
    if (rvText === '' || rvText === '0') {
      for (const o of this.store.list(t.resource, t.namespace).filter(match)) write('ADDED', this.#out(t, o));
    } else {
      const since = this.store.eventsSince(key, Number(rvText));
      if (since === 'gone' || Number.isNaN(Number(rvText))) {
        write('ERROR', { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${rvText} (${this.store.resourceVersion})`, reason: 'Expired', code: 410 });
        this.#watches.delete(res);
        res.end();
        return;
      }
      for (const e of since) deliver(e);
    }
    const unsubscribe = this.store.subscribe(deliver);
    const timers: NodeJS.Timeout[] = [];
    if (q.get('allowWatchBookmarks') === 'true') {
      timers.push(setInterval(() => write('BOOKMARK', { kind: t.resource.kind, apiVersion: apiVersionOf(t.resource.group, t.version), metadata: { resourceVersion: String(this.store.resourceVersion) } }), this.#opts.bookmarkMs ?? 1000));
    }
    const timeout = Number(q.get('timeoutSeconds') ?? '0');
    if (timeout > 0) timers.push(setTimeout(() => res.end(), timeout * 1000));
    res.on('close', () => {
      unsubscribe();
      for (const tm of timers) clearTimeout(tm);
      this.#watches.delete(res);
    });
  }

  #fail(res: http.ServerResponse, err: unknown): void {
    const e = err instanceof ApiError ? err : err instanceof PatchError ? new ApiError(422, 'Invalid', err.message) : err instanceof SyntaxError ? new ApiError(400, 'BadRequest', err.message) : new ApiError(500, 'InternalError', String(err));
    if (res.headersSent) {
      res.destroy();
      return;
    }
    send(res, e.code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, code: e.code });
  }
}

function findResourceByKind(group: string, version: string, kind: string): ResourceType {
  const r = findResourceForKind(group, version, kind);
  if (!r) throw new Error(`unknown kind ${group}/${version} ${kind}`);
  return r;
}

function findResourceForKind(group: string, version: string, kind: string): ResourceType | undefined {
  for (const plural of [`${kind.toLowerCase()}s`, `${kind.toLowerCase()}es`, `${kind.toLowerCase().replace(/y$/, 'ies')}`, kind.toLowerCase()]) {
    const r = findResource(group, version, plural);
    if (r && r.kind === kind) return r;
  }
  return undefined;
}

/** Splits `/api/v1/...` or `/apis/G/V/...` into the resource, namespace, name and subresource. */
function parseTarget(path: string): Target {
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') [group, version, rest] = ['', parts[1] ?? '', parts.slice(2)];
  else if (parts[0] === 'apis') [group, version, rest] = [parts[1] ?? '', parts[2] ?? '', parts.slice(3)];
  else throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const resource = findResource(group, version, rest[0] ?? '');
  if (!resource || (namespace !== undefined && !resource.namespaced)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const status = rest[2] === 'status';
  if (rest.length > 3 || (rest.length === 3 && !status) || (status && !resource.statusSubresource)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  return { resource, version, namespace, name: rest[1], status };
}

function parseObj(body: string): Obj {
  const o = JSON.parse(body) as Obj;
  if (!o || typeof o !== 'object' || typeof o.metadata !== 'object') throw new ApiError(400, 'BadRequest', 'object has no metadata');
  return o;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
