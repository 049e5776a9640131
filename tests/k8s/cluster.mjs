// Runs the acceptors and a proposer of each overlay (dev, production) as the manifests configure
// them, on loopback: the Redis init container's script (ConfigMap gryadka-redis-config,
// redis-acl.sh) writes the ACL users from the variant's Secret; redis-server starts with the
// rendered redis.conf and the container's own arguments; the proposer starts with the
// Deployment's args and the membership ConfigMap. Then, as a client would:
//   - the proposer becomes ready on its health port (what the kubelet's readiness probe asks);
//   - gryadkactl put/get through it work (the ACL user "gryadka" suffices for the proposer);
//   - Redis refuses the "default" user, and refuses "gryadka" outside its commands and prefix;
//   - the init script refuses to start an acceptor listed in gryadka-redis-control (the lost-
//     volume runbook of docs/kubernetes.md);
//   - SIGTERM drains the proposer with exit status 0.
// Rewritten for a test machine, and nothing else: port, bind address, data dir and include path
// of redis.conf; acceptor DNS names -> 127.0.0.1:PORT in the membership; the *_listen flags; the
// --tls_* flags are dropped (TLS is tested by tests/integration/tls_integration_test.cc).
// Every process it starts is stopped by PID; its temp dir is removed.
// Usage: node cluster.mjs RENDERED_DIR PROPOSER_BINARY GRYADKACTL_BINARY
// Exit 0 all passed, 1 a check failed, 64 usage. Needs redis-server and redis-cli on PATH.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, ProcessGroup } from "../support/processes.mjs";
import { loadRendered, localProposerArgs, Report, usage } from "./lib.mjs";

if (process.argv.length !== 5) usage("cluster.mjs", "RENDERED_DIR PROPOSER_BINARY GRYADKACTL_BINARY");
const [dir, proposerBinary, ctlBinary] = process.argv.slice(2);
const READY_TIMEOUT_MS = 20000;
const STOP_TIMEOUT_MS = 15000;
const CTL_TIMEOUT_MS = 10000;
const VARIANTS = ["dev", "production"];
const report = new Report("cluster");
const group = new ProcessGroup();  // every process started, stopped by PID on the way out
const start = (command, args, logFile, env = process.env) => group.start(command, args, { env, logFile });
const stop = (child) => group.stop(child, STOP_TIMEOUT_MS);

function run(command, args, env = process.env) {
  const r = spawnSync(command, args, { encoding: "utf8", env, timeout: CTL_TIMEOUT_MS });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error?.message ?? ""}`.trim() };
}

async function until(what, ok) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (ok()) return true;
    if (Date.now() > deadline) return report.expect(false, `${what} within ${READY_TIMEOUT_MS} ms`);
    await sleep(100);
  }
}

// `line` must be a line of `text`; returns text with it replaced by `by`.
function replaceLine(variant, text, line, by) {
  const lines = text.split("\n");
  const i = lines.indexOf(line);
  report.expect(i >= 0, `${variant}: redis.conf has the line "${line}" this test rewrites`);
  if (i >= 0) lines[i] = by;
  return lines.join("\n");
}

async function checkVariant(variant, objects, work) {
  const find = (kind, prefix) => objects.find((o) => o.kind === kind && o.metadata.name.startsWith(prefix));
  const config = find("ConfigMap", "gryadka-redis-config");
  const secret = find("Secret", "gryadka-redis");
  const membership = find("ConfigMap", "gryadka-membership");
  const statefulset = find("StatefulSet", "gryadka-redis");
  const deployment = find("Deployment", "gryadka-proposer");
  const control = find("ConfigMap", "gryadka-redis-control");
  if (!report.expect(config && secret && membership && statefulset && deployment && control,
    `${variant}: Redis config and control, Secret, membership, StatefulSet, proposer Deployment rendered`)) return;

  const secretDir = join(work, "secret");
  const controlDir = join(work, "control");
  mkdirSync(secretDir);
  mkdirSync(controlDir);
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    writeFileSync(join(secretDir, key), Buffer.from(value, "base64"));
  }
  const script = join(work, "redis-acl.sh");
  writeFileSync(script, config.data["redis-acl.sh"]);
  const rawPassword = Buffer.from(secret.data?.password ?? "", "base64").toString();
  const password = rawPassword.replace(/\r?\n$/, "");  // as the proposer reads its file
  const redisContainer = statefulset.spec.template.spec.containers.find((c) => c.name === "redis");
  const redisExtraArgs = [...(redisContainer.command ?? []), ...(redisContainer.args ?? [])].slice(2);
  const replicas = statefulset.spec.replicas;

  // The lost-volume runbook: a listed pod must not start.
  writeFileSync(join(controlDir, "disabled"), "gryadka-redis-1\n");
  const refused = run("/bin/sh", [script], { ...process.env, SECRET_DIR: secretDir, CONTROL_DIR: controlDir,
    OUT: join(work, "refused.conf"), POD_NAME: "gryadka-redis-1" });
  report.expect(refused.status === 1 && /not starting/.test(refused.out),
    `${variant}: redis-acl.sh starts gryadka-redis-1 although gryadka-redis-control lists it (exit ${refused.status}: ${refused.out})`);
  writeFileSync(join(controlDir, "disabled"), control.data?.disabled ?? "");

  const ports = [];
  const redis = [];
  for (let i = 0; i < replicas; i++) {
    const pod = `gryadka-redis-${i}`;
    const aclFile = join(work, `${pod}-users.conf`);
    const acl = run("/bin/sh", [script], { ...process.env, SECRET_DIR: secretDir, CONTROL_DIR: controlDir,
      OUT: aclFile, POD_NAME: pod });
    if (!report.expect(acl.status === 0, `${variant}: redis-acl.sh for ${pod} exits ${acl.status}: ${acl.out}`)) return;
    const port = await freePort();
    const data = join(work, `${pod}-data`);
    mkdirSync(data);
    let conf = config.data["redis.conf"];
    conf = replaceLine(variant, conf, "port 6379", `port ${port}`);
    conf = replaceLine(variant, conf, "bind * -::*", "bind 127.0.0.1");
    conf = replaceLine(variant, conf, "dir /data", `dir ${data}`);
    conf = replaceLine(variant, conf, "include /run/gryadka-redis/users.conf", `include ${aclFile}`);
    const confFile = join(work, `${pod}.conf`);
    writeFileSync(confFile, conf);
    ports.push(port);
    redis.push(start("redis-server", [confFile, ...redisExtraArgs], join(work, `${pod}.log`)));
  }
  const cli = (port, user, ...args) => run("redis-cli", ["-p", String(port), "--no-auth-warning",
    ...(user ? ["--user", user] : []), ...args], { ...process.env, REDISCLI_AUTH: user ? password : "" });
  // The container's probes as the kubelet runs them (REDISCLI_AUTH is the Secret's raw value),
  // pointed at this acceptor's port.
  const probes = {};
  for (const kind of ["readinessProbe", "livenessProbe"]) {
    probes[kind] = redisContainer[kind]?.exec?.command ?? [];
    if (!report.expect(probes[kind].length > 0, `${variant}: the Redis container has an exec ${kind}`)) return;
  }
  const probe = (kind, port) => {
    const command = [...probes[kind]];
    command[command.length - 1] = command[command.length - 1].replaceAll("redis-cli", `redis-cli -p ${port}`);
    return run(command[0], command.slice(1), { ...process.env, REDISCLI_AUTH: rawPassword }).status === 0;
  };
  for (const [i, port] of ports.entries()) {
    if (!(await until(`${variant}: the readiness probe of the Redis on port ${port} passes`,
      () => probe("readinessProbe", port)))) {
      console.log(`Redis log:\n${redis[i].output.trim().split("\n").slice(-5).join("\n")}`);
      return;
    }
    report.expect(probe("livenessProbe", port), `${variant}: the liveness probe of the Redis on port ${port} passes`);
  }
  const defaultUser = cli(ports[0], null, "GET", "gryadka:x");
  report.expect(/NOAUTH/.test(defaultUser.out), `${variant}: the default user is refused (got "${defaultUser.out}")`);
  for (const cmd of [["SET", "other:x", "1"], ["SET", "gryadka:x", "1"], ["FLUSHALL"], ["CONFIG", "GET", "dir"]]) {
    const r = cli(ports[0], "gryadka", ...cmd);
    report.expect(/NOPERM/.test(r.out), `${variant}: user gryadka may run ${cmd.join(" ")} (got "${r.out}")`);
  }

  // The proposer, with the membership rewritten to the loopback acceptors.
  const named = [];
  const json = membership.data["membership.json"].replace(/"gryadka-redis-(\d+)\.[^"]*:6379"/g,
    (_, i) => { named.push(Number(i)); return `"127.0.0.1:${ports[Number(i)]}"`; });
  report.expect(named.length > 0 && named.every((i) => i < replicas),
    `${variant}: the membership names acceptors ${named.join(",")} of the StatefulSet's ${replicas}`);
  const files = { membership: join(work, "membership.json"), password: join(work, "password") };
  writeFileSync(files.membership, json);
  writeFileSync(files.password, Buffer.from(secret.data.password, "base64"));
  const container = deployment.spec.template.spec.containers.find((c) => c.name === "proposer");
  const args = await localProposerArgs(container.args ?? [], files);
  const target = args.find((a) => a.startsWith("--listen="))?.slice("--listen=".length);
  const health = args.find((a) => a.startsWith("--health_listen="))?.slice("--health_listen=".length);
  if (!report.expect(target && health, `${variant}: the proposer has --listen and --health_listen`)) return;
  const proposer = start(proposerBinary, args, join(work, "proposer.log"));
  const ctl = (...a) => run(ctlBinary, [`--target=${target}`, ...a]);
  if (await until(`${variant}: the proposer's health port reports SERVING`,
    () => run(ctlBinary, [`--target=${health}`, "health"]).status === 0)) {
    const put = ctl("put", "k8s-check", "value-1");
    report.expect(put.status === 0, `${variant}: gryadkactl put exits ${put.status}: ${put.out}`);
    const get = ctl("get", "k8s-check");
    report.expect(get.status === 0 && /value-1/.test(get.out), `${variant}: gryadkactl get: ${get.out}`);
  } else {
    console.log(proposer.output.trim().split("\n").slice(-5).join("\n"));
  }
  const status = await stop(proposer);
  report.expect(status === 0, `${variant}: proposer exit status after SIGTERM is ${status}, not 0`);
  for (const r of redis) await stop(r);
}

const all = loadRendered(dir);
const work = mkdtempSync(join(tmpdir(), "gryadka-k8s-cluster-"));
try {
  for (const variant of VARIANTS) {
    const objects = all.filter((o) => o.variant === variant).map((o) => o.obj);
    if (!report.expect(objects.length > 0, `${variant}: rendered`)) continue;
    const variantDir = join(work, variant);
    mkdirSync(variantDir);
    await checkVariant(variant, objects, variantDir);
    await group.stopAll(STOP_TIMEOUT_MS);
  }
} finally {
  group.killAll();
  rmSync(work, { recursive: true, force: true });
}
report.finish();
