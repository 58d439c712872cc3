/**
 * Bad input while serving: a YAML syntax error and a schema error leave the previous routes
 * serving; /status lists both issues with file, document and field path; `validate` exits 1
 * naming them; fixed files are picked up.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  gatewayAddress, gatewayYaml, get, getJson, ManifestDir, routeYaml, runCli, serviceYaml, startEcho, startServe, stop,
  waitFor, type Proc,
} from './cli-harness.js';

const POOL = '127.0.4.0/28';
const LISTENER_PORT = 18082;

interface Issue { file: string; document: number; path: string; message: string; kind: string | null }

let dir: ManifestDir;
let echo: { proc: Proc; port: number };
let serve: { proc: Proc; admin: string };
let addr: string;

before(async () => {
  dir = await ManifestDir.create('bad');
  echo = await startEcho('app');
  await dir.writeAtomic('gateway.yaml', gatewayYaml(LISTENER_PORT));
  await dir.writeAtomic('service.yaml', serviceYaml('app', echo.port));
  await dir.writeAtomic('one.yaml', routeYaml('one', 'one.test', '/', 'app'));
  await dir.writeAtomic('two.yaml', routeYaml('two', 'two.test', '/', 'app'));
  serve = await startServe(dir.path, POOL);
  addr = await gatewayAddress(serve.admin);
});

after(async () => {
  if (serve) await stop(serve.proc);
  if (echo) await stop(echo.proc);
  await dir?.cleanup();
});

async function issues(): Promise<Issue[]> {
  return (await getJson<{ issues: Issue[] }>(`http://${serve.admin}/status`)).issues;
}

const schemaError = (name: string, host: string) =>
  // Document 2 of the file; its path match type is not one the CRD allows.
  `${serviceYaml('unused', 1)}---\n${routeYaml(name, host, '/', 'app').replace('type: PathPrefix', 'type: Bogus')}`;

test('a syntax error and a schema error keep the previous routes serving and show in /status', async () => {
  assert.equal((await get(addr, LISTENER_PORT, 'one.test', '/')).status, 200);
  assert.equal((await get(addr, LISTENER_PORT, 'two.test', '/')).status, 200);

  await dir.writeAtomic('one.yaml', 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: [unclosed\n');
  await dir.writeAtomic('two.yaml', schemaError('two', 'two.test'));
  const found = await waitFor('both issues in /status', async () => {
    const list = await issues();
    const syntax = list.find((i) => i.file === 'one.yaml');
    const schema = list.find((i) => i.file === 'two.yaml');
    return syntax && schema ? { syntax, schema } : undefined;
  });
  assert.equal(found.syntax.document, 1);
  assert.equal(found.schema.document, 2);
  assert.match(found.schema.path, /^spec\.rules\[0\]\.matches\[0\]\.path/);
  assert.match(serve.proc.stderr, /one\.yaml/, 'issues are logged');

  // The last good versions keep serving.
  assert.equal((await get(addr, LISTENER_PORT, 'one.test', '/x')).status, 200);
  assert.equal((await get(addr, LISTENER_PORT, 'two.test', '/x')).status, 200);
});

test('validate exits 1 and names file, document and field path', async () => {
  const r = await runCli(['validate', '-f', dir.path]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /one\.yaml: document 1/);
  assert.match(r.stderr, /two\.yaml: document 2 \(HTTPRoute default\/two\): spec\.rules\[0\]\.matches\[0\]\.path/);
});

test('fixed files are picked up: issues clear and new content serves', async () => {
  await dir.writeAtomic('one.yaml', routeYaml('one', 'one-fixed.test', '/', 'app'));
  await dir.writeInPlace('two.yaml', routeYaml('two', 'two-fixed.test', '/', 'app'));
  await waitFor('issues to clear', async () => ((await issues()).length === 0 ? true : undefined));
  await waitFor('fixed routes to serve', async () => {
    const a = await get(addr, LISTENER_PORT, 'one-fixed.test', '/');
    const b = await get(addr, LISTENER_PORT, 'two-fixed.test', '/');
    return a.status === 200 && b.status === 200 ? true : undefined;
  });
  assert.equal((await get(addr, LISTENER_PORT, 'one.test', '/')).status, 404);
  const r = await runCli(['validate', '-f', dir.path]);
  assert.equal(r.code, 0, r.stderr);
});
