/**
 * A tiny echo backend run as a separate process by the data-plane e2e tests:
 * `node --import tsx echo-backend.ts <name>`; prints `PORT <n>` once listening on 127.0.0.1.
 * Answers every request with JSON {name, method, url, headers}. Exits when stdin closes.
 */
import http from 'node:http';

const name = process.argv[2] ?? 'echo';
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, pid: process.pid });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`PORT ${typeof a === 'object' && a !== null ? a.port : 0}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
