/**
 * Entry of the prober child process (bench/lib/prober.ts): for each request on its IPC channel
 * it POSTs the route object, then polls the proxy until the route answers 200 (route-probe.ts),
 * and sends back what it saw.
 */
import { Agent } from 'node:http';
import { ApiClient } from '../test/conformance/kubelet.js';
import type { ProbeReply, ProbeRequest } from './lib/prober.js';
import { mustCall } from './lib/api-call.js';
import { newTally, probeUntilServed } from './lib/route-probe.js';

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

async function handle(m: ProbeRequest): Promise<ProbeReply> {
  try {
    await mustCall(new ApiClient(m.post.apiUrl).call('POST', m.post.path, m.post.object), `POST ${m.post.path}`);
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
  const tally = newTally();
  await probeUntilServed({ address: m.address, port: m.port, agent }, m.host, m.timeoutMs, tally);
  return { tally };
}

process.on('message', (m: ProbeRequest) => {
  void handle(m).then((reply) => process.send?.(reply));
});
process.on('disconnect', () => {
  agent.destroy();
  process.exit(0);
});
