/**
 * Counting a process tree's TCP sockets from /proc, for leak checks: the socket inodes behind
 * /proc/<pid>/fd/* (links `socket:[INODE]`), matched against /proc/net/tcp{,6} rows to find
 * which of them are connections to a given remote port (the upstream). The parsers are pure.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { processTree, readAllPidStats } from './proc-stat.js';

/** One row of /proc/net/tcp or /proc/net/tcp6. */
export interface TcpRow {
  readonly localPort: number;
  readonly remotePort: number;
  /** Kernel state name (ESTABLISHED, TIME_WAIT, CLOSE_WAIT, LISTEN, …). */
  readonly state: string;
  readonly inode: number;
}

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT', '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING',
};

/**
 * Parses /proc/net/tcp (or tcp6): `sl local_address rem_address st … uid timeout inode …`,
 * addresses as `HEXADDR:HEXPORT`. The header line and malformed lines are skipped.
 */
export function parseProcNetTcp(text: string): TcpRow[] {
  const out: TcpRow[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^\d+:$/.test(f[0]!)) continue;
    const port = (addr: string): number => Number.parseInt(addr.slice(addr.lastIndexOf(':') + 1), 16);
    const localPort = port(f[1]!);
    const remotePort = port(f[2]!);
    const inode = Number(f[9]);
    if (![localPort, remotePort, inode].every(Number.isFinite)) continue;
    out.push({ localPort, remotePort, state: TCP_STATES[f[3]!.toUpperCase()] ?? f[3]!, inode });
  }
  return out;
}

/** The inode of an fd link target `socket:[12345]`, or null for anything else. */
export function socketInode(link: string): number | null {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m === null ? null : Number(m[1]);
}

/** Counts by state of the rows whose inode is in `inodes` and whose remote port is `remotePort`. */
export function countConnections(rows: readonly TcpRow[], inodes: ReadonlySet<number>, remotePort: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) {
    if (r.remotePort !== remotePort || !inodes.has(r.inode)) continue;
    out[r.state] = (out[r.state] ?? 0) + 1;
  }
  return out;
}

/** Open fds and socket inodes of the trees rooted at `roots` (processes that vanish are skipped). */
export function treeFds(roots: readonly number[]): { fds: number; sockets: Set<number> } {
  const stats = readAllPidStats();
  const sockets = new Set<number>();
  let fds = 0;
  for (const root of roots) for (const pid of processTree(root, stats)) {
    let names: string[];
    try {
      names = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const n of names) {
      fds++;
      try {
        const ino = socketInode(readlinkSync(`/proc/${pid}/fd/${n}`));
        if (ino !== null) sockets.add(ino);
      } catch {
        // closed in between
      }
    }
  }
  return { fds, sockets };
}

/**
 * The tree's TCP connections to `remotePort` by state (e.g. `{ ESTABLISHED: 3 }`), plus its
 * open fd and socket counts.
 */
export function upstreamSockets(roots: readonly number[], remotePort: number): { byState: Record<string, number>; total: number; fds: number; sockets: number } {
  const { fds, sockets } = treeFds(roots);
  const rows: TcpRow[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      rows.push(...parseProcNetTcp(readFileSync(f, 'latin1')));
    } catch {
      // no IPv6
    }
  }
  const byState = countConnections(rows, sockets, remotePort);
  return { byState, total: Object.values(byState).reduce((a, b) => a + b, 0), fds, sockets: sockets.size };
}
