'use strict';
// The gryadka package: Client (the wrapper), GryadkaError, the raw-stub helper with fixed loader
// options, and the rendezvous hash shared with the C++ client. Types: index.d.ts.
const { Client, DEFAULTS } = require('./lib/client');
const { GryadkaError } = require('./lib/errors');
const { LOADER_OPTIONS, PROTO_DIR, packageDefinition, createRawStub } = require('./lib/proto');
const { hash64, Rendezvous } = require('./lib/rendezvous');
const { NOTHING_WRITTEN_METADATA_KEY } = require('./lib/retry');
const { status } = require('@grpc/grpc-js');

module.exports = {
  Client, DEFAULTS, GryadkaError, status, createRawStub, LOADER_OPTIONS, PROTO_DIR,
  packageDefinition, hash64, Rendezvous, NOTHING_WRITTEN_METADATA_KEY,
};
