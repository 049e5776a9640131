// Child processes for the Node-based tests (tests/k8s, tests/readme): free loopback ports, and a
// group of started processes that are stopped by their own PIDs — SIGTERM, then SIGKILL after a
// bound — and never by name. Standard library only, so any test directory may import it.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";

// Output kept per process, in characters (the tail: what a failure report shows).
export const OUTPUT_CHARS_MAX = 20000;

// A loopback TCP port that was free a moment ago (another process may take it before use).
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export class ProcessGroup {
  constructor() {
    this.children = new Set();  // started and not yet exited
  }

  // Starts COMMAND ARGS with its output kept in child.output (the last OUTPUT_CHARS_MAX
  // characters) and, when options.logFile is set, written there when it exits. child.exited
  // resolves to the exit code, or the signal name, or null when it could not be started.
  start(command, args, { env = process.env, logFile = null } = {}) {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
    child.output = "";
    const keep = (d) => { child.output = (child.output + d).slice(-OUTPUT_CHARS_MAX); };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.exited = new Promise((resolve) => {
      child.on("error", (e) => { child.output += e.message; this.children.delete(child); resolve(null); });
      child.on("exit", (code, signal) => {
        this.children.delete(child);
        if (logFile) {
          try {
            writeFileSync(logFile, child.output);
          } catch {
            // its directory is already gone (stopped on the way out)
          }
        }
        resolve(code ?? signal);
      });
    });
    this.children.add(child);
    return child;
  }

  // SIGTERM, then SIGKILL after timeoutMs; resolves to the exit status (or signal name).
  async stop(child, timeoutMs) {
    if (!this.children.has(child)) return child.exited;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const status = await child.exited;
    clearTimeout(timer);
    return status;
  }

  // Stops every process still running, one after another.
  async stopAll(timeoutMs) {
    for (const child of [...this.children]) await this.stop(child, timeoutMs);
  }

  // SIGKILLs every process still running (the last resort on the way out).
  killAll() {
    for (const child of this.children) child.kill("SIGKILL");
  }
}
