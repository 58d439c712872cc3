/**
 * Installs the reference proxies and load tools from Debian's packages when they are missing:
 * nginx, haproxy, wrk, and h2load (package nghttp2-client). `apt-get update` runs once, then
 * `apt-get install -y`. Without apt (or without root) it reports what is missing and the run
 * goes on with what there is; targets that need a missing tool are skipped with a clear note.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';

/** Tool binary → Debian package. */
export const TOOLS: Readonly<Record<string, string>> = {
  nginx: 'nginx',
  haproxy: 'haproxy',
  wrk: 'wrk',
  h2load: 'nghttp2-client',
};

export interface ToolStatus {
  /** Tool name → absolute path (null when missing). */
  readonly paths: Readonly<Record<string, string | null>>;
  readonly versions: Readonly<Record<string, string>>;
  /** What the installer did or why it could not. */
  readonly notes: readonly string[];
  readonly installSeconds: number;
}

/** Absolute path of a command, looking in PATH plus the sbin directories. */
export function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin:/usr/local/sbin` },
  });
  const p = r.stdout.trim();
  return r.status === 0 && p !== '' ? p : null;
}

function findAll(): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const t of Object.keys(TOOLS)) out[t] = which(t);
  return out;
}

/** Makes sure the tools are there, installing missing ones unless `install` is false. */
export function ensureTools(install: boolean, log: (msg: string) => void): ToolStatus {
  const t0 = Date.now();
  const notes: string[] = [];
  let paths = findAll();
  const missing = Object.keys(TOOLS).filter((t) => paths[t] === null);
  if (missing.length > 0 && !install) notes.push(`missing (install disabled): ${missing.join(', ')}`);
  if (missing.length > 0 && install) {
    const apt = which('apt-get');
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    if (apt === null) notes.push(`apt-get not available; missing: ${missing.join(', ')}`);
    else if (!root) notes.push(`not root, cannot apt-get install; missing: ${missing.join(', ')}`);
    else {
      const pkgs = [...new Set(missing.map((t) => TOOLS[t]!))];
      log(`installing ${pkgs.join(' ')} with apt-get (once)…`);
      // Debian's maintainer scripts would start nginx/haproxy on ports 80/8404; a policy-rc.d
      // answering 101 ("action forbidden") keeps them from starting. Only added if absent.
      const policy = '/usr/sbin/policy-rc.d';
      const addedPolicy = !existsSync(policy);
      try {
        if (addedPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
        const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
        const upd = spawnSync('apt-get', ['update'], { env, encoding: 'utf8', timeout: 300_000 });
        if (upd.status !== 0) notes.push(`apt-get update failed: ${(upd.stderr || '').trim().split('\n').slice(-2).join(' ')}`);
        const ins = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { env, encoding: 'utf8', timeout: 600_000 });
        if (ins.status !== 0) notes.push(`apt-get install failed: ${(ins.stderr || '').trim().split('\n').slice(-2).join(' ')}`);
        else notes.push(`installed ${pkgs.join(', ')}`);
      } finally {
        if (addedPolicy) try { unlinkSync(policy); } catch { /* leave it */ }
      }
      paths = findAll();
      const still = Object.keys(TOOLS).filter((t) => paths[t] === null);
      if (still.length > 0) notes.push(`still missing: ${still.join(', ')}`);
    }
  }
  return { paths, versions: versions(paths), notes, installSeconds: (Date.now() - t0) / 1000 };
}

function versions(paths: Record<string, string | null>): Record<string, string> {
  const out: Record<string, string> = {};
  const probe = (tool: string, args: string[], re: RegExp): void => {
    const p = paths[tool];
    if (p == null) return;
    try {
      const r = spawnSync(p, args, { encoding: 'utf8', timeout: 5000 });
      const m = re.exec(`${r.stdout}\n${r.stderr}`);
      if (m !== null) out[tool] = m[1]!;
    } catch {
      // unknown version
    }
  };
  probe('nginx', ['-v'], /nginx\/(\S+)/);
  probe('haproxy', ['-v'], /version (\S+)/);
  probe('wrk', ['-v'], /wrk (\S+)/);
  probe('h2load', ['--version'], /nghttp2\/(\S+)/);
  try {
    out['kernel'] = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  } catch {
    // ignore
  }
  out['node'] = process.version;
  return out;
}
