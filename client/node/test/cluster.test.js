'use strict';
// The Node.js client against a real local cluster (3 redis-server acceptors, 2 proposers; see
// test/cluster.js): every wrapper call, declines as results, the raw stub's field check, gRPC
// reflection, key affinity over two proposers and UNAVAILABLE without an acceptor quorum.
// The tests run in order and the last two stop processes, so they come last.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const { Client, GryadkaError, createRawStub, status } = require('..');
const { Cluster } = require('./cluster');

const READY_TIMEOUT_MS = 15000;
const HEALTH_CHANGE_TIMEOUT_MS = 10000;
// The grpc-proto directory CMake found (client/node/CMakeLists.txt passes it to the test).
const GRPC_PROTO_DIR = process.env.GRYADKA_GRPC_PROTO_DIR;
if (!GRPC_PROTO_DIR) {
  throw new Error('GRYADKA_GRPC_PROTO_DIR is not set: run this test through ctest, or set it to ' +
                  'the directory holding grpc/reflection/v1alpha/reflection.proto');
}

let cluster;
let client;
let keyCounter = 0;
const freshKey = (what) => `node-test:${what}:${process.pid}:${++keyCounter}`;

test.before(async () => {
  cluster = await new Cluster().start(2);
  client = new Client({ targets: cluster.targets });
  const end = Date.now() + READY_TIMEOUT_MS;
  for (;;) {  // the proposers serve once their first acceptor health check is done
    try { await client.get('node-test:ready', { deadlineMs: 1000 }); break; } catch (e) {
      if (Date.now() > end) throw new Error(`cluster not ready: ${e.message}\n${cluster.logs()}`);
    }
  }
});

test.after(async () => {
  if (client) client.close();
  if (cluster) await cluster.stop();
});

test('put then get returns the value with version 1, and a missing key is not found', async () => {
  const key = freshKey('put');
  const put = await client.put(key, 'hello');
  assert.equal(put.applied, true);
  assert.equal(put.record.version, 1n);
  assert.deepEqual(await client.get(key), { found: true, record: { value: Buffer.from('hello'), version: 1n } });
  const missing = await client.get(freshKey('missing'));
  assert.equal(missing.found, false);
  assert.equal(missing.record.version, 0n);
});

test('compareAndSet applies at the current version and declines a conflicting stale one', async () => {
  const key = freshKey('cas');
  const v1 = (await client.put(key, 'a')).record.version;
  const first = await client.compareAndSet(key, v1, 'b');
  assert.equal(first.applied, true);
  assert.equal(first.record.version, v1 + 1n);
  const conflict = await client.compareAndSet(key, v1, 'c');  // someone else already moved it
  assert.equal(conflict.applied, false);
  assert.deepEqual(conflict.record, { value: Buffer.from('b'), version: v1 + 1n });
  assert.equal(conflict.declineReason, `version is ${v1 + 1n}, expected ${v1}`);
  assert.equal(first.declineReason, '');
  assert.equal((await client.get(key)).record.value.toString(), 'b');
});

test('increment adds deltas as int64 and declines on a non-integer value', async () => {
  const key = freshKey('incr');
  assert.equal((await client.increment(key, 5)).value, 5n);
  const r = await client.increment(key, -7n);
  assert.equal(r.applied, true);
  assert.equal(r.value, -2n);
  assert.equal(r.record.value.toString(), '-2');
  const text = freshKey('incr-text');
  await client.put(text, 'not a number');
  const declined = await client.increment(text, 1);
  assert.equal(declined.applied, false);
  assert.equal(declined.record.value.toString(), 'not a number');
  assert.equal(declined.declineReason, 'value is not a decimal int64');
});

test('putIfAbsent applies on an absent key and declines on a present one', async () => {
  const key = freshKey('pia');
  assert.equal((await client.putIfAbsent(key, 'first')).applied, true);
  const second = await client.putIfAbsent(key, 'second');
  assert.equal(second.applied, false);
  assert.match(second.declineReason, /./, 'ChangeQuery carries a decline reason');
  assert.equal((await client.get(key)).record.value.toString(), 'first');
});

test('append and changeQuery with a version query answer the new state', async () => {
  const key = freshKey('append');
  await client.append(key, 'ab');
  const r = await client.append(key, Buffer.from('cd'));
  assert.deepEqual(r.record, { value: Buffer.from('abcd'), version: 2n });
  const v = await client.changeQuery(key, 'read', 'version');
  assert.deepEqual(v, { applied: true, declineReason: '', version: 2n });
});

test('delete with a stale expected version declines through the wrapper and keeps the key', async () => {
  const key = freshKey('del');
  await client.put(key, 'x');
  const current = (await client.put(key, 'y')).record.version;
  const stale = await client.delete(key, { expectedVersion: current - 1n });
  assert.equal(stale.applied, false, 'a stale expected version must not delete');
  assert.equal(stale.declineReason, `version is ${current}, expected ${current - 1n}`);
  assert.deepEqual(stale.record, { value: Buffer.from('y'), version: current });
  assert.equal((await client.get(key)).found, true);
  const done = await client.delete(key, { expectedVersion: current });
  assert.equal(done.applied, true);
  assert.equal(done.record.version, 0n);
  assert.equal((await client.get(key)).found, false);
});

test('delete with a stale expected_version declines through the raw stub; camelCase is refused', async () => {
  const key = freshKey('rawdel');
  const current = (await client.put(key, 'x')).record.version;
  const stub = createRawStub(cluster.targets[0]);
  try {
    assert.throws(() => stub.Delete({ key, expectedVersion: '99' }, () => {}),
      /no field "expectedVersion"/);
    const call = (request) => new Promise((resolve, reject) =>
      stub.Delete(request, { deadline: Date.now() + 5000 }, (e, r) => (e ? reject(e) : resolve(r))));
    const stale = await call({ key, expected_version: String(current + 98n) });
    assert.equal(stale.applied, false);
    assert.equal(stale.record.version, String(current), 'uint64 arrives as a decimal string');
    assert.equal((await client.get(key)).found, true, 'the stale raw delete left the key');
  } finally {
    stub.close();
  }
});

test('bad arguments are INVALID_ARGUMENT errors before anything is sent', async () => {
  await assert.rejects(client.put('', 'v'), (e) => e instanceof GryadkaError && e.code === status.INVALID_ARGUMENT);
  await assert.rejects(client.compareAndSet('k', -1n, 'v'), /expectedVersion is -1/);
  await assert.rejects(client.increment('k', 2n ** 63n), /delta is/);
  await assert.rejects(client.put('k', 42), /value must be a Buffer/);
  await assert.rejects(client.changeQuery('k', { put: 'a', append: 'b' }), /exactly one op/);
});

test('reflection lists gryadka.v1.KV and grpc.health.v1.Health', async () => {
  const definition = protoLoader.loadSync('grpc/reflection/v1alpha/reflection.proto',
    { keepCase: true, includeDirs: [GRPC_PROTO_DIR] });
  const Reflection = grpc.loadPackageDefinition(definition).grpc.reflection.v1alpha.ServerReflection;
  const stub = new Reflection(cluster.targets[0], grpc.credentials.createInsecure());
  try {
    const services = await new Promise((resolve, reject) => {
      const call = stub.ServerReflectionInfo({ deadline: Date.now() + 5000 });
      call.on('data', (r) => {
        if (r.list_services_response) resolve(r.list_services_response.service.map((s) => s.name));
        else reject(new Error(`unexpected reflection answer ${JSON.stringify(r)}`));
        call.end();
      });
      call.on('error', reject);
      call.write({ list_services: '' });
    });
    assert.ok(services.includes('gryadka.v1.KV'), services.join(','));
    assert.ok(services.includes('grpc.health.v1.Health'), services.join(','));
  } finally {
    stub.close();
  }
});

test('examples/quickstart.mjs runs against the cluster and prints each step', async () => {
  const { execFile } = require('node:child_process');
  const example = path.join(__dirname, '..', 'examples', 'quickstart.mjs');
  const { stdout } = await new Promise((resolve, reject) => execFile(process.execPath,
    [example, ...cluster.targets], { timeout: 20000 }, (e, out, err) =>
      (e ? reject(new Error(`${e.message}\n${err}`)) : resolve({ stdout: out }))));
  assert.match(stdout, /^put +hello version \d+$/m);
  assert.match(stdout, /^cas +true \| with the stale version: false/m);
  assert.match(stdout, /^delete +true version now 0$/m);
});

test('health reports SERVING for "", gryadka.v1.KV and its liveness on every proposer', async () => {
  for (const service of ['', 'gryadka.v1.KV', 'gryadka.v1.KV.liveness']) {
    const answers = await client.health(service);
    assert.deepEqual(answers.map((h) => h.target), cluster.targets);
    for (const h of answers) assert.equal(h.status, 'SERVING', `${service} at ${h.target}`);
  }
  const [unknown] = await client.health('no.such.Service');
  assert.equal(unknown.status, null);
  assert.equal(unknown.error.code, status.NOT_FOUND);
});

test('each key is served by its rendezvous proposer and fails over when that one stops', async () => {
  const keys = Array.from({ length: 40 }, (_, i) => freshKey(`affinity-${i}`));
  const ranks = await Promise.all(keys.map((k) => client.rank(k)));
  assert.deepEqual(await client.targets(), cluster.targets);
  const servedByFirst = keys.filter((_, i) => ranks[i][0] === 0);
  const servedBySecond = keys.filter((_, i) => ranks[i][0] === 1);
  assert.ok(servedByFirst.length > 0 && servedBySecond.length > 0, 'both proposers get keys');
  await cluster.proposers[1].proc.stop();
  const noFailover = new Client({ targets: cluster.targets, retryAttemptsMax: 0 });
  try {
    for (const key of servedByFirst) assert.equal((await noFailover.put(key, 'v')).applied, true);
    for (const key of servedBySecond) {
      await assert.rejects(noFailover.put(key, 'v', { deadlineMs: 2000 }),
        (e) => e.code === status.UNAVAILABLE && e.target === cluster.targets[1], key);
    }
  } finally {
    noFailover.close();
  }
  // With retries, the second proposer's keys fail over to their next target: nothing written
  // (no connection), so even changes are retried.
  for (const key of servedBySecond) assert.equal((await client.put(key, 'w')).applied, true);
});

test('UNAVAILABLE when 2 of 3 acceptors are stopped, for reads and changes; health says why', async () => {
  await cluster.redis[1].proc.stop();
  await cluster.redis[2].proc.stop();
  const key = freshKey('noquorum');
  for (const call of [() => client.put(key, 'v', { deadlineMs: 4000 }), () => client.get(key, { deadlineMs: 4000 })]) {
    await assert.rejects(call(), (e) => {
      assert.ok(e instanceof GryadkaError, String(e));
      assert.equal(e.codeName, 'UNAVAILABLE', e.message);
      return true;
    });
  }
  // The stopped proposer answers nothing; the running one turns NOT_SERVING (its acceptor health
  // check notices within its interval; polled for at most HEALTH_CHANGE_TIMEOUT_MS) but stays live.
  const end = Date.now() + HEALTH_CHANGE_TIMEOUT_MS;
  let kv;
  do {
    [kv] = await client.health('gryadka.v1.KV');
  } while (kv.status !== 'NOT_SERVING' && Date.now() < end && await new Promise((r) => setTimeout(r, 100, true)));
  assert.equal(kv.status, 'NOT_SERVING');
  const [live, stopped] = await client.health('gryadka.v1.KV.liveness', { deadlineMs: 2000 });
  assert.equal(live.status, 'SERVING');
  assert.equal(stopped.status, null);
  assert.equal(stopped.error.code, status.UNAVAILABLE);
});
