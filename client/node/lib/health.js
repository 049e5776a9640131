'use strict';
// A client of the standard gRPC health service (grpc.health.v1.Health/Check) that every proposer
// serves: "" and "gryadka.v1.KV" are SERVING while a quorum of acceptors answers,
// "gryadka.v1.KV.liveness" while the process runs (README, docs/security.md). The two messages
// and the service are declared here in protobufjs JSON form (the public grpc.health.v1 schema:
// HealthCheckRequest{string service = 1}, HealthCheckResponse{ServingStatus status = 1}), so the
// package needs no .proto file outside its own.

const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const HEALTH_SCHEMA = {
  nested: { grpc: { nested: { health: { nested: { v1: { nested: {
    HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
    HealthCheckResponse: {
      fields: { status: { type: 'ServingStatus', id: 1 } },
      nested: { ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } } },
    },
    Health: { methods: { Check: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse' } } },
  } } } } } } },
};

const HealthClient = grpc.loadPackageDefinition(
  protoLoader.fromJSON(HEALTH_SCHEMA, { keepCase: true, enums: String, defaults: true }),
).grpc.health.v1.Health;

/**
 * Asks `target` for the serving status of `service`. Resolves to {target, status} where status
 * is 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN' or 'UNKNOWN', or {target, status: null, error}
 * when the call failed (error: the grpc-js error, e.g. UNAVAILABLE). Never rejects.
 */
function checkHealth(target, credentials, channelOptions, service, deadline) {
  const stub = new HealthClient(target, credentials, channelOptions);
  return new Promise((resolve) => {
    stub.Check({ service }, { deadline }, (error, response) => {
      stub.close();
      resolve(error ? { target, status: null, error } : { target, status: response.status });
    });
  });
}

module.exports = { checkHealth };
