/**
 * The echo process: ONE child process hosting every emulated pod of a conformance run.
 *
 * Protocol (newline-delimited JSON on stdin, one command per line):
 *   {"op":"add","pods":[EchoPodSpec,...]}   start pods (idempotent by namespace/name)
 *   {"op":"remove","pods":["ns/name",...]}  stop pods
 * Answers on stdout, one line each:
 *   `#ready ns/name`, `#error ns/name <message>`, `#removed ns/name`
 * Every log line a pod writes (the image's stdout) is printed as `ns/name | <line>`, so the
 * runner can attribute it (mirror checks grep these).
 *
 * Pods may also be given as JSON in argv[2] (same shape as the `add` command's `pods`).
 */
import { createInterface } from 'node:readline';
import { EchoPod, type EchoPodSpec } from './echo.js';

const pods = new Map<string, EchoPod>();

function key(spec: { namespace: string; name: string }): string {
  return `${spec.namespace}/${spec.name}`;
}

function out(line: string): void {
  process.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
}

async function add(specs: EchoPodSpec[]): Promise<void> {
  await Promise.all(
    specs.map(async (spec) => {
      const k = key(spec);
      if (pods.has(k)) {
        out(`#ready ${k}`);
        return;
      }
      try {
        const pod = await EchoPod.start(spec, (line) => out(`${k} | ${line}`));
        pods.set(k, pod);
        out(`#ready ${k}`);
      } catch (err) {
        out(`#error ${k} ${(err as Error).message.replace(/\s+/g, ' ')}`);
      }
    }),
  );
}

async function remove(keys: string[]): Promise<void> {
  await Promise.all(
    keys.map(async (k) => {
      const pod = pods.get(k);
      pods.delete(k);
      if (pod) await pod.close();
      out(`#removed ${k}`);
    }),
  );
}

async function command(line: string): Promise<void> {
  if (line.trim() === '') return;
  let msg: { op?: string; pods?: unknown };
  try {
    msg = JSON.parse(line) as typeof msg;
  } catch {
    out(`#error - bad command ${JSON.stringify(line.slice(0, 80))}`);
    return;
  }
  if (msg.op === 'add' && Array.isArray(msg.pods)) await add(msg.pods as EchoPodSpec[]);
  else if (msg.op === 'remove' && Array.isArray(msg.pods)) await remove(msg.pods as string[]);
  else out(`#error - unknown command ${JSON.stringify(msg.op)}`);
}

process.on('uncaughtException', (err) => out(`#error - uncaught ${String(err).replace(/\s+/g, ' ')}`));

const initial = process.argv[2];
if (initial) await add(JSON.parse(initial) as EchoPodSpec[]);

// Commands run one at a time, in order.
let chain: Promise<void> = Promise.resolve();
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  chain = chain.then(() => command(line));
});
rl.on('close', () => {
  void chain.then(async () => {
    await remove([...pods.keys()]);
    process.exit(0);
  });
});
