import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { bindSocket, boundPortOf } from './bind.js';
import { GW_ERR } from './errors.js';

const log = (): undefined => undefined;

test('bindSocket: binds a net server and a udp socket; boundPortOf reads the port', async () => {
  const server = net.createServer();
  assert.equal(boundPortOf(server), null);
  await bindSocket(server, { start: () => server.listen({ host: '127.0.0.1', port: 0 }), what: 'x', errorMessage: 'e', server: () => 's', log });
  const port = boundPortOf(server);
  assert.ok(port !== null && port > 0);

  const udp = dgram.createSocket('udp4');
  assert.equal(boundPortOf(udp), null);
  await bindSocket(udp, { start: () => udp.bind({ address: '127.0.0.1', port: 0 }), what: 'u', errorMessage: 'e', server: () => 's', log });
  assert.ok((boundPortOf(udp) ?? 0) > 0);
  udp.close();

  // A taken port: GW_ERR_BIND, the failure hook runs, nothing is left listening.
  const other = net.createServer();
  let failed = false;
  await assert.rejects(
    bindSocket(other, {
      start: () => other.listen({ host: '127.0.0.1', port, exclusive: true }),
      what: `127.0.0.1:${port}`,
      errorMessage: 'e',
      server: () => 's',
      log,
      onFail: () => (failed = true),
    }),
    (err: unknown) => (err as { code?: string }).code === GW_ERR.BIND && String((err as Error).message).includes(`cannot listen on 127.0.0.1:${port}`),
  );
  assert.equal(failed, true);
  assert.equal(other.listening, false);
  await new Promise((r) => server.close(r));
});
