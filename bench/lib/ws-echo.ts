/**
 * The WebSocket echo backend of the churn scenario: every text or binary message is sent back
 * unchanged on the same connection. Plain HTTP requests that are not upgrades get 426. Run it as
 * its own process (bench/ws-echo-main.ts) so the harness can pin it next to the nginx backend.
 */
import { createServer, type Server } from 'node:http';
import { WebSocketServer } from 'ws';

/** Starts the echo server on host:port; resolves once it listens. */
export function startWsEcho(host: string, port: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
    res.end('websocket only\n');
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => ws.terminate());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
