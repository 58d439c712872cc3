/**
 * A Gateway whose static address cannot be bound (the port is taken) reports
 * Programmed=False AddressNotUsable, /status shows the bind error, and once the port is free
 * the runtime's retry programs it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { gatewayYaml, get, getJson, ManifestDir, runCli, startServe, stop, waitFor, type Proc } from './cli-harness.js';

const ADDRESS = '127.0.7.13';
const PORT = 18094;

let dir: ManifestDir;
let blocker: Server;
let serve: { proc: Proc; admin: string };

interface Status {
  applyErrors: { address: string; port: number; message: string }[];
  objects: { kind: string; status: { conditions?: { type: string; status: string; reason: string }[] } }[];
}

before(async () => {
  dir = await ManifestDir.create('addr');
  blocker = createServer((s) => s.destroy());
  await new Promise<void>((r) => blocker.listen(PORT, ADDRESS, r));
  await dir.writeAtomic('gateway.yaml', gatewayYaml(PORT).replace('  listeners:', `  addresses: [{ type: IPAddress, value: ${ADDRESS} }]\n  listeners:`));
  serve = await startServe(dir.path, '127.0.7.0/28');
});

after(async () => {
  if (serve) await stop(serve.proc);
  if (blocker?.listening) await new Promise((r) => blocker.close(r));
  await dir?.cleanup();
});

function programmed(s: Status) {
  return s.objects.find((o) => o.kind === 'Gateway')?.status.conditions?.find((c) => c.type === 'Programmed');
}

test('a taken address: Programmed=False AddressNotUsable, the bind error in /status and the table', async () => {
  const s = await getJson<Status>(`http://${serve.admin}/status`);
  assert.equal(programmed(s)?.status, 'False');
  assert.equal(programmed(s)?.reason, 'AddressNotUsable');
  assert.equal(s.applyErrors.length, 1);
  assert.equal(s.applyErrors[0]!.address, ADDRESS);
  assert.match(s.applyErrors[0]!.message, /EADDRINUSE/);
  const table = await runCli(['status', '--admin-address', serve.admin]);
  assert.match(table.stdout, /! Programmed=False AddressNotUsable/);
  assert.match(table.stdout, /Servers not bound:\n\s+default\/gw\/127\.0\.7\.13:18094/);
});

test('when the port frees up, the retry programs the Gateway without any file change', { timeout: 30_000 }, async () => {
  await new Promise((r) => blocker.close(r));
  const s = await waitFor('Programmed=True after the bind retry', async () => {
    const st = await getJson<Status>(`http://${serve.admin}/status`);
    return programmed(st)?.status === 'True' ? st : undefined;
  }, 20_000, 200);
  assert.deepEqual(s.applyErrors, []);
  assert.equal((await get(ADDRESS, PORT, 'any.test', '/')).status, 404, 'the listener now answers (no routes: 404)');
});
