// The README's grpcurl / `buf curl` commands (docs/testing.md, "README commands"), two checks:
//   static  the block's shape (readme.mjs): every grpcurl command has its exact buf curl twin,
//           every buf curl an answer, every KV rpc and the health check are called. No cluster.
//   live    the static check, then a real cluster: 3 redis-server + 2 gryadka-proposer on free
//           loopback ports, in its own temp dir. Each `buf curl` command of the README runs
//           through bash exactly as written, with only the address 127.0.0.1:8080 rewritten to
//           a proposer's; its exit status must be 0 and its answer the README's (JSON: parsed
//           and deep-equal; text: line for line). The block runs twice, once through each
//           proposer: it ends by deleting its keys, so the second run must answer the same.
//           Every process it starts is stopped by PID; its temp dir is removed.
// buf is ./node_modules/.bin/buf (npm package @bufbuild/buf, tests/k8s/npm-ci.sh tests/readme).
// Usage: node check.mjs static README KV_PROTO
//        node check.mjs live README KV_PROTO PROPOSER_BINARY
// Exit 0 all passed, 1 a check failed (each failure is printed), 64 usage. Needs redis-server.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, ProcessGroup } from "../support/processes.mjs";
import { HEALTH_METHOD, loadReadme, README_ADDRESS } from "./readme.mjs";

const READY_TIMEOUT_MS = 20000;   // until a proposer reports SERVING
const COMMAND_TIMEOUT_MS = 10000; // one buf curl command
const STOP_TIMEOUT_MS = 10000;    // SIGTERM, then SIGKILL
const POLL_INTERVAL_MS = 100;
const LOG_TAIL_LINES = 10;
const REDIS_COUNT = 3;
const PROPOSER_COUNT = 2;
const BIN_DIR = join(dirname(fileURLToPath(import.meta.url)), "node_modules", ".bin");

const [mode, readmePath, protoPath, proposerBinary] = process.argv.slice(2);
if (!((mode === "static" && process.argv.length === 5) || (mode === "live" && process.argv.length === 6))) {
  console.error("usage: node check.mjs static README KV_PROTO\n       node check.mjs live README KV_PROTO PROPOSER_BINARY");
  process.exit(64);
}

let failures = 0;
function fail(message) {
  failures++;
  console.log(`FAIL ${message}`);
}

const group = new ProcessGroup();
const start = (command, args) => group.start(command, args);
const stop = (child) => group.stop(child, STOP_TIMEOUT_MS);

function tail(child) {
  return child.output.trim().split("\n").slice(-LOG_TAIL_LINES).join("\n");
}

// Runs a command line as the README shows it, through bash, with buf from BIN_DIR.
function shell(text, env) {
  const r = spawnSync("bash", ["-c", text], { encoding: "utf8", env, timeout: COMMAND_TIMEOUT_MS });
  return { status: r.status, stdout: r.stdout ?? "", stderr: `${r.stderr ?? ""}${r.error?.message ?? ""}` };
}

function parseJson(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

// The answer matches the README's: JSON compared parsed, anything else line for line.
function sameAnswer(expectedLines, actual) {
  const expected = expectedLines.join("\n").trim();
  const want = parseJson(expected);
  if (want.ok) {
    const got = parseJson(actual);
    return got.ok && isDeepStrictEqual(got.value, want.value);
  }
  return actual.trim() === expected;
}

async function untilServing(address, env, proposer) {
  const probe = `buf curl --protocol grpc --http2-prior-knowledge -d '{"service":"gryadka.v1.KV"}' ` +
    `http://${address}/${HEALTH_METHOD}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const r = shell(probe, env);
    if (r.status === 0 && parseJson(r.stdout).value?.status === "SERVING") return true;
    if (!group.children.has(proposer) || Date.now() > deadline) {
      fail(`proposer ${address} did not report SERVING within ${READY_TIMEOUT_MS} ms ` +
        `(last answer: ${r.stdout}${r.stderr}); its log:\n${tail(proposer)}`);
      return false;
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

function runBlock(commands, address, env) {
  for (const c of commands) {
    const text = c.text.replace(README_ADDRESS, address);
    const r = shell(text, env);
    if (r.status !== 0 || !sameAnswer(c.answer, r.stdout)) {
      fail(`README.md:${c.line} through ${address}: exit ${r.status}\n  ${c.text}\n` +
        `README answer:\n${c.answer.join("\n")}\nactual answer:\n${r.stdout}${r.stderr}`);
    }
  }
}

async function live(commands, work) {
  const buf = join(BIN_DIR, "buf");
  if (!existsSync(buf)) {
    fail(`${buf} is missing: run tests/k8s/npm-ci.sh tests/readme (npm package @bufbuild/buf)`);
    return;
  }
  const env = { ...process.env, PATH: `${BIN_DIR}:${process.env.PATH}`, BUF_CACHE_DIR: join(work, "buf-cache") };
  const redisPorts = [];
  for (let i = 0; i < REDIS_COUNT; i++) {
    const port = await freePort();
    const dir = join(work, `redis-${port}`);
    mkdirSync(dir);
    redisPorts.push(port);
    start("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
      "--appendonly", "yes", "--appendfsync", "always"]);
  }
  const acceptors = redisPorts.map((p) => `127.0.0.1:${p}`).join(",");
  const proposers = [];
  for (let i = 0; i < PROPOSER_COUNT; i++) {
    const address = `127.0.0.1:${await freePort()}`;
    const child = start(proposerBinary, [`--listen=${address}`, `--acceptors=${acceptors}`]);
    proposers.push({ address, child });
  }
  for (const p of proposers) {
    if (!(await untilServing(p.address, env, p.child))) return;
  }
  console.log(`cluster up: redis ${redisPorts.join(",")}, proposers ${proposers.map((p) => p.address).join(",")}`);
  for (const p of proposers) {
    runBlock(commands, p.address, env);
    console.log(`ran ${commands.length} buf curl commands through ${p.address}`);
  }
  for (const p of proposers) {
    const status = await stop(p.child);
    if (status !== 0) fail(`proposer ${p.address} exit status after SIGTERM is ${status}, not 0:\n${tail(p.child)}`);
  }
}

const { commands, errors } = loadReadme(readmePath, protoPath);
errors.forEach(fail);
console.log(`README.md: ${commands.length} buf curl commands, each with its grpcurl twin and answer`);
if (mode === "live" && errors.length === 0) {
  const work = mkdtempSync(join(tmpdir(), "gryadka-readme-"));
  try {
    await live(commands, work);
  } finally {
    await group.stopAll(STOP_TIMEOUT_MS);
    rmSync(work, { recursive: true, force: true });
  }
}
console.log(failures === 0 ? "PASS" : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
