/**
 * `waygate validate -f DIR [-o yaml|json]`: loads DIR once, reports every problem, and
 * optionally prints the status each object would get.
 */
import { stat } from 'node:fs/promises';
import { formatIssue } from '../../source/file/issues.js';
import { DEFAULT_ADDRESS_POOL } from '../../runtime/addresses.js';
import {
  DEFAULT_CONTROLLER_NAME, EXIT_FAILURE, EXIT_OK, parseFlags, parseOutput, parsePoolFlag, requireDir, type Io,
} from '../args.js';
import { computeOffline, type OfflineResult } from '../offline.js';
import { formatObjects } from '../output.js';

export const VALIDATE_USAGE = `Usage: waygate validate -f DIR [-o yaml|json]

Loads DIR once and prints every load issue (file, document, field path, message) to stderr.
Exits 0 when every document loads, 1 otherwise.

Flags:
  -f, --file DIR               directory of YAML/JSON manifests (required)
  -o, --output yaml|json       print every object we would write status for, with that status
      --controller-name NAME   GatewayClass controllerName (default ${DEFAULT_CONTROLLER_NAME})
      --address-pool POOL      Gateway addresses: a CIDR or a comma list (default ${DEFAULT_ADDRESS_POOL})
`;

const FLAGS = {
  file: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  'controller-name': { type: 'string', default: DEFAULT_CONTROLLER_NAME },
  'address-pool': { type: 'string', default: DEFAULT_ADDRESS_POOL },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Parses the flags shared by validate and `status -f`, and runs the offline pass. */
export async function loadOffline(dir: string, controllerName: string, poolText: string, io: Io): Promise<OfflineResult | null> {
  const pool = parsePoolFlag(poolText);
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) {
    io.err(`error: ${dir} is not a directory\n`);
    return null;
  }
  const result = await computeOffline(dir, { controllerName, addressPool: pool });
  for (const issue of result.issues) io.err(`${issue.severity}: ${formatIssue(issue)}\n`);
  return result;
}

/** True when no issue is an error (warnings do not fail validation). */
export function allLoaded(result: OfflineResult): boolean {
  return !result.issues.some((i) => i.severity === 'error');
}

/** The short summary printed without -o. */
export function summarize(dir: string, result: OfflineResult): string {
  const byKind = new Map<string, number>();
  for (const o of result.objects) byKind.set(o.kind, (byKind.get(o.kind) ?? 0) + 1);
  const kinds = [...byKind.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `  ${k}: ${n}`);
  const errors = result.issues.filter((i) => i.severity === 'error').length;
  const warnings = result.issues.length - errors;
  const lines = [
    `${dir}: ${result.objects.length} object${result.objects.length === 1 ? '' : 's'} loaded`,
    ...kinds,
    `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`,
    `${result.statusObjects.length} object${result.statusObjects.length === 1 ? '' : 's'} with status (see: waygate status -f ${dir})`,
  ];
  return `${lines.join('\n')}\n`;
}

export async function validateCommand(argv: readonly string[], io: Io): Promise<number> {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help) {
    io.out(VALIDATE_USAGE);
    return EXIT_OK;
  }
  const dir = requireDir(flags.file);
  const output = parseOutput(flags.output);
  const result = await loadOffline(dir, flags['controller-name'], flags['address-pool'], io);
  if (!result) return EXIT_FAILURE;
  io.out(output ? formatObjects(result.statusObjects, output) : summarize(dir, result));
  return allLoaded(result) ? EXIT_OK : EXIT_FAILURE;
}
