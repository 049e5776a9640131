'use strict';
// `npm pack` / `npm publish` hook (package.json "prepack"): copies the repository's proto/*.proto
// into the package's proto/ so a packed package is self-contained. In a checkout the package
// reads ../../proto directly (lib/proto.js), so nothing needs copying for tests; the "postpack"
// hook runs this with --clean to remove the copy again, so a checkout never reads a stale one.
const fs = require('node:fs');
const path = require('node:path');

const source = path.join(__dirname, '..', '..', '..', 'proto');
const target = path.join(__dirname, '..', 'proto');
const FILES = ['gryadka/v1/kv.proto'];

if (process.argv.includes('--clean')) {
  fs.rmSync(target, { recursive: true, force: true });
  process.exit(0);
}
for (const file of FILES) {
  const from = path.join(source, file);
  if (!fs.existsSync(from)) {
    console.error(`copy-proto: ${from} not found; run npm pack inside the repository's client/node`);
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
  fs.copyFileSync(from, path.join(target, file));
  console.error(`copy-proto: ${file}`);
}
