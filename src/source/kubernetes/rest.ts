/**
 * A small JSON client for the Kubernetes API on top of @kubernetes/client-node: the KubeConfig
 * (in-cluster service account or kubeconfig file) supplies the server, TLS material and
 * credentials per request; client-node's Watch streams watch events. Objects stay plain JSON
 * (no generated model classes), which is what the Snapshot wants.
 */
import http from 'node:http';
import https from 'node:https';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { identityKey } from '../snapshot.js';

/** An error answer of the API server (a Status object). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(readonly code: number, readonly reason: string, message: string) {
    super(message);
  }
}

/** Plain JSON object as the API server returns it. */
export type KObj = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; generation?: number; labels?: Record<string, string>; [k: string]: unknown };
};

/** An object's key across kinds (the controller's caches and writers): snapshot.ts identityKey. */
export function objectKeyOf(o: KObj): string {
  return identityKey(o.kind ?? '', o.metadata.namespace, o.metadata.name);
}

export interface ListResult {
  readonly items: KObj[];
  readonly resourceVersion: string;
}

/** Watch event callback: type is ADDED, MODIFIED, DELETED, BOOKMARK or ERROR. */
export type WatchHandler = (type: string, object: KObj) => void;

/** Loads credentials the usual way: in-cluster when running in a pod, else the kubeconfig. */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}

/** What keep-alive connections to the API server can be shared by: server and TLS material. */
function agentKey(url: URL, o: https.RequestOptions): string {
  const text = (v: unknown): unknown => (Buffer.isBuffer(v) ? v.toString('base64') : v);
  return JSON.stringify([url.protocol, url.host, text(o.ca), text(o.cert), text(o.key), text(o.pfx), o.passphrase, o.rejectUnauthorized, o.servername]);
}

/** Closes an agent's idle connections and every connection it frees from now on. */
function retire(agent: http.Agent): void {
  agent.maxFreeSockets = 0;
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}

/**
 * How long the KubeConfig's request options (TLS material, credentials) and the agent for them
 * are reused. client-node works them out on every call: it reads the CA file (in a pod, the
 * service account's ca.crt) synchronously and builds a new agent each time, and the agent key
 * encoded the CA again: with status writes at a thousand per second, as many file reads,
 * agents and encodings per second. Rotated tokens and certificates are picked up within this.
 */
const CLIENT_OPTIONS_TTL_MS = 1000;

/** The request options of the KubeConfig's current user and cluster, and the agent to use. */
interface ClientOptions {
  readonly options: https.RequestOptions;
  readonly agent: http.Agent | undefined;
}

/** What a request carries besides its method and path. */
export interface RequestOptions {
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

/** JSON requests against the cluster of a KubeConfig. */
export class KubeRest {
  readonly kc: KubeConfig;
  readonly #watch: Watch;
  /**
   * One keep-alive agent, for the current server and TLS material. client-node's applyToHTTPSOptions hands
   * out a new agent per call, so every request opened a new connection (and against a real API
   * server a new TLS handshake): hundreds per second while routes churn and statuses are
   * written. Credentials that rotate (service account tokens) travel in headers, refreshed per
   * request; new TLS material gets a new agent. Proxied clusters keep client-node's agent.
   */
  #agent: { readonly key: string; readonly agent: http.Agent } | null = null;
  #client: { readonly until: number; readonly value: Promise<ClientOptions> } | null = null;

  constructor(kc: KubeConfig) {
    this.kc = kc;
    this.#watch = new Watch(kc);
  }

  /** Sends one request; resolves with the parsed JSON body, rejects with KubeApiError. */
  request<T = KObj>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return this.#exchange(method, path, opts, true) as Promise<T>;
  }

  /**
   * Sends one request whose successful answer the caller does not need; rejects as request()
   * does. The answer to a status write is the whole object: parsing a thousand a second, only
   * to drop them, showed in the controller's collections while 5k routes churned.
   */
  async send(method: string, path: string, opts: RequestOptions = {}): Promise<void> {
    await this.#exchange(method, path, opts, false);
  }

  async #exchange(method: string, path: string, opts: RequestOptions, readBody: boolean): Promise<unknown> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in the kubeconfig');
    const url = new URL(cluster.server.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const { options, agent } = await this.#clientOptions(url);
    const headers: Record<string, string> = { ...(options.headers as Record<string, string>), accept: 'application/json' };
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (payload !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const mod = url.protocol === 'https:' ? https : http;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return new Promise<unknown>((resolve, reject) => {
      const req = mod.request(url, { ...options, agent, method, headers, timeout: timeoutMs }, (res) => {
        const code = res.statusCode ?? 0;
        if (!readBody && code >= 200 && code < 300) {
          res.on('error', reject);
          res.on('end', () => resolve(undefined));
          res.resume();
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = null;
          try {
            body = text === '' ? null : JSON.parse(text);
          } catch {
            body = null;
          }
          if (code >= 200 && code < 300) return resolve(body);
          const status = (body ?? {}) as { reason?: string; message?: string };
          reject(new KubeApiError(code, status.reason ?? 'Unknown', `${method} ${path}: ${code} ${status.message ?? text.slice(0, 200)}`));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** The KubeConfig's options for `url`'s server, worked out again after CLIENT_OPTIONS_TTL_MS. */
  #clientOptions(url: URL): Promise<ClientOptions> {
    const now = performance.now();
    if (this.#client === null || now >= this.#client.until) {
      const value = (async (): Promise<ClientOptions> => {
        const options: https.RequestOptions = { headers: {} };
        await this.kc.applyToHTTPSOptions(options);
        return { options, agent: this.kc.getCurrentCluster()?.proxyUrl === undefined ? this.#agentFor(url, options) : options.agent as http.Agent | undefined };
      })();
      const entry = { until: now + CLIENT_OPTIONS_TTL_MS, value };
      this.#client = entry;
      value.catch(() => {
        if (this.#client === entry) this.#client = null;
      });
    }
    return this.#client.value;
  }

  #agentFor(url: URL, options: https.RequestOptions): http.Agent {
    const key = agentKey(url, options);
    if (this.#agent?.key === key) return this.#agent.agent;
    const tls = { ca: options.ca, cert: options.cert, key: options.key, pfx: options.pfx, passphrase: options.passphrase, servername: options.servername };
    const common = { keepAlive: true, maxSockets: 32, maxFreeSockets: 8 };
    const agent = url.protocol === 'https:'
      ? new https.Agent({ ...common, ...tls, ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }) })
      : new http.Agent(common);
    // New TLS material (a rotated certificate): the old agent takes no new requests; its idle
    // connections close now, busy ones (a watch) once they end.
    if (this.#agent !== null) retire(this.#agent.agent);
    this.#agent = { key, agent };
    return agent;
  }

  /** Lists a collection. */
  async list(path: string, query: Record<string, string> = {}): Promise<ListResult> {
    const body = await this.request<{ items?: KObj[] | null; metadata?: { resourceVersion?: string } }>('GET', path, { query });
    return { items: body.items ?? [], resourceVersion: body.metadata?.resourceVersion ?? '' };
  }

  /** Reads one object; null when it does not exist. */
  async get(path: string): Promise<KObj | null> {
    try {
      return await this.request('GET', path);
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return null;
      throw err;
    }
  }

  /**
   * Watches a collection from `resourceVersion` (with bookmarks). `onDone` is called once when
   * the stream ends, with the error if any. Returns a handle to stop it.
   */
  async watch(path: string, query: Record<string, string>, onEvent: WatchHandler, onDone: (err: unknown) => void): Promise<{ abort(): void }> {
    return this.#watch.watch(path, { ...query, allowWatchBookmarks: 'true' }, (type: string, obj: unknown) => onEvent(type, obj as KObj), onDone);
  }
}
