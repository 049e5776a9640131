'use strict';
// Test support: a real local cluster — 3 redis-server acceptors and N gryadka-proposer processes
// on free loopback ports, each Redis with its own temp dir — stopped by the PIDs it started and
// nothing else. Binaries: $GRYADKA_PROPOSER_BIN (set by ctest; default the repository's
// build/bin/gryadka-proposer) and redis-server from PATH. Start-up waits are bounded
// (READY_TIMEOUT_MS); a process that exits early fails start() with its output's tail.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const READY_TIMEOUT_MS = 15000;
const POLL_INTERVAL_MS = 50;
const STOP_TIMEOUT_MS = 5000;
const LOG_TAIL_BYTES = 2000;

const PROPOSER_BIN = process.env.GRYADKA_PROPOSER_BIN ||
  path.join(__dirname, '..', '..', '..', 'build', 'bin', 'gryadka-proposer');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Sends `line` to 127.0.0.1:port and resolves to the first reply chunk (or rejects).
function ask(port, line) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(1000, () => socket.destroy(new Error('timeout')));
    socket.once('error', reject);
    socket.once('connect', () => socket.write(line));
    socket.once('data', (data) => { socket.destroy(); resolve(data.toString()); });
  });
}

function connects(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('error', () => resolve(false));
    socket.once('connect', () => { socket.destroy(); resolve(true); });
  });
}

class Proc {
  constructor(name, command, args) {
    this.name = name;
    this.output = '';
    this.exited = false;
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d) => { this.output = (this.output + d.toString()).slice(-LOG_TAIL_BYTES); };
    this.child.stdout.on('data', keep);
    this.child.stderr.on('data', keep);
    this.exitPromise = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      this.exited = true;
      resolve({ code, signal });
    }));
    this.child.once('error', (e) => { this.output += `\nspawn ${command}: ${e.message}`; });
  }

  async waitUntil(ready, what) {
    const end = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < end) {
      if (this.exited) throw new Error(`${this.name} exited before ${what}:\n${this.output}`);
      if (await ready().catch(() => false)) return;
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error(`${this.name} not ${what} within ${READY_TIMEOUT_MS} ms:\n${this.output}`);
  }

  /** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; only this process (by its PID). */
  async stop() {
    if (this.exited || this.child.pid === undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => { if (!this.exited) this.child.kill('SIGKILL'); }, STOP_TIMEOUT_MS);
    await this.exitPromise;
    clearTimeout(timer);
  }
}

class Cluster {
  constructor() {
    this.redis = [];      // {port, proc, dir}
    this.proposers = [];  // {port, target, proc}
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gryadka-node-test-'));
  }

  /**
   * Starts 3 acceptors and `proposerCount` proposers (each with `proposerFlags` added, e.g.
   * --tls_*); resolves when all accept connections.
   */
  async start(proposerCount = 2, proposerFlags = []) {
    if (!fs.existsSync(PROPOSER_BIN)) {
      throw new Error(`gryadka-proposer not found at ${PROPOSER_BIN}: build it or set GRYADKA_PROPOSER_BIN`);
    }
    process.once('exit', () => this.killNow());
    for (let i = 0; i < 3; ++i) {
      const port = await freePort();
      const dir = path.join(this.dir, `redis-${i}`);
      fs.mkdirSync(dir);
      const proc = new Proc(`redis-server :${port}`, 'redis-server', ['--port', String(port),
        '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes',
        '--daemonize', 'no']);
      this.redis.push({ port, proc, dir });
      await proc.waitUntil(async () => (await ask(port, 'PING\r\n')).startsWith('+PONG'), 'answering PING');
    }
    const acceptors = this.redis.map((r) => `127.0.0.1:${r.port}`).join(',');
    for (let i = 0; i < proposerCount; ++i) {
      const port = await freePort();
      const proc = new Proc(`gryadka-proposer :${port}`, PROPOSER_BIN, [`--listen=127.0.0.1:${port}`,
        `--acceptors=${acceptors}`, '--acceptor_timeout_ms=300', '--drain_timeout_ms=1000',
        ...proposerFlags]);
      this.proposers.push({ port, target: `127.0.0.1:${port}`, proc });
      await proc.waitUntil(() => connects(port), 'listening');
    }
    return this;
  }

  get targets() { return this.proposers.map((p) => p.target); }

  async stop() {
    await Promise.all([...this.proposers, ...this.redis].map((p) => p.proc.stop()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  // Last resort on process exit (synchronous): SIGKILL our children still running.
  killNow() {
    for (const p of [...this.proposers, ...this.redis]) {
      if (!p.proc.exited && p.proc.child.pid !== undefined) p.proc.child.kill('SIGKILL');
    }
  }

  /** The output tails of every process, for a failed assertion's message. */
  logs() {
    return [...this.redis, ...this.proposers].map((p) => `--- ${p.proc.name}\n${p.proc.output}`).join('\n');
  }
}

module.exports = { Cluster, PROPOSER_BIN };
