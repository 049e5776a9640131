// Starts the built proposer with the args of every rendered variant's Deployment and the
// variant's own membership ConfigMap and Redis password, and requires it to reach "listening"
// (every flag value accepted, the membership JSON parsed and validated by the proposer itself),
// then stops it with SIGTERM and requires exit status 0. Rewritten for a test machine: the
// *_listen flags get free loopback ports, the membership and password files are written to a
// temp dir; the --tls_* flags are dropped (their file checks need certificates; they are covered
// by the TLS integration tests). The acceptors' DNS names do not resolve here: the proposer
// starts unready, which is enough.
// Usage: node start.mjs RENDERED_DIR PROPOSER_BINARY   (exit 0 all started, 1 not, 64 usage)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRendered, localProposerArgs, Report, usage } from "./lib.mjs";

if (process.argv.length !== 4) usage("start.mjs", "RENDERED_DIR PROPOSER_BINARY");
const [dir, binary] = process.argv.slice(2);
const START_TIMEOUT_MS = 20000;
const STOP_TIMEOUT_MS = 20000;
const report = new Report("start");

// Runs the proposer until it logs "listening", then SIGTERMs it; resolves to what happened.
function startAndStop(args) {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let listening = false;
    const timer = setTimeout(() => child.kill("SIGKILL"), START_TIMEOUT_MS);
    const onData = (d) => {
      output += d;
      if (!listening && /"listening"/.test(output)) {
        listening = true;
        clearTimeout(timer);
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS).unref();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (e) => resolve({ listening, code: null, output: `${output}${e.message}` }));
    child.on("exit", (code, signal) => resolve({ listening, code, signal, output }));
  });
}

const objects = loadRendered(dir);
const work = mkdtempSync(join(tmpdir(), "gryadka-k8s-start-"));
try {
  for (const variant of [...new Set(objects.map((o) => o.variant))]) {
    const mine = objects.filter((o) => o.variant === variant).map((o) => o.obj);
    const deployment = mine.find((o) => o.kind === "Deployment" && o.metadata.name === "gryadka-proposer");
    const membership = mine.find((o) => o.kind === "ConfigMap" && o.metadata.name === "gryadka-membership");
    const secret = mine.find((o) => o.kind === "Secret" && o.metadata.name.startsWith("gryadka-redis"));
    if (!report.expect(deployment && membership && secret, `${variant}: proposer Deployment, membership ConfigMap and Redis Secret rendered`)) continue;
    const files = { membership: join(work, `${variant}-membership.json`), password: join(work, `${variant}-password`) };
    writeFileSync(files.membership, membership.data["membership.json"] ?? "");
    writeFileSync(files.password, Buffer.from(secret.data?.password ?? "", "base64"));
    const container = deployment.spec.template.spec.containers.find((c) => c.name === "proposer");
    const args = await localProposerArgs(container?.args ?? [], files);
    const run = await startAndStop(args);
    const tail = run.output.trim().split("\n").slice(-3).join("\n    ");
    if (report.expect(run.listening, `${variant}: proposer did not reach "listening" (exit ${run.code ?? run.signal}):\n    ${tail}`)) {
      report.expect(run.code === 0, `${variant}: proposer exit status after SIGTERM is ${run.code ?? run.signal}, not 0:\n    ${tail}`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
report.finish();
