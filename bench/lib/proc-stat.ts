/**
 * Reading /proc: per-core CPU counters (busy, softirq, steal), per-process CPU time and RSS,
 * summed over a process tree. The parsers are pure (text in, numbers out) so they can be tested
 * without /proc; the readers around them are thin.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** The first eight counters of a `cpuN` line of /proc/stat, in clock ticks. */
export interface CpuCounters {
  readonly user: number;
  readonly nice: number;
  readonly system: number;
  readonly idle: number;
  readonly iowait: number;
  readonly irq: number;
  readonly softirq: number;
  readonly steal: number;
}

/** How one core spent a window, as fractions of the window's ticks (they sum to ~1). */
export interface CpuShare {
  /** user + nice + system + irq + softirq */
  readonly busy: number;
  readonly softirq: number;
  readonly steal: number;
  /** idle + iowait */
  readonly idle: number;
  readonly ticks: number;
}

/** Parses the per-core lines (`cpu0`, `cpu1`, …) of /proc/stat; the aggregate `cpu` line is skipped. */
export function parseProcStat(text: string): Map<string, CpuCounters> {
  const out = new Map<string, CpuCounters>();
  for (const line of text.split('\n')) {
    const m = /^(cpu\d+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    const v = m[2]!.trim().split(/\s+/).map(Number);
    const at = (i: number): number => (Number.isFinite(v[i]) ? v[i]! : 0);
    out.set(m[1]!, {
      user: at(0), nice: at(1), system: at(2), idle: at(3),
      iowait: at(4), irq: at(5), softirq: at(6), steal: at(7),
    });
  }
  return out;
}

/** The share of each core between two /proc/stat snapshots. */
export function cpuShares(before: ReadonlyMap<string, CpuCounters>, after: ReadonlyMap<string, CpuCounters>): Map<string, CpuShare> {
  const out = new Map<string, CpuShare>();
  for (const [cpu, a] of before) {
    const b = after.get(cpu);
    if (b === undefined) continue;
    const d = (k: keyof CpuCounters): number => Math.max(0, b[k] - a[k]);
    const busy = d('user') + d('nice') + d('system') + d('irq') + d('softirq');
    const idle = d('idle') + d('iowait');
    const steal = d('steal');
    const ticks = busy + idle + steal;
    const f = (x: number): number => (ticks === 0 ? 0 : x / ticks);
    out.set(cpu, { busy: f(busy), softirq: f(d('softirq')), steal: f(steal), idle: f(idle), ticks });
  }
  return out;
}

/** Highest steal share over the given cores (all cores when `cpus` is empty). */
export function maxSteal(shares: ReadonlyMap<string, CpuShare>, cpus: readonly string[] = []): number {
  let m = 0;
  for (const [cpu, s] of shares) if (cpus.length === 0 || cpus.includes(cpu)) m = Math.max(m, s.steal);
  return m;
}

/** Fields of /proc/<pid>/stat we use. Times are in clock ticks. */
export interface PidStat {
  readonly pid: number;
  readonly ppid: number;
  readonly utime: number;
  readonly stime: number;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) may contain spaces and parentheses, so
 * fields are counted from the last `)`: after it come state (3), ppid (4), … utime (14), stime (15).
 */
export function parsePidStat(text: string): PidStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const pid = Number.parseInt(text, 10);
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (![pid, ppid, utime, stime].every(Number.isFinite)) return null;
  return { pid, ppid, utime, stime };
}

/** Clock ticks per second (USER_HZ). 100 on every Linux we target; /proc reports in these. */
export const CLOCK_TICKS = 100;

/** Every process currently in /proc, by pid. */
export function readAllPidStats(): Map<number, PidStat> {
  const out = new Map<number, PidStat>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = parsePidStat(readFileSync(`/proc/${name}/stat`, 'latin1'));
      if (s !== null) out.set(s.pid, s);
    } catch {
      // the process exited between readdir and read
    }
  }
  return out;
}

/** `root` and every descendant of it in `stats`. */
export function processTree(root: number, stats: ReadonlyMap<number, PidStat>): number[] {
  const children = new Map<number, number[]>();
  for (const s of stats.values()) {
    const list = children.get(s.ppid);
    if (list === undefined) children.set(s.ppid, [s.pid]);
    else list.push(s.pid);
  }
  const out: number[] = [];
  const stack = [root];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (seen.has(p) || !stats.has(p)) continue;
    seen.add(p);
    out.push(p);
    for (const c of children.get(p) ?? []) stack.push(c);
  }
  return out;
}

/**
 * CPU seconds (utime + stime) of the trees rooted at `roots`, keyed by pid. Keeping per-pid values
 * lets a window's delta ignore processes that exited or appeared in between only partially:
 * see {@link cpuSecondsDelta}.
 */
export function treeCpuTicks(roots: readonly number[]): Map<number, number> {
  const stats = readAllPidStats();
  const out = new Map<number, number>();
  for (const root of roots) for (const pid of processTree(root, stats)) {
    const s = stats.get(pid)!;
    out.set(pid, s.utime + s.stime);
  }
  return out;
}

/** CPU seconds spent between two {@link treeCpuTicks} samples (new processes count from 0). */
export function cpuSecondsDelta(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let ticks = 0;
  for (const [pid, t] of after) ticks += Math.max(0, t - (before.get(pid) ?? 0));
  return ticks / CLOCK_TICKS;
}

/** Parses `VmRSS:` from /proc/<pid>/status, in KiB (0 when absent). */
export function parseRssKiB(statusText: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(statusText);
  return m === null ? 0 : Number(m[1]);
}

/** Resident memory of the trees rooted at `roots`, in MiB. */
export function treeRssMiB(roots: readonly number[]): number {
  const stats = readAllPidStats();
  let kib = 0;
  for (const root of roots) for (const pid of processTree(root, stats)) {
    try {
      kib += parseRssKiB(readFileSync(`/proc/${pid}/status`, 'latin1'));
    } catch {
      // exited
    }
  }
  return kib / 1024;
}

/** Current per-core counters, or an empty map where /proc/stat is unreadable. */
export function readProcStat(): Map<string, CpuCounters> {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'latin1'));
  } catch {
    return new Map();
  }
}
