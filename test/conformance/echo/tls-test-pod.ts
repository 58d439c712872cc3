/**
 * Test fixture: one echo pod on 127.0.0.1 serving HTTP, h2c and HTTPS with `leaf`'s certificate
 * (written to a temp directory, as the upstream pods mount it). Used by the runner's unit tests.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EchoPod } from './echo.js';

export interface TlsTestPod {
  readonly pod: EchoPod;
  close(): Promise<void>;
}

export async function startTlsTestPod(name: string, leaf: { cert: string; key: string }): Promise<TlsTestPod> {
  const dir = await mkdtemp(join(tmpdir(), 'echo-tls-'));
  await writeFile(join(dir, 'crt'), leaf.cert);
  await writeFile(join(dir, 'key'), leaf.key);
  const pod = await EchoPod.start(
    {
      name,
      namespace: 'ns',
      ip: '127.0.0.1',
      env: { POD_NAME: name, NAMESPACE: 'ns', HTTP_PORT: '0', H2C_PORT: '0', HTTPS_PORT: '0', TLS_SERVER_CERT: join(dir, 'crt'), TLS_SERVER_PRIVKEY: join(dir, 'key') },
    },
    () => undefined,
  );
  return {
    pod,
    close: async () => {
      await pod.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
