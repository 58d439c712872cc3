#!/usr/bin/env -S node --no-memory-reducer
// The waygate executable: runs the compiled CLI (npm install builds it into dist/). The shebang
// gives node the data plane V8 flags (src/runtime/v8-flags.ts); `node bin/waygate.js` runs without them.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.stack : err); process.exitCode = 2; },
);
