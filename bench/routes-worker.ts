/**
 * In-process route-scale measurements, run as a child process pinned to the quiet core:
 * `node --import tsx bench/routes-worker.ts '<json>'` with { dir, n, address, samples }.
 * It imports the project's own pieces directly: the file loader (load + validate + default),
 * buildSnapshot, translate(), the data plane's compileServer() and routeRequest(), and times
 * each: full (cold and warm) and, for one new route on top of the n, with the translate and
 * compile caches a hot reload uses. Prints one JSON line. A piece that is not there yet is reported, not fatal.
 */
import { requestFor, scaleRoutes } from './lib/manifests.js';
import { median } from './lib/stats.js';

interface Input {
  readonly dir: string;
  readonly n: number;
  readonly address: string;
  /** Timed repetitions of translate and compile after the first (cold) one. */
  readonly samples: number;
  readonly matchIterations: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as Input;
const out: Record<string, unknown> = { n: input.n };
const ms = (t0: number): number => Math.round((performance.now() - t0) * 100) / 100;

async function main(): Promise<void> {
  const load = await import('../src/source/file/load.js');
  const snap = await import('../src/source/snapshot.js');
  let t0 = performance.now();
  const loaded = await load.loadDirectory(input.dir);
  out['loadMs'] = ms(t0);
  out['loadIssues'] = loaded.issues.length;
  if (loaded.issues.length > 0) out['firstIssue'] = load.formatIssue(loaded.issues[0]!);
  out['objects'] = loaded.objects.length;
  const snapshot = snap.buildSnapshot(loaded.objects);

  const { translate } = await import('../src/controller/translate.js');
  const options = {
    controllerName: 'waygate.dev/gateway-controller',
    now: '2026-01-01T00:00:00Z',
    addresses: { pool: [input.address], assigned: {}, isUsable: (): boolean => true },
  };
  t0 = performance.now();
  let tr = translate(snapshot, options);
  out['translateColdMs'] = ms(t0);
  const warm: number[] = [];
  for (let i = 0; i < input.samples; i++) {
    t0 = performance.now();
    tr = translate(snapshot, options);
    warm.push(ms(t0));
  }
  out['translateMs'] = median(warm);
  const servers = tr.ir.servers;
  out['irServers'] = servers.length;
  out['irRules'] = servers.reduce((s, sv) => s + sv.listeners.reduce((a, l) => a + l.rules.length, 0), 0);
  out['irJsonBytes'] = JSON.stringify(tr.ir).length;
  if (servers.length === 0) throw new Error('translate produced no servers (controller not complete yet?)');

  // One new route on top of n, as a hot reload sees it: translate with the translate cache
  // (primed by a pass over the n routes) and compile with the compile cache.
  const { TranslateCache } = await import('../src/controller/translate-cache.js');
  const compileMod = await import('../src/dataplane/router/compile.js');
  const cache = new TranslateCache();
  const compileCache = new compileMod.CompileCache();
  for (const s of translate(snapshot, { ...options, cache }).ir.servers) compileMod.compileServer(s, compileCache);
  const template = snapshot.httpRoutes[snapshot.httpRoutes.length - 1];
  if (template !== undefined) {
    const tIncr: number[] = [];
    const cIncr: number[] = [];
    for (let i = 0; i < Math.max(3, input.samples * 3); i++) {
      const extra = {
        ...template,
        // Newest, as a new route is (the loader here sets no timestamps: the name orders it last).
        metadata: { ...template.metadata, name: `zz-new-${i}`, uid: `zz-new-${i}` },
        spec: { ...template.spec, hostnames: [`bench-new-${i}.bench.test`] },
      };
      const next = snap.buildSnapshot([...loaded.objects, extra]);
      t0 = performance.now();
      const r = translate(next, { ...options, cache });
      tIncr.push(ms(t0));
      t0 = performance.now();
      for (const s of r.ir.servers) compileMod.compileServer(s, compileCache);
      cIncr.push(ms(t0));
    }
    out['translateOneNewMs'] = median(tIncr);
    out['compileOneNewMs'] = median(cIncr);
  }

  const compile = compileMod;
  const route = await import('../src/dataplane/router/route.js');
  const match = await import('../src/dataplane/router/match.js');
  t0 = performance.now();
  let compiled = servers.map((s) => compile.compileServer(s));
  out['compileColdMs'] = ms(t0);
  const cwarm: number[] = [];
  for (let i = 0; i < input.samples; i++) {
    t0 = performance.now();
    compiled = servers.map((s) => compile.compileServer(s));
    cwarm.push(ms(t0));
  }
  out['compileMs'] = median(cwarm);
  const server = compiled[0]!;

  // Request mix as in the performance notes (B.8): 90% hits with sub-paths, 10% unknown hosts.
  const routes = scaleRoutes(input.n, 'backend');
  const reqs: { host: string; req: ReturnType<typeof match.toRouteRequest> }[] = [];
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const rawHeaders = ['user-agent', 'bench'];
  for (let i = 0; i < 10_000; i++) {
    if (rnd() < 0.1) reqs.push({ host: `unknown${i}.example.org`, req: match.toRouteRequest('GET', '/x/y', rawHeaders) });
    else {
      const r = requestFor(routes[Math.floor(rnd() * routes.length)]!, i);
      reqs.push({ host: r.host, req: match.toRouteRequest('GET', r.path, rawHeaders) });
    }
  }
  let hits = 0;
  for (const q of reqs) if (route.routeRequest(server, q.host, q.req).rule !== null) hits++;
  out['hitRate'] = hits / reqs.length;
  const runs: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    let sink = 0;
    const t = performance.now();
    for (let i = 0; i < input.matchIterations; i++) {
      const q = reqs[i % reqs.length]!;
      if (route.routeRequest(server, q.host, q.req).rule !== null) sink++;
    }
    runs.push(((performance.now() - t) * 1e6) / input.matchIterations);
    if (sink < 0) console.log(sink);
  }
  out['matchNs'] = Math.round(median(runs)!);
  out['heapUsedMiB'] = Math.round(process.memoryUsage().heapUsed / 1048576);
}

try {
  await main();
} catch (e) {
  out['error'] = e instanceof Error ? e.message : String(e);
}
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
