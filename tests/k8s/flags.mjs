// Every flag in the proposer's args, in every rendered variant, is one the built binary
// accepts: compared with the flag list of `gryadka-proposer --helpfull`.
// Usage: node flags.mjs RENDERED_DIR PROPOSER_BINARY   (exit 0 all known, 1 unknown, 64 usage)
import { spawnSync } from "node:child_process";
import { loadRendered, Report, usage } from "./lib.mjs";

if (process.argv.length !== 4) usage("flags.mjs", "RENDERED_DIR PROPOSER_BINARY");
const binary = process.argv[3];
const report = new Report("flags");

// absl prints each flag as "    --name (help); default: ...;" and exits 1 after --helpfull.
const help = spawnSync(binary, ["--helpfull"], { encoding: "utf8", timeout: 10000 });
const known = new Set([...`${help.stdout}${help.stderr}`.matchAll(/^\s+--([A-Za-z0-9_]+) \(/gm)]
  .map((m) => m[1]));
if (!report.expect(known.has("listen") && known.has("membership_file"),
  `${binary} --helpfull listed no proposer flags (${help.error?.message ?? `exit ${help.status}`})`)) {
  report.finish();
}

for (const { obj, name } of loadRendered(process.argv[2])) {
  if (obj.kind !== "Deployment" || obj.metadata.name !== "gryadka-proposer") continue;
  for (const c of obj.spec.template.spec.containers) {
    for (const arg of [...(c.command ?? []), ...(c.args ?? [])]) {
      const m = /^--(?:no)?([A-Za-z0-9_]+)(?:=|$)/.exec(arg);
      if (!report.expect(m, `${name} ${c.name}: "${arg}" is not --flag or --flag=value`)) continue;
      const flag = known.has(m[1]) ? m[1] : arg.slice(2).split("=")[0];
      report.expect(known.has(flag), `${name} ${c.name}: ${binary} does not accept --${flag}`);
    }
  }
}
report.finish();
