'use strict';
// Loads gryadka.v1 (kv.proto) with the ONLY loader options that are correct for it, and makes
// raw gRPC stubs that refuse a misspelled field instead of silently dropping it.
//
// Why fixed: with @grpc/proto-loader's default options (keepCase: false) a snake_case field such
// as Delete{expected_version} or ChangeOp{put_if_absent} is silently dropped — an unconditional
// delete instead of a conditional one. Here keepCase is always true (fields are written exactly
// as in the .proto), uint64/int64 arrive as decimal strings (no precision loss; the wrapper turns
// them into BigInt), and every request passed to a raw stub is checked against the message
// descriptors: an unknown field name (e.g. camelCase expectedVersion) throws a TypeError.
//
// Where the .proto files come from: a packed package carries a copy in ./proto (copied from the
// repository's proto/ by scripts/copy-proto.js at `npm pack` time); in a repository checkout
// the package resolves ../../proto, the single source of truth. PROTO_DIR says which was used.

const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const LOADER_OPTIONS = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

const KV_PROTO = 'gryadka/v1/kv.proto';

function findProtoDir() {
  const candidates = [path.join(__dirname, '..', 'proto'), path.join(__dirname, '..', '..', '..', 'proto')];
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, KV_PROTO))) return dir;
  }
  throw new Error(`gryadka: ${KV_PROTO} not found in ${candidates.join(' or ')}; ` +
    'a packed package carries it in proto/ (npm pack runs scripts/copy-proto.js)');
}

const PROTO_DIR = findProtoDir();
const packageDefinition = protoLoader.loadSync(KV_PROTO, { ...LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
const KVClient = grpc.loadPackageDefinition(packageDefinition).gryadka.v1.KV;

// The full name of a field's message type: absolute (".a.b.T") or relative to the scope of the
// message that has the field (kv.proto has no nested messages; a nested scope is tried first).
function resolveTypeName(parentName, typeName) {
  if (typeName.startsWith('.')) return typeName.slice(1);
  for (let scope = parentName; scope.includes('.'); scope = scope.slice(0, scope.lastIndexOf('.'))) {
    if (packageDefinition[`${scope}.${typeName}`]) return `${scope}.${typeName}`;
  }
  throw new Error(`gryadka: message type ${typeName} (a field of ${parentName}) not loaded`);
}

// Throws a TypeError naming the first field of `value` (recursively) that message `typeName`
// does not have. Values of bytes/string/number fields are left to protobufjs.
function checkFields(typeName, value, where) {
  if (value === null || value === undefined) return;
  if (typeof value !== 'object' || Buffer.isBuffer(value) || Array.isArray(value)) {
    throw new TypeError(`${where} must be a plain object (message ${typeName}), got ${typeof value}`);
  }
  const descriptor = packageDefinition[typeName].type;
  const fields = new Map(descriptor.field.map((f) => [f.name, f]));
  for (const [name, fieldValue] of Object.entries(value)) {
    const field = fields.get(name);
    if (!field) {
      throw new TypeError(`${where}: message ${typeName} has no field "${name}" ` +
        `(fields: ${[...fields.keys()].join(', ')}; names are snake_case as in kv.proto)`);
    }
    if (field.type === 'TYPE_MESSAGE') {
      checkFields(resolveTypeName(typeName, field.typeName), fieldValue, `${where}.${name}`);
    }
  }
}

const METHODS = Object.freeze(Object.keys(KVClient.service));

/**
 * A raw gryadka.v1.KV stub for one target: methods ChangeQuery, Get, Put, CompareAndSet,
 * Increment, Delete with grpc-js's callback signature (request, metadata?, options?, callback),
 * taking and returning snake_case objects exactly as in kv.proto (uint64/int64 as decimal
 * strings, bytes as Buffer). A request with a field kv.proto does not have throws a TypeError
 * before anything is sent.
 * @param {string} target host:port or a gRPC URI
 * @param {grpc.ChannelCredentials} [credentials] default: insecure
 * @param {object} [channelOptions] grpc-js channel options
 */
function createRawStub(target, credentials = grpc.credentials.createInsecure(), channelOptions = {}) {
  const inner = new KVClient(target, credentials, channelOptions);
  const stub = { close: () => inner.close(), channel: inner };
  for (const method of METHODS) {
    const requestType = KVClient.service[method].requestType.type.name;
    stub[method] = (request, ...rest) => {
      checkFields(`gryadka.v1.${requestType}`, request, `${method} request`);
      return inner[method](request, ...rest);
    };
  }
  return Object.freeze(stub);
}

module.exports = { LOADER_OPTIONS, PROTO_DIR, packageDefinition, createRawStub, checkFields };
