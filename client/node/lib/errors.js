'use strict';
// GryadkaError: a failed call (a gRPC error, or bad input rejected before sending). Declines are
// never errors: they are results with applied=false (kv.proto).

const { status: grpcStatus } = require('@grpc/grpc-js');

const CODE_NAMES = Object.freeze(
  Object.fromEntries(Object.entries(grpcStatus).map(([name, code]) => [code, name])));

class GryadkaError extends Error {
  /**
   * @param {number} code gRPC status code (grpc.status.*)
   * @param {string} message what went wrong, with the target and attempt when one was sent
   * @param {object} [extra] {details, metadata, target, attempt}
   */
  constructor(code, message, extra = {}) {
    super(`${CODE_NAMES[code] ?? code}: ${message}`);
    this.name = 'GryadkaError';
    this.code = code;
    this.codeName = CODE_NAMES[code] ?? String(code);
    this.details = extra.details ?? message;
    this.metadata = extra.metadata;
    this.target = extra.target;
    this.attempt = extra.attempt;
  }
}

function invalidArgument(message) {
  return new GryadkaError(grpcStatus.INVALID_ARGUMENT, message);
}

module.exports = { GryadkaError, invalidArgument, CODE_NAMES };
