/**
 * TCP, TLS and UDP probes of the conformance runner, after the upstream suite's L4 clients
 * (conformance/utils/tcp, tls and udp helpers): what is sent and what must come back is in
 * each request's `exchange` and `expect` (see ../shared/conformance/README.md).
 *
 * TCP/TLS: connect (TLS: with the SNI, trusting the named CA, TLS 1.2+), read the welcome line,
 * then `PING` → `PONG`, `IS_TLS` → `true`/`false`, `TEST` → the JSON pod context, and compare
 * namespace, pod prefix, whether the backend saw TLS and the SNI it saw. `connection-rejected`
 * wants the dial to end in EOF or a reset. UDP: one datagram per probe from a fresh socket, the
 * JSON reply names the pod; a DNS question wants any DNS answer.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { randomInt } from 'node:crypto';
import type { EchoBody } from './echo/echo.js';
import { TCP_WELCOME, type TcpAssertions } from './echo/tcp.js';
import type { Captured } from './expect.js';
import type { RequestCase } from './types.js';
import { backendFromPod } from './weights.js';

/** Protocols this module probes. */
export function isL4Protocol(protocol: string): boolean {
  return protocol === 'TCP' || protocol === 'TLS' || protocol === 'UDP';
}

/** Where and how to probe. */
export interface L4Target {
  /** Resolves the Gateway address and port (may throw). */
  resolve(): Promise<{ address: string; port: number }>;
  timeoutMs: number;
  /** Trusted CA (PEM) for TLS; system roots when absent. */
  ca?: string | undefined;
}

type ProbeResult = { error: string | null; captured?: Captured };

/** Runs one probe of an L4 request case. */
export async function probeL4(rc: RequestCase, target: L4Target): Promise<ProbeResult> {
  let t: { address: string; port: number };
  try {
    t = await target.resolve();
  } catch (err) {
    return { error: (err as Error).message };
  }
  const protocol = rc.request.protocol ?? 'TCP';
  const where = `${protocol} ${t.address}:${t.port}${rc.request.sni ? ` (SNI ${rc.request.sni})` : ''}`;
  const r = protocol === 'UDP' ? await probeUdp(rc, t, target) : await probeStream(rc, t, target);
  return r.error === null ? r : { ...r, error: `${where}: ${r.error}` };
}

// ---------------------------------------------------------------- TCP / TLS

interface StreamExchange {
  error?: string;
  /** Error code of a failed dial (ECONNRESET, …). */
  code?: string;
  pong?: boolean;
  isTLS?: string;
  test?: TcpAssertions;
}

/** One connection: dial, then (unless `connectOnly`) the welcome line and the commands. */
function exchange(
  t: { address: string; port: number },
  opts: { tls: boolean; sni?: string | undefined; ca?: string | undefined; timeoutMs: number; connectOnly?: boolean; commands: string[] },
): Promise<StreamExchange> {
  return new Promise((resolve) => {
    const sock: net.Socket = opts.tls
      ? tls.connect({
          host: t.address,
          port: t.port,
          ...(opts.sni ? { servername: opts.sni } : {}),
          ...(opts.ca ? { ca: opts.ca } : {}),
          rejectUnauthorized: true,
          // The conformance certificates name the test hostnames; the suite checks the chain.
          checkServerIdentity: () => undefined,
          minVersion: 'TLSv1.2',
        })
      : net.connect({ host: t.address, port: t.port });
    let settled = false;
    const out: StreamExchange = {};
    const done = (extra: Partial<StreamExchange> = {}): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ ...out, ...extra });
    };
    const timer = setTimeout(() => done({ error: `no answer within ${opts.timeoutMs} ms` }), opts.timeoutMs);
    sock.on('error', (e: NodeJS.ErrnoException) => done({ error: `${e.code ?? ''} ${e.message}`.trim(), code: e.code ?? 'ERROR' }));
    sock.on('end', () => done({ error: 'connection closed (EOF)', code: 'EOF' }));
    sock.once(opts.tls ? 'secureConnect' : 'connect', () => {
      if (opts.connectOnly) done();
    });
    let buf = '';
    let welcomed = false;
    const pending = [...opts.commands];
    const next = (): void => {
      const cmd = pending[0];
      if (cmd === undefined) return done();
      sock.write(`${cmd}\n`);
    };
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!welcomed) {
        if (buf.length < TCP_WELCOME.length) return;
        if (!buf.startsWith(TCP_WELCOME)) return done({ error: `unexpected greeting ${JSON.stringify(buf.slice(0, 60))}` });
        welcomed = true;
        buf = buf.slice(TCP_WELCOME.length);
        next();
      }
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const cmd = pending.shift();
        if (cmd === 'PING') out.pong = line === 'PONG';
        else if (cmd === 'IS_TLS') out.isTLS = line;
        else if (cmd === 'TEST') {
          try {
            out.test = JSON.parse(line) as TcpAssertions;
          } catch {
            return done({ error: `TEST answer is not JSON: ${JSON.stringify(line.slice(0, 80))}` });
          }
        }
        next();
      }
    });
  });
}

/** `read welcome line; TEST->JSON; …` → the commands to send. */
function commandsOf(rc: RequestCase): string[] {
  const ex = String(rc.request['exchange'] ?? '');
  if (/PING/.test(ex)) return ['PING', 'IS_TLS', 'TEST'];
  return ['TEST'];
}

function echoOf(a: TcpAssertions): EchoBody {
  return { path: '', host: '', method: '', proto: 'TCP', headers: {}, namespace: a.namespace, ingress: a.ingress, service: a.service, pod: a.pod, httpPort: a.tcpport, sni: a.tls?.serverName ?? '' };
}

async function probeStream(rc: RequestCase, t: { address: string; port: number }, target: L4Target): Promise<ProbeResult> {
  const e = rc.expect;
  const isTls = rc.request.protocol === 'TLS';
  const timeoutMs = Number(e['perRequestTimeoutSeconds'] ?? 0) * 1000 || target.timeoutMs;
  const base = { tls: isTls, sni: rc.request.sni, ca: target.ca, timeoutMs };

  if (e.failure === 'connection-rejected' || e.failure === 'request-error') {
    const x = await exchange(t, { ...base, connectOnly: true, commands: [] });
    if (!x.error) return { error: 'expected the connection to be rejected, the handshake succeeded' };
    if (e.failure === 'connection-rejected' && !/ECONNRESET|EOF|EPIPE|disconnected/i.test(`${x.code} ${x.error}`)) {
      return { error: `expected EOF or a reset, got ${x.error}` };
    }
    return { error: null, captured: { error: x.error, headers: {}, body: '' } };
  }
  if (e['connect'] === true) {
    const x = await exchange(t, { ...base, connectOnly: true, commands: [] });
    return { error: x.error ?? null };
  }

  const repeat = Number(e['repeat'] ?? 1);
  let last: TcpAssertions | undefined;
  for (let i = 0; i < repeat; i++) {
    const x = await exchange(t, { ...base, commands: commandsOf(rc) });
    if (x.error) return { error: x.error };
    if (x.pong === false) return { error: 'PING was not answered with PONG' };
    const a = x.test;
    if (!a) return { error: 'no TEST answer' };
    last = a;
    const problem = checkStream(rc, x, a);
    if (problem) return { error: problem };
  }
  const echo = last ? echoOf(last) : undefined;
  return { error: null, captured: { status: 200, headers: {}, body: '', ...(echo ? { echo } : {}) } };
}

function checkStream(rc: RequestCase, x: StreamExchange, a: TcpAssertions): string | null {
  const e = rc.expect;
  if (e.namespace !== undefined && a.namespace !== e.namespace) return `expected namespace ${e.namespace}, got ${a.namespace}`;
  if (e.backend && !a.pod.startsWith(e.backend)) return `expected pod name to start with ${e.backend}, got ${JSON.stringify(a.pod)}`;
  const prefix = e['podPrefix'];
  if (typeof prefix === 'string' && !a.pod.startsWith(prefix)) return `expected pod name to start with ${prefix}, got ${JSON.stringify(a.pod)}`;
  const not = e['podPrefixMustNot'];
  if (typeof not === 'string' && a.pod.startsWith(not)) return `pod ${a.pod} must not serve this traffic`;
  const wantTls = e['backendIsTLS'];
  if (typeof wantTls === 'boolean') {
    if (a.isTLS !== wantTls) return `expected the backend connection ${wantTls ? '' : 'not '}to be TLS, TEST says isTLS=${a.isTLS}`;
    if (x.isTLS !== undefined && x.isTLS !== String(wantTls)) return `IS_TLS answered ${x.isTLS}, expected ${wantTls}`;
  }
  const sni = e['backendSNI'];
  if (typeof sni === 'string' && (a.tls?.serverName ?? '') !== sni) return `expected the backend to see SNI ${sni}, got ${JSON.stringify(a.tls?.serverName ?? '')}`;
  if (e.weights && !(backendFromPod(a.pod) in e.weights)) return `response from unexpected backend ${backendFromPod(a.pod)}`;
  return null;
}

// ---------------------------------------------------------------- UDP

/** Sends one datagram from a fresh socket and waits for one reply. */
function datagram(t: { address: string; port: number }, payload: Buffer, timeoutMs: number): Promise<{ reply?: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(net.isIPv6(t.address) ? 'udp6' : 'udp4');
    const done = (v: { reply?: Buffer; error?: string }): void => {
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => done({ error: `no reply within ${timeoutMs} ms` }), timeoutMs);
    sock.on('error', (e) => done({ error: e.message }));
    sock.on('message', (m) => done({ reply: m }));
    sock.send(payload, t.port, t.address);
  });
}

/** A DNS query for `name` (type A unless given). */
export function dnsQuery(name: string, type = 'A'): { id: number; packet: Buffer } {
  const id = randomInt(0, 0xffff);
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const qname = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type === 'AAAA' ? 28 : 1, 0);
  tail.writeUInt16BE(1, 2);
  return { id, packet: Buffer.concat([header, qname, tail]) };
}

async function probeUdp(rc: RequestCase, t: { address: string; port: number }, target: L4Target): Promise<ProbeResult> {
  const e = rc.expect;
  const timeoutMs = Number(e['perProbeTimeoutSeconds'] ?? 0) * 1000 || Math.min(target.timeoutMs, 5000);
  const dns = rc.request['dns'] as { question?: string; type?: string } | undefined;
  if (dns) {
    const q = dnsQuery(dns.question ?? 'foo.bar.com.', dns.type ?? 'A');
    const x = await datagram(t, q.packet, timeoutMs);
    if (x.error || !x.reply) return { error: x.error ?? 'no reply' };
    if (x.reply.length < 12 || x.reply.readUInt16BE(0) !== q.id || !(x.reply.readUInt16BE(2) & 0x8000)) return { error: 'the reply is not a DNS answer to the query' };
    return { error: null };
  }
  const payload = Buffer.from(String(rc.request['payload'] ?? 'gateway-api-conformance-udp-echo'), 'latin1');
  const repeat = Number(e['repeat'] ?? 1);
  let echo: EchoBody | undefined;
  for (let i = 0; i < repeat; i++) {
    const x = await datagram(t, payload, timeoutMs);
    if (x.error || !x.reply) return { error: x.error ?? 'no reply' };
    if (e['anyReply'] === true) continue;
    let body: { request?: string; namespace?: string; service?: string; pod?: string };
    try {
      body = JSON.parse(x.reply.toString('latin1')) as typeof body;
    } catch {
      return { error: `the reply is not the echo JSON: ${JSON.stringify(x.reply.toString('latin1').slice(0, 80))}` };
    }
    if (body.request !== payload.toString('latin1')) return { error: `the backend got ${JSON.stringify(body.request)}, sent ${JSON.stringify(payload.toString('latin1'))}` };
    if (e.namespace !== undefined && body.namespace !== e.namespace) return { error: `expected namespace ${e.namespace}, got ${body.namespace}` };
    const service = e['service'];
    if (typeof service === 'string' && body.service !== service) return { error: `expected service ${service}, got ${body.service}` };
    const from = e['backendFromPod'];
    if (typeof from === 'string' && backendFromPod(body.pod ?? '') !== from) return { error: `reply from pod ${body.pod}, expected a pod of ${from}` };
    if (e.weights && !(backendFromPod(body.pod ?? '') in e.weights)) return { error: `response from unexpected backend ${backendFromPod(body.pod ?? '')}` };
    echo = { path: '', host: '', method: '', proto: 'UDP', headers: {}, namespace: body.namespace ?? '', ingress: '', service: body.service ?? '', pod: body.pod ?? '', httpPort: '', sni: '' };
  }
  return { error: null, captured: { status: 200, headers: {}, body: '', ...(echo ? { echo } : {}) } };
}
