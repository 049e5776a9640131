// The clients gryadka-compare drives, one Connection (closed_loop.h) per worker thread, each with
// its own connections to the system:
//   Gryadka  gryadka.v1.KV over a gRPC CompletionQueue (raw generated stubs, as gryadka-bench):
//            kIncrement = Increment(key, 1); kRead = Get; kPrefill = Put "0". With several
//            proposers a key goes to one of them by rendezvous hashing (client/rendezvous.h).
//   etcd     etcdserverpb.KV over a gRPC CompletionQueue: kIncrement = Range(key), then
//            Txn(if mod_revision(key) == the revision read: Put(key, value + 1)); a failed compare
//            starts again from the Range (at most kEtcdCompareRetriesMax times, then the
//            operation fails) and the whole counts as one operation; kRead = Range (linearizable,
//            the default); kPrefill = Put "0". Operations go to the `targets` in turn (round
//            robin per operation, as etcd's own client balancer does).
//   Redis    hiredis async on a libevent base, one TCP connection per worker (commands of its
//            slots are pipelined on it): kIncrement = INCR; kRead = GET; kPrefill = SET key 0.
//   fsync floor  the same on 3 Redis with appendfsync always (systems.h), one connection to
//            each per worker: an operation goes to a majority of them (2 of 3), the pair moving
//            on by one server per operation as Gryadka's accepts to a quorum first do, and is
//            done when both have answered; kPrefill goes to all of them.
// Every gRPC call has a deadline of `deadline_ms`. A worker's channels are its own (one TCP
// connection per target per worker).
//
// Thread-compatible: each Connection is used by one worker thread (closed_loop.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/compare/closed_loop.h"

namespace gryadka::bench::compare {

inline constexpr int kEtcdCompareRetriesMax = 1000;  // per operation

// `targets` are HOST:PORT of the proposers (Gryadka) or of the members' client URLs (etcd).
std::unique_ptr<Connection> NewGryadkaConnection(const std::vector<std::string>& targets,
                                                 int worker, int slots, int64_t deadline_ms);
std::unique_ptr<Connection> NewEtcdConnection(const std::vector<std::string>& targets, int worker,
                                              int slots, int64_t deadline_ms);
// A Redis on 127.0.0.1:`port`. A lost connection is not re-established: every later operation
// of this worker fails ("redis connection lost: ...").
std::unique_ptr<Connection> NewRedisConnection(int port, int slots);
// Servers on 127.0.0.1:`ports`; each operation to a majority of them in turn, as above. A lost
// connection fails every later operation that would use it.
std::unique_ptr<Connection> NewRedisQuorumConnection(const std::vector<int>& ports, int slots);

}  // namespace gryadka::bench::compare
