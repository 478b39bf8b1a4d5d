#!/usr/bin/env node
'use strict';
// `cmk` (package.json "bin"): runs the built CLI in dist/, so a call costs no build. `npm run build`
// (or `npm start` / `npm test`, which build) once after changing the sources.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const entry = join(root, 'dist', 'tools', 'cli', 'src', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(`cmk: the CLI is not built yet: run \`npm run build\` in ${root}\n`);
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
