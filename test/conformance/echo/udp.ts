/**
 * The echo backend's UDP mode (UDP_ECHO_SERVER), after upstream echo-basic's udpechoserver:
 * on UDP_PORT (default 8080) every datagram is answered with the JSON
 * `{"request": <datagram>, "namespace", "ingress", "service", "pod"}` and logged as
 * `Received UDP <datagram> from <addr>`.
 *
 * With WAYGATE_DNS set the pod stands in for the CoreDNS Deployment of the base manifests
 * (`foo.bar.com` zone with the `whoami` plugin, everything else forwarded to resolvers a test
 * machine may not reach): it answers DNS queries itself — for names under foo.bar.com with the
 * client's address as an A/AAAA record in the additional section (what whoami returns), for
 * other names SERVFAIL (what a failed forward gives).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { EchoPodSpec } from './echo.js';
import type { L4Echo } from './tcp.js';

/** Starts the UDP echo (or the DNS stand-in) of one pod on its IP. */
export async function startUdpEcho(spec: EchoPodSpec, log: (line: string) => void): Promise<L4Echo> {
  const env = spec.env;
  const dns = Boolean(env['WAYGATE_DNS']);
  const port = Number(env['UDP_PORT'] || (dns ? '53' : '8080'));
  const context = { namespace: env['NAMESPACE'] ?? '', ingress: env['INGRESS_NAME'] ?? '', service: env['SERVICE_NAME'] ?? '', pod: env['POD_NAME'] ?? '' };
  const sock = dgram.createSocket(net.isIPv6(spec.ip) ? 'udp6' : 'udp4');
  sock.on('message', (msg, rinfo) => {
    if (dns) {
      const answer = answerDns(msg, rinfo);
      if (answer) sock.send(answer, rinfo.port, rinfo.address);
      return;
    }
    const text = msg.toString('latin1');
    log(`Received UDP ${text} from ${rinfo.address}:${rinfo.port}`);
    sock.send(JSON.stringify({ request: text, ...context }), rinfo.port, rinfo.address);
  });
  sock.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, spec.ip, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  const bound = sock.address().port;
  log(`UDP server listening on :${bound}${dns ? ' (DNS)' : ''}`);
  return { ports: { udp: bound }, close: () => new Promise((r) => sock.close(() => r())) };
}

/**
 * A DNS answer to `query` (RFC 1035 §4.1), or null when it is not a query. Only the first
 * question is answered.
 */
export function answerDns(query: Buffer, client: { address: string; port: number }): Buffer | null {
  if (query.length < 12) return null;
  const flags = query.readUInt16BE(2);
  if (flags & 0x8000) return null; // a response, not a query
  const qdcount = query.readUInt16BE(4);
  if (qdcount < 1) return null;
  // Read the first question: labels, then QTYPE and QCLASS.
  let p = 12;
  const labels: string[] = [];
  while (p < query.length) {
    const len = query[p] as number;
    if (len === 0) break;
    if (len > 63 || p + 1 + len > query.length) return null;
    labels.push(query.subarray(p + 1, p + 1 + len).toString('latin1').toLowerCase());
    p += 1 + len;
  }
  if (p + 5 > query.length) return null;
  const questionEnd = p + 5;
  const question = query.subarray(12, questionEnd);
  const name = labels.join('.');
  const inZone = name === 'foo.bar.com' || name.endsWith('.foo.bar.com');
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // id
  const rd = flags & 0x0100;
  // QR=1, opcode 0, AA when authoritative, RD copied, RA=1, rcode 0 or SERVFAIL (2).
  header.writeUInt16BE(0x8000 | (inZone ? 0x0400 : 0) | rd | 0x0080 | (inZone ? 0 : 2), 2);
  header.writeUInt16BE(1, 4); // qdcount
  header.writeUInt16BE(0, 6); // ancount
  header.writeUInt16BE(0, 8); // nscount
  if (!inZone) {
    header.writeUInt16BE(0, 10);
    return Buffer.concat([header, question]);
  }
  // whoami: the client's address as an A (or AAAA) record in the additional section.
  const v6 = net.isIPv6(client.address);
  const rdata = v6 ? ipv6Bytes(client.address) : Buffer.from(client.address.split('.').map(Number));
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
  rr.writeUInt16BE(v6 ? 28 : 1, 2); // A / AAAA
  rr.writeUInt16BE(1, 4); // IN
  rr.writeUInt32BE(0, 6); // TTL
  rr.writeUInt16BE(rdata.length, 10);
  header.writeUInt16BE(1, 10); // arcount
  return Buffer.concat([header, question, rr, rdata]);
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = address.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.slice(0, 8).forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return out;
}
