/** A bounded HTTP GET on loopback, for readiness checks and propagation probes. */
import { Agent, request } from 'node:http';

export interface GetResult {
  /** 0 when the request failed (refused, reset, timeout). */
  readonly status: number;
  readonly body: string;
  readonly error: string | null;
}

/** GET http://address:port/path with the given Host header; never throws. */
export function httpGet(o: { address: string; port: number; path: string; host?: string; timeoutMs?: number; agent?: Agent }): Promise<GetResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: GetResult): void => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const req = request(
      {
        host: o.address,
        port: o.port,
        path: o.path,
        method: 'GET',
        headers: { host: o.host ?? `${o.address}:${o.port}` },
        agent: o.agent ?? false,
        timeout: o.timeoutMs ?? 2000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { if (body.length < 4096) body += d; });
        res.on('end', () => done({ status: res.statusCode ?? 0, body, error: null }));
        res.on('error', (e) => done({ status: 0, body, error: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => done({ status: 0, body: '', error: e.code ?? e.message }));
    req.end();
  });
}
