#!/usr/bin/env node
// Entry point of the `inferscope` command: runs the bundled CLI (built by `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../out/node/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('inferscope: INTERNAL: the command is not built yet. Run `npm run build` (npm install does it for you).');
  process.exit(1);
}
await import(cli.href);
