// Admin.Rescan (proto/gryadka/v1/admin.proto): rewrites every key that the previous accept set
// (Membership.rescan_from) may hold alone through the running accept set, so that the prepare
// set may change next (docs/membership.md).
//
// Sources: enough acceptors of rescan_from (size - quorum + 1, in config order, those that
// connect; core::RescanSources) that every quorum of it includes one. Each is listed with SCAN
// (RedisAdminConnection::Scan, never KEYS), page by page; every key found is submitted as a
// plain read (ChangeOp read, QueryOp none) to the shard that owns it, through the same path as
// KV requests, so it runs a round of the running configuration. A read round answers without an
// accept only when the value is already on an accept quorum of the round's accept set (the core's
// "chosen" check, read_skip_accept); otherwise it writes the value back through that accept set.
// Either way, after the read the key's value is on an accept quorum of the running accept set.
//
// Bounds: at most rescan_inflight_max keys in flight; a token bucket of keys_per_second (0 =
// unlimited; burst = min(rate, inflight)); a key that fails with a retryable status is retried
// up to kRescanKeyAttemptsMax times with backoff (kRescanRetryBackoffMs doubling, at most
// kRescanRetryBackoffMaxMs), then the call ends UNAVAILABLE. Keys that are not readable
// registers (INVALID_ARGUMENT, FAILED_PRECONDITION from the core: e.g. a foreign hash, a key over
// --max_key_bytes) cannot hold a Gryadka value: they are skipped and counted.
//
// Cursor (opaque to users): "v1:EPOCH:DONE:CURRENT:SCANCURSOR" — DONE = indexes into
// rescan_from.acceptors scanned completely ("." separated, "-" = none), CURRENT = the index being
// scanned ("-" = none), SCANCURSOR = the Redis SCAN cursor after the last page whose keys were
// all rewritten (keys of the next pages may be in flight meanwhile). A progress message carries
// it about once a second; a rescan resumed from it repeats at most the keys that were in flight
// (about rescan_inflight_max plus one SCAN page).
//
// Thread-safety: RunRescan blocks the calling thread (a gRPC sync handler) until done; any
// number may run at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gryadka/v1/admin.pb.h"
#include "proposer/server/metrics.h"
#include "proposer/server/options.h"
#include "proposer/server/running_membership.h"
#include "proposer/server/shard.h"

namespace gryadka::server {

inline constexpr int kRescanKeyAttemptsMax = 5;      // attempts per key, then UNAVAILABLE
inline constexpr int64_t kRescanRetryBackoffMs = 50;  // first retry delay, doubling
inline constexpr int64_t kRescanRetryBackoffMaxMs = 1000;
inline constexpr int kRescanScanAttemptsMax = 5;     // attempts per SCAN page, then UNAVAILABLE
inline constexpr int64_t kRescanProgressPeriodMs = 1000;
inline constexpr size_t kRescanCursorBytesMax = 4096;

struct RescanCursor {
  uint64_t epoch = 0;
  std::vector<int> done;         // indexes into rescan_from.acceptors, scanned completely
  int current = -1;              // index being scanned, or -1
  std::string scan_cursor = "0";  // Redis SCAN cursor of `current`
  bool operator==(const RescanCursor&) const = default;
};

std::string FormatRescanCursor(const RescanCursor& cursor);
// INVALID_ARGUMENT naming what is wrong (format, an index outside 0..sources-1, a repeated
// index, a SCAN cursor that is not a decimal number, over kRescanCursorBytesMax bytes).
absl::StatusOr<RescanCursor> ParseRescanCursor(absl::string_view text, int sources);

struct RescanDeps {
  const ServerOptions* options = nullptr;
  const std::vector<std::unique_ptr<Shard>>* shards = nullptr;
  const RunningMembership* membership = nullptr;
  Metrics* metrics = nullptr;  // may be null
  // Sends one progress message; false = the client is gone (the rescan stops, CANCELLED).
  std::function<bool(const v1::RescanProgress&)> write;
  // True once the client cancelled.
  std::function<bool()> cancelled;
};

// Runs one Rescan call. Returns OK after the final progress message (done = true), or the
// error to end the stream with (after a progress message carrying the resume cursor when any
// progress was made): FAILED_PRECONDITION (no rescan pending; expected_epoch or the cursor's
// epoch is not the running epoch; the epoch changed during the call), INVALID_ARGUMENT (bad
// cursor), UNAVAILABLE (too few sources reachable, a page or a key failed after retries; the
// message includes the cursor to resume from), CANCELLED.
absl::Status RunRescan(const v1::RescanRequest& request, const RescanDeps& deps);

}  // namespace gryadka::server
