#include "tests/sim/event_log.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace gryadka::sim {

void EventLog::Add(int64_t now_us, absl::string_view what) {
  std::string line = absl::StrCat(now_us, " ", what);
  for (unsigned char c : line) {
    digest_ = (digest_ ^ c) * 0x100000001b3ULL;
  }
  digest_ = (digest_ ^ '\n') * 0x100000001b3ULL;
  if (trace_) std::printf("  %s\n", line.c_str());
  if (replaying_ && divergence_.empty()) {
    if (lines_ >= expected_.size()) {
      divergence_ = absl::StrCat("event ", lines_ + 1,
                                 ": the recording ends here; this run logged\n  ", line);
    } else if (expected_[lines_] != line) {
      divergence_ = absl::StrCat("event ", lines_ + 1, " differs:\n  recorded: ", expected_[lines_],
                                 "\n  this run: ", line);
    }
  }
  ++lines_;
  if (recording_) recorded_.push_back(std::move(line));
}

void EventLog::StartReplay(std::vector<std::string> expected) {
  replaying_ = true;
  expected_ = std::move(expected);
}

}  // namespace gryadka::sim
