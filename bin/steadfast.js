#!/usr/bin/env node
// `steadfast <command>`: the CLI as an installed command (package.json "bin"). It runs the compiled JavaScript when
// there is a build (`npm run build`, as in the Docker image), else the TypeScript through tsx, as `npm run cli` does.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const built = join(__dirname, '..', 'dist', 'scripts', 'cli.js');
if (existsSync(built)) {
  require(built);
} else {
  require('tsx/cjs');
  require('../scripts/cli.ts');
}
