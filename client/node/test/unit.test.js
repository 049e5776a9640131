'use strict';
// No cluster: the rendezvous hash equals the C++ client's, the retry rule, dns: expansion and
// option checks.

const test = require('node:test');
const assert = require('node:assert/strict');
const { hash64, Rendezvous, Client, GryadkaError, status, LOADER_OPTIONS } = require('..');
const { isRetryable, backoffMs, nothingWritten } = require('../lib/retry');
const { expandDnsTargets, parseDnsTarget } = require('../lib/resolve');
const grpc = require('@grpc/grpc-js');

test('hash64 equals the C++ Hash64 pinned in tests/client/rendezvous_test.cc', () => {
  assert.equal(hash64('', 0n), 0xa706dd2f4d197e6fn);
  assert.equal(hash64('greeting', 0n), 0x0b5a2d2c18df75f5n);
  assert.equal(hash64('a key longer than eight bytes', 42n), 0xed6a6efaf5b0239dn);
  assert.notEqual(hash64('a', 0n), hash64(Buffer.from('a\0', 'binary'), 0n));
});

// Produced by a C++ program linking client/rendezvous.cc (Hash64 and Rendezvous::Rank) with
// these targets and keys; a change here re-routes keys away from what the C++ client chooses.
const GOLDEN_TARGETS = ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003', 'ipv4:10.0.0.4:8080'];
const GOLDEN_RANKS = [
  ['user:0', [2, 3, 0, 1]], ['user:1', [3, 1, 2, 0]], ['user:2', [3, 0, 1, 2]],
  ['user:3', [2, 3, 0, 1]], ['user:4', [2, 1, 0, 3]], ['user:5', [1, 0, 2, 3]],
  ['user:6', [2, 0, 3, 1]], ['user:7', [1, 3, 0, 2]], ['user:8', [0, 3, 1, 2]],
  ['user:9', [2, 1, 0, 3]], ['greeting', [3, 2, 0, 1]], ['été', [2, 3, 1, 0]],
  ['a key longer than eight bytes', [0, 2, 3, 1]], ['k', [2, 1, 0, 3]],
];

test('hash64 of UTF-8 text and an all-ones seed equals the C++ Hash64', () => {
  assert.equal(hash64('été €', 7n), 0xf099ef67af8d8901n);
  assert.equal(hash64('0123456789abcdef', (1n << 64n) - 1n), 0x2d12a6908dcbe5e9n);
});

test('rendezvous ranks keys over targets exactly as the C++ client does', () => {
  const r = new Rendezvous(GOLDEN_TARGETS);
  for (const [key, rank] of GOLDEN_RANKS) assert.deepEqual(r.rank(key), rank, key);
});

test('rendezvous choice does not depend on the order targets are listed in', () => {
  const a = new Rendezvous(GOLDEN_TARGETS);
  const b = new Rendezvous([...GOLDEN_TARGETS].reverse());
  for (let i = 0; i < 200; ++i) {
    assert.equal(a.targets[a.pick(`user:${i}`)], b.targets[b.pick(`user:${i}`)]);
  }
});

test('changes are retried only on UNAVAILABLE that wrote nothing; reads also on unknown outcomes', () => {
  assert.equal(isRetryable(status.UNAVAILABLE, 'change', false), false);
  assert.equal(isRetryable(status.UNAVAILABLE, 'change', true), true);
  assert.equal(isRetryable(status.UNAVAILABLE, 'read', false), true);
  for (const code of [status.DEADLINE_EXCEEDED, status.ABORTED]) {
    assert.equal(isRetryable(code, 'change', true), false);
    assert.equal(isRetryable(code, 'read', false), true);
  }
  assert.equal(isRetryable(status.INVALID_ARGUMENT, 'read', true), false);
  assert.equal(isRetryable(status.RESOURCE_EXHAUSTED, 'read', true), false);
});

test('nothing-written is the proposer trailer or no connection, never a lost connection', () => {
  const withTrailer = new grpc.Metadata();
  withTrailer.set('gryadka-nothing-written', '1');
  assert.equal(nothingWritten({ code: status.UNAVAILABLE, details: 'no quorum', metadata: withTrailer }), true);
  assert.equal(nothingWritten({ code: status.UNAVAILABLE, details: 'No connection established. x',
    metadata: new grpc.Metadata() }), true);
  assert.equal(nothingWritten({ code: status.UNAVAILABLE, details: 'Connection dropped',
    metadata: new grpc.Metadata() }), false);
  assert.equal(nothingWritten({ code: status.ABORTED, details: 'x', metadata: withTrailer }), false);
});

test('backoff is equal-jitter exponential and bounded by the maximum', () => {
  assert.equal(backoffMs(0, 20, 1000, () => 0), 10);
  assert.equal(backoffMs(0, 20, 1000, () => 0.9999), 20);
  assert.equal(backoffMs(3, 20, 1000, () => 0.9999), 160);
  assert.equal(backoffMs(50, 20, 1000, () => 0.9999), 1000);
  assert.equal(backoffMs(50, 20, 1000, () => 0), 500);
});

test('dns: targets expand to every address, sorted; others and unresolvable names stay', async () => {
  assert.deepEqual(parseDnsTarget('dns:///proposers:8080'), { host: 'proposers', port: '8080' });
  assert.deepEqual(parseDnsTarget('dns:[::1]:80'), { host: '::1', port: '80' });
  assert.equal(parseDnsTarget('127.0.0.1:80'), null);
  const resolve = async (host, port) => {
    if (host === 'gone') throw new Error('ENOTFOUND');
    return [`ipv4:10.0.0.1:${port}`, `ipv4:10.0.0.2:${port}`];
  };
  assert.deepEqual(await expandDnsTargets(['dns:///p:8080', '10.0.0.9:1', 'dns:///gone:1', 'ipv4:10.0.0.1:8080'], resolve),
    ['ipv4:10.0.0.1:8080', 'ipv4:10.0.0.2:8080', '10.0.0.9:1', 'dns:///gone:1']);
  const local = await expandDnsTargets(['dns:///localhost:9']);  // the system resolver
  assert.ok(local.some((t) => t === 'ipv4:127.0.0.1:9' || t === 'ipv6:[::1]:9'), local.join(','));
  assert.deepEqual(local, [...local].sort());
});

test('bad client options are INVALID_ARGUMENT errors naming the option', () => {
  const bad = (options, re) => assert.throws(() => new Client(options),
    (e) => e instanceof GryadkaError && e.code === status.INVALID_ARGUMENT && re.test(e.message));
  bad({}, /targets is empty/);
  bad({ targets: ['127.0.0.1'] }, /no port/);
  bad({ targets: ['::1:80'] }, /IPv6 host must be written in brackets/);
  bad({ targets: ['a:1', 'a:1'] }, /duplicate/);
  bad({ targets: ['a:1'], defaultDeadlineMs: 0 }, /defaultDeadlineMs is 0/);
  bad({ targets: ['a:1'], retryAttemptsMax: 1000 }, /retryAttemptsMax/);
  bad({ targets: ['a:1'], tls: { cert: 'x' } }, /cert and tls.key go together/);
  bad({ targets: ['a:1'], tls: { caFile: '/nonexistent/ca.pem' } }, /caFile/);
  new Client({ targets: ['dns:///proposers:8080', '[::1]:80'], tls: { ca: 'pem', serverName: 'x' } }).close();
});

test('the loader options are the fixed, correct ones', () => {
  assert.equal(LOADER_OPTIONS.keepCase, true);
  assert.equal(LOADER_OPTIONS.longs, String);
  assert.ok(Object.isFrozen(LOADER_OPTIONS));
});
