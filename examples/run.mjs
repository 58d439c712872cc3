#!/usr/bin/env node
// Runs the basic example end to end: one echo backend per Service of examples/basic (on the
// IPs of its waygate.dev/endpoint-addresses annotation and its targetPort), then
// `waygate serve -f examples/basic`, then prints curl commands to try. Ctrl-C stops it all.
//
// Usage: node examples/run.mjs [--dir DIR] [--from-source] [-- extra flags for waygate serve]
//   --from-source  run src/cli/main.ts through tsx even when dist/ is built
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dashdash = process.argv.indexOf('--');
const own = dashdash === -1 ? process.argv.slice(2) : process.argv.slice(2, dashdash);
const serveArgs = dashdash === -1 ? [] : process.argv.slice(dashdash + 1);
const { values } = parseArgs({ args: own, options: {
  dir: { type: 'string', default: join(root, 'examples/basic') },
  'from-source': { type: 'boolean', default: false },
} });
const dir = resolve(values.dir);

/** Services with static endpoints: [{name, hosts, ports}] */
function staticServices() {
  const out = [];
  for (const file of readdirSync(dir).filter((f) => /\.(ya?ml)$/.test(f)).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const o = doc.toJS();
      const addrs = o?.kind === 'Service' ? o.metadata?.annotations?.['waygate.dev/endpoint-addresses'] : undefined;
      if (!addrs) continue;
      const hosts = addrs.split(',').map((s) => s.trim()).filter(Boolean);
      const ports = (o.spec?.ports ?? []).map((p) => (typeof p.targetPort === 'number' ? p.targetPort : p.port));
      out.push({ name: `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`, hosts, ports });
    }
  }
  return out;
}

const children = [];
let stopping = false;

function start(name, cmd, args) {
  // Own process group: Ctrl-C reaches only this launcher, which stops the children in order.
  const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const prefix = (line) => `[${name}] ${line}\n`;
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) process.stdout.write(prefix(l));
    });
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.log(`[example] ${name} exited (${signal ?? code}); stopping everything`);
      void stopAll(name === 'waygate' && code ? code : 1);
    }
  });
  children.push(child);
  return child;
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  const exits = children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => new Promise((r) => { c.once('exit', r); c.kill('SIGTERM'); }));
  const timer = setTimeout(() => { for (const c of children) c.kill('SIGKILL'); }, 15_000);
  await Promise.all(exits);
  clearTimeout(timer);
  process.exit(code);
}

process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
process.on('unhandledRejection', (err) => {
  console.error('[example] unexpected error:', err);
  void stopAll(1);
});
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

const seen = new Set();
for (const svc of staticServices()) {
  for (const host of svc.hosts) {
    for (const port of svc.ports) {
      if (seen.has(`${host}:${port}`)) continue;
      seen.add(`${host}:${port}`);
      start(svc.name, process.execPath, [join(root, 'examples/backends/echo.mjs'), '--name', svc.name, '--host', host, '--port', String(port)]);
    }
  }
}

// The built CLI when there is one (npm ci builds it), else straight from the sources.
const built = !values['from-source'] && existsSync(join(root, 'dist/cli/main.js'));
// The data plane's V8 flags (src/runtime/v8-flags.ts), as bin/waygate.js gives them when run directly.
const flags = ['--no-memory-reducer', '--v8-pool-size=1'];
const waygate = built
  ? [...flags, join(root, 'bin/waygate.js')]
  : [...flags, '--import', 'tsx', join(root, 'src/cli/main.ts')];
start('waygate', process.execPath, [...waygate, 'serve', '-f', dir, ...serveArgs]);

const adminFlag = serveArgs.indexOf('--admin-address');
const admin = adminFlag === -1 ? '127.0.0.1:9901' : serveArgs[adminFlag + 1];
const deadline = Date.now() + 30_000;
while (Date.now() < deadline && !stopping) {
  const ok = await fetch(`http://${admin}/readyz`).then((r) => r.ok, () => false);
  if (ok) break;
  await new Promise((r) => setTimeout(r, 200));
}
if (!stopping) {
  const status = await fetch(`http://${admin}/status`).then((r) => r.json()).catch(() => ({ objects: [] }));
  const gw = status.objects.find((o) => o.kind === 'Gateway');
  const addr = gw?.status?.addresses?.[0]?.value ?? '127.0.1.10';
  const port = gw?.spec?.listeners?.[0]?.port ?? 8080;
  const base = `http://${addr}:${port}`;
  console.log(`
[example] waygate is ready. Try:
  curl -s -H 'Host: store.example.com' ${base}/                       # store-v1
  curl -s -H 'Host: store.example.com' -H 'x-canary: true' ${base}/   # store-v2 (header match)
  for i in $(seq 20); do curl -s -H 'Host: store.example.com' ${base}/cart | grep '"backend"'; done   # 80/20 split
  curl -s -H 'Host: store.example.com' ${base}/inventory/42           # shared/inventory (ReferenceGrant)
  curl -si -H 'Host: blog.example.com' ${base}/archive/2019/hello     # 301 to /posts/2019/hello
  curl -s -H 'Host: blog.example.com' ${base}/posts/2019/hello        # blog
  curl -s http://${admin}/status        # what waygate wrote as status
  ${built ? 'node bin/waygate.js' : 'node --import tsx src/cli/main.ts'} status --admin-address ${admin}   # the same, as a table
Edit a file under ${dir} and it is live within milliseconds. Ctrl-C stops everything.
`);
}
