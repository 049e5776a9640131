#include "tests/chaos/workload.h"

#include <random>
#include <unordered_map>

#include "absl/strings/str_cat.h"

namespace gryadka::chaos {

absl::Status ParseAffinity(const std::string& text, Affinity* out) {
  if (text == "on") *out = Affinity::kAffinity;
  else if (text == "off") *out = Affinity::kBound;
  else if (text == "mixed") *out = Affinity::kMixed;
  else return absl::InvalidArgumentError(absl::StrCat("--affinity is '", text, "', must be on, off or mixed"));
  return absl::OkStatus();
}

const char* AffinityName(Affinity a) {
  switch (a) {
    case Affinity::kAffinity: return "on";
    case Affinity::kBound: return "off";
    case Affinity::kMixed: return "mixed";
  }
  return "?";
}

std::string Workload::HotKey(int i) { return absl::StrCat("hot", i); }
std::string Workload::ColdKey(int i) { return absl::StrCat("cold", i); }

Workload::Workload(WorkloadOptions options, std::vector<std::string> targets, Recorder* recorder)
    : options_(options), targets_(std::move(targets)), recorder_(recorder) {}

Workload::~Workload() { Stop(); }

std::unique_ptr<Client> Workload::MakeClient(std::vector<std::string> targets) const {
  ClientOptions o;
  o.targets = std::move(targets);
  o.default_deadline_ms = options_.call_deadline_ms;
  o.reconnect_backoff_max_ms = options_.reconnect_backoff_max_ms;
  auto c = Client::Create(o);
  return c.ok() ? *std::move(c) : nullptr;
}

absl::Status Workload::Start() {
  shared_ = MakeClient(targets_);
  if (shared_ == nullptr) return absl::InternalError("cannot create a client over all proposers");
  std::mt19937_64 rng(options_.seed ^ 0x5eedc11e);
  for (int c = 0; c < options_.clients; ++c) {
    const bool affinity = options_.affinity == Affinity::kAffinity ||
                          (options_.affinity == Affinity::kMixed && c % 2 == 0);
    const int p = affinity ? -1 : static_cast<int>(rng() % targets_.size());
    bound_.push_back(p);
    clients_.push_back(affinity ? nullptr : MakeClient({targets_[p]}));
    if (!affinity && clients_.back() == nullptr) return absl::InternalError("cannot create a client");
  }
  for (int c = 0; c < options_.clients; ++c) threads_.emplace_back([this, c] { Run(c); });
  return absl::OkStatus();
}

void Workload::Stop() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Workload::Run(int c) {
  const Client& client = clients_[c] != nullptr ? *clients_[c] : *shared_;
  std::mt19937_64 rng(options_.seed * 1000003 + c);
  std::unordered_map<std::string, uint64_t> seen_version;  // last version this thread saw
  v1::QueryOp record_query;
  record_query.mutable_record();
  for (uint64_t seq = 1; !stop_ && !recorder_->full(); ++seq) {
    const bool hot = static_cast<int>(rng() % 100) < options_.hot_percent;
    const std::string key = hot ? HotKey(static_cast<int>(rng() % options_.hot_keys))
                                : ColdKey(static_cast<int>(rng() % options_.cold_keys));
    v1::ChangeOp change;
    const int dice = static_cast<int>(rng() % 100);
    if (dice < options_.read_percent) {
      change.mutable_read();
    } else if (dice < options_.read_percent + (100 - options_.read_percent) / 2) {
      change.mutable_compare_and_set()->set_expected_version(seen_version[key]);
      // Unique decimal values, so increments apply on top of them.
      change.mutable_compare_and_set()->set_value(absl::StrCat(int64_t{c + 1} * 1'000'000'000 + seq));
    } else {
      change.mutable_increment()->set_delta(1);
    }
    const uint64_t id = recorder_->Invoke(c, key, change, record_query);
    const auto result = client.ChangeQuery(key, change, record_query);
    recorder_->Complete(id, result);
    calls_++;
    if (result.ok() && result->record.has_value()) seen_version[key] = result->record->version;
  }
}

std::vector<std::string> Workload::Keys() const {
  std::vector<std::string> keys;
  for (int i = 0; i < options_.hot_keys; ++i) keys.push_back(HotKey(i));
  for (int i = 0; i < options_.cold_keys; ++i) keys.push_back(ColdKey(i));
  return keys;
}

std::vector<uint64_t> Workload::ReadAll(int threads, int attempts_max) {
  const std::vector<std::string> keys = Keys();
  std::vector<uint64_t> ids(keys.size(), 0);
  v1::ChangeOp read;
  read.mutable_read();
  v1::QueryOp record_query;
  record_query.mutable_record();
  std::vector<std::thread> readers;
  for (int t = 0; t < threads; ++t) {
    readers.emplace_back([&, t] {
      for (size_t k = t; k < keys.size(); k += threads) {
        for (int attempt = 0; attempt < attempts_max; ++attempt) {
          const uint64_t id = recorder_->Invoke(options_.clients, keys[k], read, record_query);
          const auto result = shared_->ChangeQuery(keys[k], read, record_query);
          recorder_->Complete(id, result);
          ids[k] = id;
          if (result.ok()) break;
        }
      }
    });
  }
  for (auto& r : readers) r.join();
  return ids;
}

}  // namespace gryadka::chaos
