/**
 * Entry of the WebSocket echo backend: `node --import tsx bench/ws-echo-main.ts HOST PORT`
 * (lib/ws-echo.ts). Prints one line once it listens; runs until killed.
 */
import { startWsEcho } from './lib/ws-echo.js';

const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? '0');
const server = await startWsEcho(host, port);
const a = server.address();
process.stdout.write(`ws-echo listening on ${typeof a === 'object' && a !== null ? `${a.address}:${a.port}` : String(a)}\n`);
