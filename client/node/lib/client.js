'use strict';
// Client: the idiomatic wrapper over gryadka.v1.KV. Takes plain JS values (string keys, Buffer or
// string values, BigInt versions), never raw proto objects, so no field can be misspelled;
// returns plain objects; a declined precondition is a result (applied: false), a failure is a
// GryadkaError carrying the gRPC code. Each key goes to its rendezvous-chosen proposer (the same
// choice as the C++ client, lib/rendezvous.js) and fails over along its ranking; retries follow
// lib/retry.js within the call's one deadline. Safe for concurrent calls (one event loop).

const fs = require('node:fs');
const grpc = require('@grpc/grpc-js');
const { createRawStub } = require('./proto');
const { checkHealth } = require('./health');
const { Rendezvous } = require('./rendezvous');
const { expandDnsTargets } = require('./resolve');
const { GryadkaError, invalidArgument } = require('./errors');
const { nothingWritten, isRetryable, backoffMs } = require('./retry');

const DEADLINE_MS_MAX = 24 * 60 * 60 * 1000;
const RETRY_ATTEMPTS_MAX = 100;
const BACKOFF_MS_MAX = 10 * 60 * 1000;
const RECONNECT_BACKOFF_INITIAL_MS = 100;
const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const URI_SCHEMES = ['dns:', 'ipv4:', 'ipv6:', 'unix:', 'unix-abstract:'];

const DEFAULTS = Object.freeze({
  defaultDeadlineMs: 5000,
  retryAttemptsMax: 3,
  retryBackoffInitialMs: 20,
  retryBackoffMaxMs: 1000,
  reconnectBackoffMaxMs: 2000,
  maxMessageBytes: 4 * 1024 * 1024,
});

function checkInt(options, name, min, max) {
  const v = options[name];
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw invalidArgument(`options.${name} is ${v}, must be an integer in ${min}..${max}`);
  }
}

function checkTarget(target) {
  const bad = (why) => invalidArgument(`invalid target ${JSON.stringify(target)}: ${why}; ` +
    'expected host:port (e.g. 127.0.0.1:8080) or a gRPC URI such as dns:///name:port');
  if (typeof target !== 'string' || target.length === 0) throw bad('empty or not a string');
  if (/[\s\x00-\x1f\x7f]/.test(target)) throw bad('contains whitespace or control characters');
  const scheme = URI_SCHEMES.find((s) => target.startsWith(s));
  if (scheme) {
    if (target.length === scheme.length) throw bad('nothing after the scheme');
    return;
  }
  const colon = target.lastIndexOf(':');
  if (colon < 0) throw bad('no port');
  const host = target.slice(0, colon);
  const port = target.slice(colon + 1);
  if (host.length === 0) throw bad('no host');
  if (host.startsWith('[') ? !host.endsWith(']') : host.includes(':')) {
    throw bad('an IPv6 host must be written in brackets, e.g. [::1]:8080');
  }
  if (!/^[0-9]+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw bad('port must be a number in 1..65535');
  }
}

function readPem(tls, name) {
  const content = tls[name];
  const file = tls[`${name}File`];
  if (content !== undefined && file !== undefined) {
    throw invalidArgument(`tls.${name} and tls.${name}File are both set; give one`);
  }
  if (file !== undefined) {
    try { return fs.readFileSync(file); } catch (e) {
      throw invalidArgument(`tls.${name}File ${JSON.stringify(file)}: ${e.message}`);
    }
  }
  if (content === undefined) return null;
  if (typeof content === 'string') return Buffer.from(content);
  if (Buffer.isBuffer(content)) return content;
  throw invalidArgument(`tls.${name} must be PEM text (string or Buffer)`);
}

// Channel credentials and options for `tls` (see index.d.ts TlsOptions); insecure when absent.
function makeCredentials(tls, channelOptions) {
  if (tls === undefined || tls === null || tls === false) return grpc.credentials.createInsecure();
  if (typeof tls !== 'object') throw invalidArgument('options.tls must be an object or absent');
  const ca = readPem(tls, 'ca');
  const cert = readPem(tls, 'cert');
  const key = readPem(tls, 'key');
  if ((cert === null) !== (key === null)) {
    throw invalidArgument('tls.cert and tls.key go together (mutual TLS): give both or neither');
  }
  if (tls.serverName !== undefined) {
    if (typeof tls.serverName !== 'string' || tls.serverName === '') {
      throw invalidArgument('tls.serverName must be a non-empty string');
    }
    channelOptions['grpc.ssl_target_name_override'] = tls.serverName;
    channelOptions['grpc.default_authority'] = tls.serverName;
  }
  return grpc.credentials.createSsl(ca, key, cert);
}

function checkKey(key) {
  if (typeof key !== 'string') throw invalidArgument(`the key must be a string, got ${typeof key}`);
  if (key.length === 0) throw invalidArgument('the key is empty; keys are 1+ bytes');
  if (!key.isWellFormed()) {
    throw invalidArgument(`the key ${JSON.stringify(key)} is not valid UTF-8 (a lone surrogate)`);
  }
}

function toValue(value, what) {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw invalidArgument(`${what} must be a Buffer, Uint8Array or string, got ${typeof value}`);
}

function toInteger(value, what, min, max) {
  let v;
  if (typeof value === 'bigint') v = value;
  else if (Number.isSafeInteger(value)) v = BigInt(value);
  else throw invalidArgument(`${what} must be a BigInt or a safe integer, got ${String(value)}`);
  if (v < min || v > max) throw invalidArgument(`${what} is ${v}, must be in ${min}..${max}`);
  return v.toString();
}

const toVersion = (v, what) => toInteger(v, what, 0n, UINT64_MAX);
const toDelta = (v) => toInteger(v, 'delta', INT64_MIN, INT64_MAX);

function fromRecord(r) {
  return { value: r ? Buffer.from(r.value) : Buffer.alloc(0), version: BigInt(r ? r.version : 0) };
}

function changeResult(response, extra = {}) {
  return {
    applied: response.applied === undefined ? true : Boolean(response.applied),
    record: fromRecord(response.record),
    declineReason: response.decline_reason ?? '',
    ...extra,
  };
}

// The ChangeOp of a plain JS change description (see index.d.ts Change), and its call kind.
function toChangeOp(change) {
  if (change === 'read') return [{ read: {} }, 'read'];
  if (change === null || typeof change !== 'object') {
    throw invalidArgument('change must be "read" or an object with exactly one of: put, ' +
      'putIfAbsent, compareAndSet, increment, append, delete');
  }
  const names = Object.keys(change);
  if (names.length !== 1) {
    throw invalidArgument(`change must have exactly one op, got ${names.length} (${names.join(', ')})`);
  }
  const v = change[names[0]];
  switch (names[0]) {
    case 'read': return [{ read: {} }, 'read'];
    case 'put': return [{ put: { value: toValue(v, 'put value') } }, 'change'];
    case 'putIfAbsent': return [{ put_if_absent: { value: toValue(v, 'putIfAbsent value') } }, 'change'];
    case 'compareAndSet':
      if (!v || typeof v !== 'object') throw invalidArgument('compareAndSet needs {expectedVersion, value}');
      return [{ compare_and_set: { expected_version: toVersion(v.expectedVersion, 'compareAndSet.expectedVersion'),
        value: toValue(v.value, 'compareAndSet.value') } }, 'change'];
    case 'increment': return [{ increment: { delta: toDelta(v) } }, 'change'];
    case 'append': return [{ append: { suffix: toValue(v, 'append suffix') } }, 'change'];
    case 'delete': {
      const op = {};
      if (v && v.expectedVersion !== undefined) {
        op.expected_version = toVersion(v.expectedVersion, 'delete.expectedVersion');
      }
      return [{ delete: op }, 'change'];
    }
    default:
      throw invalidArgument(`unknown change op "${names[0]}"; one of: read, put, putIfAbsent, ` +
        'compareAndSet, increment, append, delete');
  }
}

function toQueryOp(query) {
  if (query === 'record' || query === 'version' || query === 'none') return { [query]: {} };
  throw invalidArgument(`query must be "record", "version" or "none", got ${String(query)}`);
}

function fromQueryResult(result) {
  if (!result || !result.result) return {};
  if (result.result === 'record') return { record: fromRecord(result.record) };
  if (result.result === 'version') return { version: BigInt(result.version) };
  return {};
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class Client {
  /** See index.d.ts ClientOptions. Throws GryadkaError(INVALID_ARGUMENT) on bad options. */
  constructor(options = {}) {
    const o = { ...DEFAULTS, ...options };
    if (!Array.isArray(o.targets) || o.targets.length === 0) {
      throw invalidArgument('options.targets is empty: give at least one proposer as host:port');
    }
    o.targets.forEach(checkTarget);
    if (new Set(o.targets).size !== o.targets.length) {
      throw invalidArgument('options.targets has a duplicate target');
    }
    checkInt(o, 'defaultDeadlineMs', 1, DEADLINE_MS_MAX);
    checkInt(o, 'retryAttemptsMax', 0, RETRY_ATTEMPTS_MAX);
    checkInt(o, 'retryBackoffInitialMs', 1, BACKOFF_MS_MAX);
    checkInt(o, 'retryBackoffMaxMs', o.retryBackoffInitialMs, BACKOFF_MS_MAX);
    checkInt(o, 'reconnectBackoffMaxMs', RECONNECT_BACKOFF_INITIAL_MS, BACKOFF_MS_MAX);
    checkInt(o, 'maxMessageBytes', 1, 2 ** 31 - 1);
    this._options = o;
    this._channelOptions = {
      'grpc.max_receive_message_length': o.maxMessageBytes,
      'grpc.max_send_message_length': o.maxMessageBytes,
      'grpc.initial_reconnect_backoff_ms': RECONNECT_BACKOFF_INITIAL_MS,
      'grpc.max_reconnect_backoff_ms': o.reconnectBackoffMaxMs,
    };
    this._credentials = makeCredentials(o.tls, this._channelOptions);
    this._ready = null;  // Promise of {rendezvous, stubs}, made on first use (DNS is async)
    this._closed = false;
  }

  /** The targets after dns: expansion, in the order the rendezvous ranks index. */
  async targets() {
    return (await this._endpoints()).rendezvous.targets;
  }

  /** Index (into targets()) of the proposer that serves `key` first, and the failover order. */
  async rank(key) {
    checkKey(key);
    return (await this._endpoints()).rendezvous.rank(key);
  }

  _endpoints() {
    if (this._closed) return Promise.reject(new GryadkaError(grpc.status.CANCELLED, 'the client is closed'));
    if (!this._ready) {
      this._ready = expandDnsTargets(this._options.targets).then((targets) => ({
        rendezvous: new Rendezvous(targets),
        stubs: targets.map((t) => createRawStub(t, this._credentials, this._channelOptions)),
      }));
    }
    return this._ready;
  }

  _deadline(callOptions) {
    const ms = callOptions && callOptions.deadlineMs !== undefined
      ? callOptions.deadlineMs : this._options.defaultDeadlineMs;
    if (!Number.isSafeInteger(ms) || ms < 1 || ms > DEADLINE_MS_MAX) {
      throw invalidArgument(`deadlineMs is ${ms}, must be an integer in 1..${DEADLINE_MS_MAX}`);
    }
    return Date.now() + ms;
  }

  // Sends `request` to method `method` of the key's targets in rendezvous order, retrying as
  // lib/retry.js allows until the attempts or the deadline run out. Resolves to the response.
  async _run(method, key, kind, request, callOptions) {
    checkKey(key);
    const deadline = this._deadline(callOptions);
    const { rendezvous, stubs } = await this._endpoints();
    const ranking = rendezvous.rank(key);
    const tried = new Array(ranking.length).fill(false);
    const attemptsMax = 1 + this._options.retryAttemptsMax;
    let position = 0;
    let pauses = 0;
    for (let attempt = 1; ; ++attempt) {
      const target = rendezvous.targets[ranking[position]];
      tried[position] = true;
      try {
        return await new Promise((resolve, reject) => {
          stubs[ranking[position]][method](request, new grpc.Metadata(), { deadline },
            (error, response) => (error ? reject(error) : resolve(response)));
        });
      } catch (error) {
        if (typeof error.code !== 'number') throw error;
        const fail = () => new GryadkaError(error.code,
          `${error.details} [target ${target}, attempt ${attempt} of ${attemptsMax}]`,
          { details: error.details, metadata: error.metadata, target, attempt });
        if (attempt >= attemptsMax || !isRetryable(error.code, kind, nothingWritten(error))) throw fail();
        if (error.code === grpc.status.UNAVAILABLE) position = (position + 1) % ranking.length;
        if (tried[position]) {  // a target not tried yet in this call is sent to at once
          const pauseMs = backoffMs(pauses++, this._options.retryBackoffInitialMs,
            this._options.retryBackoffMaxMs);
          if (Date.now() + pauseMs >= deadline) throw fail();
          await sleep(pauseMs);
        }
      }
    }
  }

  /** @returns {Promise<{found: boolean, record: {value: Buffer, version: bigint}}>} */
  async get(key, callOptions) {
    const r = await this._run('Get', key, 'read', { key }, callOptions);
    return { found: Boolean(r.found), record: fromRecord(r.record) };
  }

  async put(key, value, callOptions) {
    const r = await this._run('Put', key, 'change', { key, value: toValue(value, 'value') }, callOptions);
    return changeResult(r, { applied: true });
  }

  async putIfAbsent(key, value, callOptions) {
    const r = await this.changeQuery(key, { putIfAbsent: value }, 'record', callOptions);
    return { applied: r.applied, record: r.record, declineReason: r.declineReason };
  }

  async compareAndSet(key, expectedVersion, value, callOptions) {
    const request = { key, expected_version: toVersion(expectedVersion, 'expectedVersion'),
      value: toValue(value, 'value') };
    return changeResult(await this._run('CompareAndSet', key, 'change', request, callOptions));
  }

  async increment(key, delta, callOptions) {
    const r = await this._run('Increment', key, 'change', { key, delta: toDelta(delta) }, callOptions);
    return changeResult(r, { value: BigInt(r.value) });
  }

  async append(key, suffix, callOptions) {
    const r = await this.changeQuery(key, { append: suffix }, 'record', callOptions);
    return { applied: r.applied, record: r.record, declineReason: r.declineReason };
  }

  /** deleteOptions.expectedVersion: delete only if the version equals it (else a decline). */
  async delete(key, deleteOptions = {}, callOptions) {
    const request = { key };
    if (deleteOptions.expectedVersion !== undefined) {
      request.expected_version = toVersion(deleteOptions.expectedVersion, 'expectedVersion');
    }
    return changeResult(await this._run('Delete', key, 'change', request, callOptions));
  }

  /** The generic call: one change op, then one query op on the new state. */
  async changeQuery(key, change, query = 'record', callOptions) {
    const [changeOp, kind] = toChangeOp(change);
    const request = { key, change: changeOp, query: toQueryOp(query) };
    const r = await this._run('ChangeQuery', key, kind, request, callOptions);
    return { applied: Boolean(r.applied), declineReason: r.decline_reason ?? '', ...fromQueryResult(r.result) };
  }

  /**
   * The grpc.health.v1 status of `service` ("gryadka.v1.KV" by default; "" and
   * "gryadka.v1.KV.liveness" too) at every target, asked in parallel within one deadline:
   * [{target, status: 'SERVING' | 'NOT_SERVING' | ... | null, error?}]. Never rejects for a
   * target's failure (status null, error set); rejects only on bad arguments.
   */
  async health(service = 'gryadka.v1.KV', callOptions) {
    if (typeof service !== 'string') throw invalidArgument('health: service must be a string');
    const deadline = this._deadline(callOptions);
    const { rendezvous } = await this._endpoints();
    return Promise.all(rendezvous.targets.map((t) =>
      checkHealth(t, this._credentials, this._channelOptions, service, deadline)));
  }

  /** Closes every channel; later calls fail with CANCELLED. */
  close() {
    this._closed = true;
    if (this._ready) this._ready.then(({ stubs }) => stubs.forEach((s) => s.close()), () => {});
  }
}

module.exports = { Client, DEFAULTS };
