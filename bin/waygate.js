#!/bin/sh
':' //; exec node --no-memory-reducer --v8-pool-size=1 "$0" "$@"
// The waygate executable: runs the compiled CLI (npm install builds it into dist/).
// Run directly, it is a shell script for one line: sh execs node with the data plane's V8 flags
// (src/runtime/v8-flags.ts), which only work on the node command line; node then reads the
// second line as a string and a comment. `#!/usr/bin/env -S node …` would do the same where env
// has -S, which BusyBox's does not. `node bin/waygate.js` runs without the flags.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.stack : err); process.exitCode = 2; },
);
