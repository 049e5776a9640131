#include "proposer/server/rescan.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "acceptor_adapter/redis_admin.h"
#include "proposer/core/membership.h"
#include "proposer/server/logging.h"
#include "proposer/server/membership_source.h"

namespace gryadka::server {
namespace {

using acceptor::RedisAdminConnection;

bool Retryable(absl::StatusCode code) {
  return code != absl::StatusCode::kInvalidArgument &&
         code != absl::StatusCode::kFailedPrecondition;
}

// A token bucket: `rate` keys per second (0 = unlimited), burst `burst`.
class TokenBucket {
 public:
  TokenBucket(uint64_t rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  // True (and takes a token) if one is available at now_ms.
  bool Take(int64_t now_ms) {
    if (rate_ == 0) return true;
    tokens_ = std::min(burst_, tokens_ + (now_ms - last_ms_) * static_cast<double>(rate_) / 1000.0);
    last_ms_ = now_ms;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }
  // Milliseconds until the next token (>= 1 when none is available).
  int64_t WaitMs() const {
    if (rate_ == 0 || tokens_ >= 1) return 0;
    return std::max<int64_t>(1, static_cast<int64_t>((1 - tokens_) * 1000.0 / rate_) + 1);
  }

 private:
  const uint64_t rate_;
  const double burst_;
  double tokens_;
  int64_t last_ms_ = NowMs();
};

// Totals of one call.
struct Counts {
  uint64_t scanned = 0;
  uint64_t rewritten = 0;
  uint64_t skipped = 0;
};

// Reads keys through the shards, keys of several SCAN pages at once; see rescan.h for the
// bounds. Each key carries the sequence number of its page, so the caller can tell when every
// key of a page is done.
class KeyPipeline {
 public:
  KeyPipeline(const RescanDeps& deps, TokenBucket* bucket)
      : deps_(deps), bucket_(bucket), state_(std::make_shared<State>()) {}

  void Add(const std::vector<std::string>& keys, uint64_t page) {
    for (const std::string& k : keys) todo_.push_back(Key{k, page, 0, 0});
  }
  // Keys added and not yet submitted (waiting for a slot, a token or a retry).
  size_t waiting() const { return todo_.size() + retries_.size(); }
  bool idle() const { return waiting() == 0 && inflight_ == 0; }

  // Submits what the bounds allow, waits (at most ~100 ms) for completions and accounts them:
  // `done(page)` for every key read or skipped. UNAVAILABLE naming a key that failed
  // kRescanKeyAttemptsMax times; CANCELLED.
  absl::Status Step(Counts* counts, const std::function<void(uint64_t)>& done);

 private:
  struct Key {
    std::string key;
    uint64_t page = 0;
    int attempts = 0;
    int64_t ready_ms = 0;
  };
  struct Result {
    Key key;
    absl::Status status;
  };
  // Shared with the completion callbacks, which may outlive the call.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Result> results ABSL_GUARDED_BY(mu);
  };

  void Submit(Key key);

  const RescanDeps& deps_;
  TokenBucket* const bucket_;
  std::shared_ptr<State> state_;
  std::deque<Key> todo_;
  std::vector<Key> retries_;  // waiting for their ready_ms
  size_t inflight_ = 0;
};

void KeyPipeline::Submit(Key key) {
  core::ClientRequest r;
  r.key = key.key;
  r.change.mutable_read();
  r.query.mutable_none();
  r.deadline_ms = NowMs() + deps_.options->default_deadline_ms;
  const auto& shards = *deps_.shards;
  ++inflight_;
  std::shared_ptr<State> state = state_;
  shards[ShardOfKey(key.key, shards.size())]->Submit(
      std::move(r), [state, key = std::move(key)](core::Completion&& c) mutable {
        {
          std::lock_guard<std::mutex> lock(state->mu);
          state->results.push_back(Result{std::move(key), std::move(c.status)});
        }
        state->cv.notify_one();
      });
}

absl::Status KeyPipeline::Step(Counts* counts, const std::function<void(uint64_t)>& done) {
  if (deps_.cancelled()) return absl::CancelledError("the client cancelled the rescan");
  const size_t inflight_max = deps_.options->rescan_inflight_max;
  const int64_t now = NowMs();
  for (auto it = retries_.begin(); it != retries_.end();) {
    if (it->ready_ms <= now) {
      todo_.push_back(std::move(*it));
      it = retries_.erase(it);
    } else {
      ++it;
    }
  }
  while (!todo_.empty() && inflight_ < inflight_max && bucket_->Take(now)) {
    Submit(std::move(todo_.front()));
    todo_.pop_front();
  }
  // Wait for a completion, a token or a retry, whichever comes first (at most 100 ms, so
  // cancellation is seen).
  int64_t wait_ms = 100;
  if (!todo_.empty() && inflight_ < inflight_max) wait_ms = std::min(wait_ms, bucket_->WaitMs());
  for (const Key& k : retries_) wait_ms = std::min(wait_ms, std::max<int64_t>(1, k.ready_ms - now));
  std::vector<Result> results;
  {
    std::unique_lock<std::mutex> lock(state_->mu);
    if (state_->results.empty() && (inflight_ > 0 || !todo_.empty() || !retries_.empty())) {
      state_->cv.wait_for(lock, std::chrono::milliseconds(wait_ms),
                          [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return !state_->results.empty(); });
    }
    results.swap(state_->results);
  }
  for (Result& r : results) {
    --inflight_;
    if (r.status.ok()) {
      ++counts->rewritten;
      done(r.key.page);
      continue;
    }
    if (!Retryable(r.status.code())) {
      ++counts->skipped;
      Log(LogLevel::kWarning, "rescan: skipped a key that is not a readable register",
          {{"key", r.key.key}, {"error", std::string(r.status.message())}});
      done(r.key.page);
      continue;
    }
    if (++r.key.attempts >= kRescanKeyAttemptsMax) {
      return absl::UnavailableError(absl::StrCat("key '", r.key.key, "' could not be read after ",
                                                 kRescanKeyAttemptsMax, " attempts: ",
                                                 r.status.message()));
    }
    r.key.ready_ms = NowMs() + std::min(kRescanRetryBackoffMaxMs,
                                        kRescanRetryBackoffMs << (r.key.attempts - 1));
    retries_.push_back(std::move(r.key));
  }
  return absl::OkStatus();
}

// The acceptors of rescan_from that connect, by index (null = unreachable; `errors` says why).
std::vector<std::unique_ptr<RedisAdminConnection>> ConnectSources(const v1::QuorumSet& from,
                                                                  const RescanDeps& deps,
                                                                  std::vector<std::string>* errors) {
  std::vector<std::unique_ptr<RedisAdminConnection>> out(from.acceptors_size());
  for (int i = 0; i < from.acceptors_size(); ++i) {
    absl::StatusOr<HostPort> hp = AcceptorHostPort(from.acceptors(i));
    if (!hp.ok()) {
      errors->push_back(std::string(hp.status().message()));
      continue;
    }
    auto c = RedisAdminConnection::Connect(hp->host, hp->port, deps.options->admin_redis_timeout_ms,
                                           deps.options->redis_prefix,
                                           deps.options->redis_credentials);
    if (c.ok()) {
      out[i] = *std::move(c);
    } else {
      errors->push_back(std::string(c.status().message()));
    }
  }
  return out;
}

int IndexOf(const v1::QuorumSet& set, const std::string& address) {
  for (int i = 0; i < set.acceptors_size(); ++i) {
    if (set.acceptors(i) == address) return i;
  }
  return -1;
}

// The sources still to scan, in order: the cursor's current one first (if reachable), then
// reachable ones in config order, until done + plan reach size - quorum + 1.
absl::StatusOr<std::vector<int>> PlanSources(
    const v1::Membership& m, const RescanCursor& cursor,
    const std::vector<std::unique_ptr<RedisAdminConnection>>& conns,
    const std::vector<std::string>& errors) {
  const v1::QuorumSet& from = m.rescan_from();
  std::vector<std::string> reachable;
  if (cursor.current >= 0 && conns[cursor.current]) reachable.push_back(from.acceptors(cursor.current));
  for (int i = 0; i < from.acceptors_size(); ++i) {
    const bool done = std::find(cursor.done.begin(), cursor.done.end(), i) != cursor.done.end();
    if (conns[i] && !done && i != cursor.current) reachable.push_back(from.acceptors(i));
  }
  // Sources already done count as scanned: pretend they are reachable and first.
  std::vector<std::string> with_done;
  for (int i : cursor.done) with_done.push_back(from.acceptors(i));
  with_done.insert(with_done.end(), reachable.begin(), reachable.end());
  absl::StatusOr<std::vector<std::string>> sources = core::RescanSources(m, with_done);
  if (!sources.ok()) {
    if (sources.status().code() == absl::StatusCode::kUnavailable && !errors.empty()) {
      return absl::UnavailableError(absl::StrCat(sources.status().message(), " (",
                                                 absl::StrJoin(errors, "; "), ")"));
    }
    return sources.status();
  }
  std::vector<int> plan;
  for (const std::string& a : *sources) {
    const int i = IndexOf(from, a);
    if (std::find(cursor.done.begin(), cursor.done.end(), i) == cursor.done.end()) plan.push_back(i);
  }
  return plan;
}

class Rescan {
 public:
  Rescan(const v1::RescanRequest& request, const RescanDeps& deps)
      : request_(request),
        deps_(deps),
        bucket_(request.keys_per_second() != 0 ? request.keys_per_second()
                                               : deps.options->rescan_keys_per_second,
                std::max<double>(1, static_cast<double>(deps.options->rescan_inflight_max))),
        start_ms_(NowMs()) {}

  absl::Status Run();

 private:
  absl::Status ScanSource(RedisAdminConnection& conn, int index);
  absl::Status CheckEpoch() const;
  // Sends a progress message (when `force` or a period passed since the last).
  absl::Status Progress(bool force, bool done);
  // `status` with the resume cursor appended, after sending it in a progress message.
  absl::Status Interrupted(const absl::Status& status);

  const v1::RescanRequest& request_;
  const RescanDeps& deps_;
  TokenBucket bucket_;
  const int64_t start_ms_;
  int64_t last_progress_ms_ = 0;
  v1::Membership membership_;
  RescanCursor cursor_;
  uint64_t acceptors_total_ = 0;
  Counts counts_;
};

absl::Status Rescan::CheckEpoch() const {
  const uint64_t running = deps_.membership->epoch();
  if (running != membership_.epoch()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the membership changed from epoch ", membership_.epoch(), " to ", running,
        " during the rescan; start a rescan of the running epoch (empty cursor)"));
  }
  return absl::OkStatus();
}

absl::Status Rescan::Progress(bool force, bool done) {
  const int64_t now = NowMs();
  if (!force && now - last_progress_ms_ < kRescanProgressPeriodMs) return absl::OkStatus();
  last_progress_ms_ = now;
  v1::RescanProgress p;
  p.set_keys_scanned(counts_.scanned);
  p.set_keys_rewritten(counts_.rewritten);
  p.set_keys_skipped(counts_.skipped);
  p.set_acceptors_total(acceptors_total_);
  p.set_acceptors_done(cursor_.done.size());
  p.set_cursor(FormatRescanCursor(cursor_));
  p.set_done(done);
  const double seconds = std::max<double>(0.001, (now - start_ms_) / 1000.0);
  p.set_keys_per_second(counts_.rewritten / seconds);
  if (!deps_.write(p)) return absl::CancelledError("the client went away");
  return absl::OkStatus();
}

absl::Status Rescan::Interrupted(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kCancelled) return status;
  (void)Progress(/*force=*/true, /*done=*/false);
  const std::string cursor = FormatRescanCursor(cursor_);
  Log(LogLevel::kWarning, "rescan interrupted",
      {{"error", std::string(status.message())}, {"cursor", cursor}});
  return absl::Status(status.code(),
                      absl::StrCat(status.message(), "; resume with cursor ", cursor));
}

absl::Status Rescan::ScanSource(RedisAdminConnection& conn, int index) {
  if (cursor_.current != index) {
    cursor_.current = index;
    cursor_.scan_cursor = "0";
  }
  const size_t inflight_max = deps_.options->rescan_inflight_max;
  const int count_hint = static_cast<int>(
      std::clamp<size_t>(inflight_max, 100, static_cast<size_t>(acceptor::kScanCountMax)));
  // Pages whose keys are being read, oldest first: the SCAN cursor after each, keys not done.
  struct Page {
    std::string next_cursor;
    size_t remaining = 0;
  };
  std::deque<Page> pages;
  uint64_t first_page = 0;  // sequence number of pages.front()
  std::string scan = cursor_.scan_cursor;
  bool scanned_all = false;
  KeyPipeline pipeline(deps_, &bucket_);
  auto done = [&](uint64_t page) { --pages[page - first_page].remaining; };
  while (!scanned_all || !pipeline.idle()) {
    // Keep the pipeline fed: the next page is fetched while fewer keys wait than one bound.
    if (!scanned_all && pipeline.waiting() < inflight_max) {
      if (absl::Status s = CheckEpoch(); !s.ok()) return s;
      absl::StatusOr<acceptor::ScanPage> page = absl::UnknownError("not scanned");
      for (int attempt = 1; attempt <= kRescanScanAttemptsMax; ++attempt) {
        page = conn.Scan(scan, count_hint);
        if (page.ok() || deps_.cancelled()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(
            std::min(kRescanRetryBackoffMaxMs, kRescanRetryBackoffMs << (attempt - 1))));
      }
      if (!page.ok()) {
        return absl::UnavailableError(absl::StrCat("SCAN failed ", kRescanScanAttemptsMax,
                                                   " times: ", page.status().message()));
      }
      counts_.scanned += page->keys.size();
      pipeline.Add(page->keys, first_page + pages.size());
      pages.push_back(Page{page->next_cursor, page->keys.size()});
      scan = page->next_cursor;
      scanned_all = scan == "0";
    }
    const Counts before = counts_;
    absl::Status s = pipeline.Step(&counts_, done);
    if (deps_.metrics != nullptr) {
      deps_.metrics->RecordRescanKeys(RescanResult::kRewritten, counts_.rewritten - before.rewritten);
      deps_.metrics->RecordRescanKeys(RescanResult::kSkipped, counts_.skipped - before.skipped);
      if (!s.ok() && s.code() != absl::StatusCode::kCancelled) {
        deps_.metrics->RecordRescanKeys(RescanResult::kFailed, 1);
      }
    }
    if (!s.ok()) return s;
    // The cursor moves past every page whose keys, and all earlier pages' keys, are done.
    while (!pages.empty() && pages.front().remaining == 0) {
      if (pages.front().next_cursor != "0") cursor_.scan_cursor = pages.front().next_cursor;
      pages.pop_front();
      ++first_page;
    }
    if (absl::Status p = Progress(false, false); !p.ok()) return p;
  }
  cursor_.done.push_back(index);
  cursor_.current = -1;
  cursor_.scan_cursor = "0";
  return absl::OkStatus();
}

absl::Status Rescan::Run() {
  std::shared_ptr<const AppliedMembership> running = deps_.membership->Current();
  membership_ = running->membership;
  if (request_.expected_epoch() != 0 && request_.expected_epoch() != membership_.epoch()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "expected_epoch ", request_.expected_epoch(), " is not the running epoch ",
        membership_.epoch(), " (", core::DescribeMembership(membership_), ")"));
  }
  const v1::QuorumSet& from = membership_.rescan_from();
  if (from.acceptors().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no rescan is pending in the running configuration (", core::DescribeMembership(membership_), ")"));
  }
  if (!request_.cursor().empty()) {
    absl::StatusOr<RescanCursor> c = ParseRescanCursor(request_.cursor(), from.acceptors_size());
    if (!c.ok()) return c.status();
    if (c->epoch != membership_.epoch()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the cursor belongs to epoch ", c->epoch, " but the proposer runs epoch ",
          membership_.epoch(), "; start over with an empty cursor"));
    }
    cursor_ = *std::move(c);
  }
  cursor_.epoch = membership_.epoch();
  std::vector<std::string> errors;
  std::vector<std::unique_ptr<RedisAdminConnection>> conns = ConnectSources(from, deps_, &errors);
  absl::StatusOr<std::vector<int>> plan = PlanSources(membership_, cursor_, conns, errors);
  if (!plan.ok()) return plan.status();
  acceptors_total_ = cursor_.done.size() + plan->size();
  Log(LogLevel::kInfo, "rescan started",
      {{"epoch", absl::StrCat(membership_.epoch())},
       {"cursor", FormatRescanCursor(cursor_)},
       {"sources", absl::StrCat(acceptors_total_)},
       {"keys_per_second", absl::StrCat(request_.keys_per_second() != 0
                                            ? request_.keys_per_second()
                                            : deps_.options->rescan_keys_per_second)}});
  if (absl::Status p = Progress(true, false); !p.ok()) return p;
  for (int index : *plan) {
    if (absl::Status s = ScanSource(*conns[index], index); !s.ok()) return Interrupted(s);
  }
  if (absl::Status s = CheckEpoch(); !s.ok()) return Interrupted(s);
  Log(LogLevel::kInfo, "rescan done",
      {{"epoch", absl::StrCat(membership_.epoch())},
       {"keys_scanned", absl::StrCat(counts_.scanned)},
       {"keys_rewritten", absl::StrCat(counts_.rewritten)},
       {"keys_skipped", absl::StrCat(counts_.skipped)},
       {"seconds", absl::StrCat((NowMs() - start_ms_) / 1000.0)}});
  return Progress(true, true);
}

}  // namespace

std::string FormatRescanCursor(const RescanCursor& c) {
  return absl::StrCat("v1:", c.epoch, ":", c.done.empty() ? "-" : absl::StrJoin(c.done, "."), ":",
                      c.current < 0 ? "-" : absl::StrCat(c.current), ":", c.scan_cursor);
}

absl::StatusOr<RescanCursor> ParseRescanCursor(absl::string_view text, int sources) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rescan cursor '", text.substr(0, 200), "' is not valid: ", why,
        " (pass the cursor of a progress message unchanged, or empty to start)"));
  };
  if (text.size() > kRescanCursorBytesMax) {
    return bad(absl::StrCat("longer than ", kRescanCursorBytesMax, " bytes"));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  if (parts.size() != 5 || parts[0] != "v1") return bad("expected v1:EPOCH:DONE:CURRENT:SCANCURSOR");
  RescanCursor c;
  if (!absl::SimpleAtoi(parts[1], &c.epoch)) return bad("the epoch is not a number");
  auto index = [&](absl::string_view s, int* out) {
    return absl::SimpleAtoi(s, out) && *out >= 0 && *out < sources;
  };
  if (parts[2] != "-") {
    for (absl::string_view d : absl::StrSplit(parts[2], '.')) {
      int i = 0;
      if (!index(d, &i)) return bad(absl::StrCat("'", d, "' is not a source index in 0..", sources - 1));
      if (std::find(c.done.begin(), c.done.end(), i) != c.done.end()) {
        return bad(absl::StrCat("source ", i, " is listed twice"));
      }
      c.done.push_back(i);
    }
  }
  if (parts[3] != "-") {
    if (!index(parts[3], &c.current)) {
      return bad(absl::StrCat("'", parts[3], "' is not a source index in 0..", sources - 1));
    }
    if (std::find(c.done.begin(), c.done.end(), c.current) != c.done.end()) {
      return bad(absl::StrCat("source ", c.current, " is both done and current"));
    }
  }
  uint64_t scan = 0;
  if (!absl::SimpleAtoi(parts[4], &scan) || parts[4].empty() ||
      !std::all_of(parts[4].begin(), parts[4].end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return bad("the SCAN cursor is not a decimal number");
  }
  if (c.current < 0 && scan != 0) return bad("a SCAN cursor without a current source");
  c.scan_cursor = std::string(parts[4]);
  return c;
}

absl::Status RunRescan(const v1::RescanRequest& request, const RescanDeps& deps) {
  Rescan rescan(request, deps);
  return rescan.Run();
}

}  // namespace gryadka::server
