// Shared by the manifest checks (tests/k8s/*.mjs): reading rendered manifests and reporting.
import { readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { parseAllDocuments } from "yaml";
import { freePort } from "../support/processes.mjs";

// Every object of every OUT_DIR/*.yaml that tests/k8s/render.sh wrote, as
// { variant, index, obj, name } where name = "variant: Kind/name" for messages.
export function loadRendered(dir) {
  const objects = [];
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();
  if (files.length === 0) throw new Error(`no rendered manifests in ${dir}`);
  for (const file of files) {
    const variant = basename(file, ".yaml");
    const docs = parseAllDocuments(readFileSync(join(dir, file), "utf8"));
    docs.forEach((doc, index) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      const obj = doc.toJS();
      if (obj === null) return;
      objects.push({ variant, index, obj, name: `${variant}: ${obj.kind}/${obj.metadata?.name}` });
    });
  }
  return objects;
}

// Collects failures; `finish` prints them and exits 1 if there are any.
export class Report {
  constructor(check) {
    this.check = check;
    this.failures = [];
    this.passed = 0;
  }
  expect(ok, message) {
    if (ok) this.passed++;
    else this.failures.push(message);
    return ok;
  }
  finish() {
    for (const f of this.failures) console.log(`FAIL ${this.check}: ${f}`);
    console.log(`${this.check}: ${this.passed} passed, ${this.failures.length} failed`);
    process.exit(this.failures.length > 0 ? 1 : 0);
  }
}

export function usage(script, args) {
  console.error(`usage: node ${script} ${args}`);
  process.exit(64);
}

// The args of a rendered proposer container, rewritten for a test machine: every *_listen flag
// gets a free loopback port, --membership_file and --redis_password_file name the given files
// (files.membership, files.password), the --tls_* flags are dropped; the rest is kept as is.
export async function localProposerArgs(args, files) {
  const out = [];
  for (const arg of args) {
    const name = /^--([^=]+)/.exec(arg)?.[1] ?? "";
    if (name.startsWith("tls_")) continue;
    if (name.endsWith("listen")) out.push(`--${name}=127.0.0.1:${await freePort()}`);
    else if (name === "membership_file") out.push(`--${name}=${files.membership}`);
    else if (name === "redis_password_file") out.push(`--${name}=${files.password}`);
    else out.push(arg);
  }
  return out;
}
