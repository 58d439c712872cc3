/**
 * A minimal health endpoint for `waygate proxy` and `waygate controller`: `/healthz` (alive)
 * and `/readyz` (200 when `ready()`, 503 otherwise).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts the endpoint; resolves with its URL and a close function. */
export async function startHealthServer(host: string, port: number, ready: () => boolean): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const q = (req.url ?? '').indexOf('?');
    const path = q === -1 ? req.url : req.url!.slice(0, q);
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path === '/readyz') {
      const ok = ready();
      return void res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not ready\n');
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, resolve);
  });
  const a = server.address() as AddressInfo;
  return {
    url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
