/**
 * `waygate proxy`'s loop: stream client → bind-address mapping → data plane. Each received
 * config is applied atomically (DataPlane.apply); a config that fails to apply leaves the last
 * good one serving; while the controller is away the last config keeps serving. Ready once a
 * config has been applied.
 *
 * In a pod the Gateway's address belongs to the Service, not to the pod, so every server binds
 * `bindAddress` (0.0.0.0 by default) on its listener port; servers of the same port (several
 * Gateway addresses) collapse into the first.
 */
import type * as ir from '../ir/types.js';
import type { DataPlane } from '../dataplane/index.js';
import type { Logger } from '../log.js';
import { errorFields, silentLogger } from '../log.js';
import { ConfigStreamClient, type StreamClientOptions } from './stream-client.js';

/**
 * Rebinds every server to `bindAddress`, one server per port. Pure; with `memo`, a server
 * object rebound before gives the same rebound object (so the data plane sees it unchanged).
 */
export function bindLocally(config: ir.Config, bindAddress: string, memo?: WeakMap<ir.Server, ir.Server>): ir.Config {
  const seen = new Set<string>();
  const servers: ir.Server[] = [];
  for (const s of config.servers) {
    const key = `${s.protocol === 'UDP' ? 'udp' : 'tcp'}/${s.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let rebound = memo?.get(s);
    if (rebound === undefined || rebound.address !== bindAddress) {
      rebound = { ...s, address: bindAddress };
      memo?.set(s, rebound);
    }
    servers.push(rebound);
  }
  return { ...config, servers };
}

export interface ProxyRuntimeOptions extends Omit<StreamClientOptions, 'onConfig' | 'onState'> {
  readonly dataPlane: DataPlane;
  readonly bindAddress: string;
  readonly log?: Logger;
}

export class ProxyRuntime {
  readonly #o: ProxyRuntimeOptions;
  readonly #log: Logger;
  readonly #client: ConfigStreamClient;
  /** Received server → rebound server: an unchanged server stays the same object (stream deltas keep received ones). */
  readonly #rebound = new WeakMap<ir.Server, ir.Server>();
  #applied = 0;
  #version = 0;
  #connected = false;

  constructor(options: ProxyRuntimeOptions) {
    this.#o = options;
    this.#log = options.log ?? silentLogger;
    this.#client = new ConfigStreamClient({
      ...options,
      onConfig: (config, version) => this.#apply(config, version),
      onState: (state, detail) => {
        this.#connected = state === 'connected';
        this.#log[state === 'connected' ? 'info' : 'warn'](`controller stream ${state}`, detail ? { detail } : {});
      },
    });
  }

  /** True once a config is applied (readiness). */
  get ready(): boolean {
    return this.#applied > 0;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Version of the config served. */
  get version(): number {
    return this.#version;
  }

  start(): void {
    this.#client.start();
  }

  async stop(graceMs?: number): Promise<void> {
    this.#client.stop();
    await this.#o.dataPlane.close(graceMs);
  }

  async #apply(config: ir.Config, version: number): Promise<void> {
    try {
      const result = await this.#o.dataPlane.apply(bindLocally(config, this.#o.bindAddress, this.#rebound));
      this.#applied++;
      this.#version = version;
      for (const e of result.errors) this.#log.error('server could not be bound', { ...e });
      this.#log.info('config applied', { version, servers: config.servers.length });
    } catch (err) {
      this.#log.error('config rejected; the previous config keeps serving', { version, ...errorFields(err) });
    }
  }
}
