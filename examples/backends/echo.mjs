#!/usr/bin/env node
// A tiny echo backend for the examples: plain node:http, no dependencies.
// Usage: node examples/backends/echo.mjs --name store/store-v1 --port 9101 [--host 127.0.0.1]
// Answers every request with JSON naming itself and echoing what it received.
// `?delay=MS` (at most 30000) waits that long before answering.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    name: { type: 'string', default: process.env.ECHO_NAME ?? 'echo' },
    port: { type: 'string', default: process.env.ECHO_PORT ?? '0' },
    host: { type: 'string', default: process.env.ECHO_HOST ?? '127.0.0.1' },
  },
});

const server = createServer((req, res) => {
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
  });
  req.on('end', () => {
    const q = req.url.indexOf('?');
    const delay = Math.min(30_000, Number(/(?:^|&)delay=(\d+)/.exec(q === -1 ? '' : req.url.slice(q + 1))?.[1] ?? 0));
    setTimeout(answer, delay, q);
  });
  const answer = (q) => {
    const body = JSON.stringify({
      backend: values.name,
      method: req.method,
      path: q === -1 ? req.url : req.url.slice(0, q),
      query: q === -1 ? '' : req.url.slice(q + 1),
      host: req.headers.host ?? null,
      headers: req.headers,
      bodyBytes: size,
    }, null, 2);
    res.writeHead(200, { 'content-type': 'application/json', 'x-backend': values.name, 'content-length': Buffer.byteLength(body) + 1 });
    res.end(`${body}\n`);
  };
});
server.keepAliveTimeout = 65_000;

server.listen(Number(values.port), values.host, () => {
  const { address, port } = server.address();
  console.log(`echo ${values.name} listening on http://${address}:${port}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
