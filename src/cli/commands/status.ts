/**
 * `waygate status`: the status of every object, as a table, from a running `waygate serve`
 * (its admin /status) or computed offline from a directory (`-f DIR`).
 */
import { formatHostPort } from '../../admin/address.js';
import { formatIssue } from '../../source/file/issues.js';
import { DEFAULT_ADDRESS_POOL } from '../../runtime/addresses.js';
import type { StatusObject } from '../../runtime/status-objects.js';
import type { RuntimeIssue } from '../../runtime/types.js';
import {
  DEFAULT_ADMIN_ADDRESS, DEFAULT_CONTROLLER_NAME, EXIT_FAILURE, EXIT_OK, parseAddressFlag, parseDurationMs, parseFlags, parseOutput, UsageError, type Io,
} from '../args.js';
import { formatObjects } from '../output.js';
import { renderStatusTable } from '../status-table.js';
import { allLoaded, loadOffline } from './validate.js';

export const STATUS_USAGE = `Usage: waygate status [--admin-address H:P | -f DIR] [-o yaml|json]

Shows Gateways (class, addresses, conditions), their listeners (port, protocol, hostname,
attached routes) and routes per parent. Conditions in a bad state show reason and message.

Flags:
      --admin-address H:P      read /status from a running serve (default ${DEFAULT_ADMIN_ADDRESS})
  -f, --file DIR               compute offline from a directory instead
  -o, --output yaml|json       print the objects instead of the table
      --controller-name NAME   with -f: GatewayClass controllerName (default ${DEFAULT_CONTROLLER_NAME})
      --address-pool POOL      with -f: Gateway addresses (default ${DEFAULT_ADDRESS_POOL})
      --timeout DUR            with --admin-address: give up after this long (default 5s)
`;

const FLAGS = {
  file: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  'admin-address': { type: 'string' },
  'controller-name': { type: 'string', default: DEFAULT_CONTROLLER_NAME },
  'address-pool': { type: 'string', default: DEFAULT_ADDRESS_POOL },
  timeout: { type: 'string', default: '5s' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

interface StatusBody {
  version: number;
  objects: StatusObject[];
  issues: RuntimeIssue[];
  applyErrors: { server: string; address: string; port: number; message: string }[];
  lastError?: string | null;
}

function issueLine(i: RuntimeIssue): string {
  return `${i.severity}: ${formatIssue(i)}`;
}

export async function statusCommand(argv: readonly string[], io: Io): Promise<number> {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help) {
    io.out(STATUS_USAGE);
    return EXIT_OK;
  }
  const output = parseOutput(flags.output);
  if (flags.file !== undefined) {
    if (flags['admin-address'] !== undefined) throw new UsageError('use either -f DIR or --admin-address, not both');
    const result = await loadOffline(flags.file, flags['controller-name'], flags['address-pool'], io);
    if (!result) return EXIT_FAILURE;
    io.out(output ? formatObjects(result.statusObjects, output) : renderStatusTable(result.statusObjects));
    return allLoaded(result) ? EXIT_OK : EXIT_FAILURE;
  }

  const hp = parseAddressFlag(flags['admin-address'] ?? DEFAULT_ADMIN_ADDRESS, '--admin-address');
  const url = `http://${formatHostPort(hp.host, hp.port)}/status`;
  const timeoutMs = parseDurationMs(flags.timeout, '--timeout');
  let body: StatusBody;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = (await res.json()) as StatusBody;
  } catch (err) {
    io.err(`error: cannot read ${url}: ${err instanceof Error ? err.message : String(err)} (is waygate serve running?)\n`);
    return EXIT_FAILURE;
  }
  if (output) {
    io.out(formatObjects(body.objects, output));
    return EXIT_OK;
  }
  let text = `Config version ${body.version}\n\n${renderStatusTable(body.objects)}`;
  if (body.issues.length) text += `\nLoad issues:\n${body.issues.map((i) => `  ${issueLine(i)}`).join('\n')}\n`;
  if (body.applyErrors.length) {
    text += `\nServers not bound:\n${body.applyErrors.map((e) => `  ${e.server} ${e.address}:${e.port}: ${e.message}`).join('\n')}\n`;
  }
  if (body.lastError) text += `\nLast config pass failed (previous config still serving): ${body.lastError}\n`;
  io.out(text);
  return EXIT_OK;
}
