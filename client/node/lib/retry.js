'use strict';
// Which failed calls are sent again, and the pause in between: the same rule as the C++ client
// (client/retry.h), following kv.proto's error contract.
//   UNAVAILABLE        that provably wrote nothing (the proposer's trailing metadata
//                      "gryadka-nothing-written", or no connection was ever made): any call is
//                      retried, on the key's next target. Any other UNAVAILABLE leaves a
//                      change's outcome unknown: only reads are retried.
//   DEADLINE_EXCEEDED, ABORTED   reads only (a change could apply twice).
//   anything else      returned to the caller.
// Pure functions.

const { status } = require('@grpc/grpc-js');

const NOTHING_WRITTEN_METADATA_KEY = 'gryadka-nothing-written';
// grpc-js fails a call with this when no connection to the target could be made: nothing sent.
const NO_CONNECTION_PREFIX = 'No connection established';

/** True when an UNAVAILABLE error is known to have written nothing. */
function nothingWritten(error) {
  if (!error || error.code !== status.UNAVAILABLE) return false;
  const trailers = error.metadata;
  if (trailers && trailers.get(NOTHING_WRITTEN_METADATA_KEY).length > 0) return true;
  return typeof error.details === 'string' && error.details.startsWith(NO_CONNECTION_PREFIX);
}

/**
 * @param {number} code gRPC status code
 * @param {'read'|'change'} kind
 * @param {boolean} wroteNothing see nothingWritten
 */
function isRetryable(code, kind, wroteNothing) {
  switch (code) {
    case status.UNAVAILABLE:
      return wroteNothing || kind === 'read';
    case status.DEADLINE_EXCEEDED:
    case status.ABORTED:
      return kind === 'read';
    default:
      return false;
  }
}

/**
 * The pause before retry number `retryIndex` (0 = first) in ms: "equal jitter" exponential
 * backoff, uniform in [cap/2, cap] with cap = min(backoffMaxMs, backoffInitialMs * 2^retryIndex).
 * @param {() => number} random uniform in [0, 1)
 */
function backoffMs(retryIndex, backoffInitialMs, backoffMaxMs, random = Math.random) {
  let capMs = backoffInitialMs;
  for (let i = 0; i < retryIndex && capMs < backoffMaxMs; ++i) capMs *= 2;
  capMs = Math.min(capMs, backoffMaxMs);
  const floorMs = Math.floor(capMs / 2);
  return floorMs + Math.floor(random() * (capMs - floorMs + 1));
}

module.exports = { NOTHING_WRITTEN_METADATA_KEY, nothingWritten, isRetryable, backoffMs };
