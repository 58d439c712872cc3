#!/usr/bin/env node
// The waygate executable: runs the compiled CLI (npm install builds it into dist/).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.stack : err); process.exitCode = 2; },
);
