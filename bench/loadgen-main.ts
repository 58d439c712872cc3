/**
 * Entry of the load generator child process: `node --import tsx bench/loadgen-main.ts '<json>'`
 * with the JSON of LoadOptions; prints the LoadResult as one JSON line on stdout.
 */
import { runLoad, type LoadOptions } from './lib/loadgen.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const result = await runLoad(opts);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
