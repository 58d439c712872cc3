/** Free TCP ports on loopback addresses, found by binding port 0 and closing again. */
import { createServer } from 'node:net';

/** A port that was free on `host` a moment ago (small race with other programs; acceptable here). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host, port: 0, exclusive: true }, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => (port > 0 ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

/** A port free on every host in `hosts` at once (e.g. 127.0.0.1 and 127.0.0.2 for the backend). */
export async function freePortOn(hosts: readonly string[], attempts = 20): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const port = await freePort(hosts[0]);
    let ok = true;
    for (const h of hosts.slice(1)) {
      ok = await new Promise<boolean>((resolve) => {
        const s = createServer();
        s.once('error', () => resolve(false));
        s.listen({ host: h, port, exclusive: true }, () => s.close(() => resolve(true)));
      });
      if (!ok) break;
    }
    if (ok) return port;
  }
  throw new Error(`no port free on all of ${hosts.join(', ')}`);
}
