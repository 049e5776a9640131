#include "proposer/core/promise_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace gryadka::core {

size_t PromiseCache::EntryBytes(const std::string& key, const internal::StoredRegister& reg) {
  return 2 * key.size() + reg.value().size() + 48 * static_cast<size_t>(reg.writers_size()) +
         kCacheEntryOverheadBytes;
}

std::optional<CachedPromise> PromiseCache::Take(const std::string& key, uint64_t epoch) {
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  CachedPromise e = std::move(*it->second);
  bytes_ -= e.bytes;
  lru_.erase(it->second);
  index_.erase(it);
  if (e.epoch != epoch) return std::nullopt;
  return e;
}

size_t PromiseCache::Put(CachedPromise entry) {
  if (entries_max_ == 0) return 0;
  Take(entry.key, entry.epoch);
  entry.bytes = EntryBytes(entry.key, entry.reg);
  bytes_ += entry.bytes;
  lru_.push_front(std::move(entry));
  index_[lru_.front().key] = lru_.begin();
  return EvictOverBounds();
}

size_t PromiseCache::EvictOverBounds() {
  size_t evicted = 0;
  while (!lru_.empty() && (lru_.size() > entries_max_ || bytes_ > bytes_max_)) {
    CachedPromise& victim = lru_.back();
    bytes_ -= victim.bytes;
    index_.erase(victim.key);
    lru_.pop_back();
    ++evicted;
  }
  return evicted;
}

void PromiseCache::Clear() {
  index_.clear();
  lru_.clear();
  bytes_ = 0;
}

size_t PromiseCache::SetBounds(size_t entries_max, size_t bytes_max) {
  entries_max_ = entries_max;
  bytes_max_ = bytes_max;
  return EvictOverBounds();
}

absl::Status PromiseCache::CheckInvariants(uint64_t epoch_max) const {
  if (index_.size() != lru_.size()) {
    return absl::InternalError(absl::StrCat("promise cache: index has ", index_.size(),
                                            " keys, list has ", lru_.size(), " entries"));
  }
  size_t sum = 0;
  for (auto it = lru_.begin(); it != lru_.end(); ++it) {
    auto found = index_.find(it->key);
    if (found == index_.end() || found->second != it) {
      return absl::InternalError(
          absl::StrCat("promise cache: entry for key '", it->key, "' is not indexed"));
    }
    if (it->bytes != EntryBytes(it->key, it->reg)) {
      return absl::InternalError(absl::StrCat("promise cache: entry for key '", it->key,
                                              "' counts ", it->bytes, " bytes, should be ",
                                              EntryBytes(it->key, it->reg)));
    }
    if (it->epoch > epoch_max) {
      return absl::InternalError(absl::StrCat("promise cache: entry for key '", it->key,
                                              "' of epoch ", it->epoch, ", above ", epoch_max));
    }
    sum += it->bytes;
  }
  if (sum != bytes_) {
    return absl::InternalError(
        absl::StrCat("promise cache: byte total ", bytes_, " but entries sum to ", sum));
  }
  if (lru_.size() > entries_max_ || bytes_ > bytes_max_) {
    return absl::InternalError(absl::StrCat("promise cache: ", lru_.size(), " entries of ",
                                            bytes_, " bytes, over its bounds of ", entries_max_,
                                            " entries and ", bytes_max_, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace gryadka::core
