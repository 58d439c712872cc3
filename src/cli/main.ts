/**
 * The waygate command line: `waygate serve | validate | status | controller | proxy`.
 *
 * `main(argv)` resolves with the process exit code (0 ok, 1 failure, 2 usage); bin/waygate.js
 * calls it, and running this file directly (`node --import tsx src/cli/main.ts …`) does too.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_OK, EXIT_USAGE, processIo, UsageError, type Io } from './args.js';

export const USAGE = `Usage: waygate <command> [flags]

Commands:
  serve       run waygate on a directory of Gateway API YAML (hot reload, admin endpoint)
  validate    load a directory once and report problems; -o prints the statuses
  status      show Gateways, listeners and routes with their conditions
  controller  run in Kubernetes: watch the API server, write status, provision proxies
  proxy       run the data plane of one Gateway, fed by the controller

Run 'waygate <command> --help' for a command's flags.
`;

// Commands are imported on use, so `validate` does not load the data plane.
const COMMANDS: Readonly<Record<string, (argv: readonly string[], io: Io) => Promise<number>>> = {
  serve: async (argv, io) => (await import('./commands/serve.js')).serveCommand(argv, io),
  validate: async (argv, io) => (await import('./commands/validate.js')).validateCommand(argv, io),
  status: async (argv, io) => (await import('./commands/status.js')).statusCommand(argv, io),
  controller: async (argv, io) => (await import('./commands/controller.js')).controllerCommand(argv, io),
  proxy: async (argv, io) => (await import('./commands/proxy.js')).proxyCommand(argv, io),
};

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    (command === undefined ? io.err : io.out)(USAGE);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const run = COMMANDS[command];
  if (!run) {
    io.err(`waygate: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  try {
    return await run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`waygate ${command}: ${err.message}\nRun 'waygate ${command} --help' for usage.\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack : err);
      process.exitCode = 2;
    },
  );
}
