// The log of every event of a run, as text lines "<time_us> <what happened>", folded into a
// 64-bit digest (FNV-1a). It can keep the lines (--record), print them (--trace), or compare
// each line with a recorded log and remember the first difference (--replay). Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace gryadka::sim {

class EventLog {
 public:
  void Add(int64_t now_us, absl::string_view what);

  uint64_t digest() const { return digest_; }
  uint64_t lines() const { return lines_; }

  void set_trace(bool on) { trace_ = on; }
  void StartRecording() { recording_ = true; }
  const std::vector<std::string>& recorded() const { return recorded_; }

  // Compares every later line with `expected` (a recorded log of the same run).
  void StartReplay(std::vector<std::string> expected);
  // True once a line differed from the recording (or the run logged more lines than it has).
  bool diverged() const { return !divergence_.empty(); }
  // The first difference: line number, the recorded line and the line of this run.
  const std::string& divergence() const { return divergence_; }
  // After the run: true if the recording has lines this run never logged.
  bool replay_incomplete() const { return replaying_ && lines_ < expected_.size(); }

 private:
  uint64_t digest_ = 0xcbf29ce484222325ULL;
  uint64_t lines_ = 0;
  bool trace_ = false;
  bool recording_ = false;
  bool replaying_ = false;
  std::vector<std::string> recorded_;
  std::vector<std::string> expected_;
  std::string divergence_;
};

}  // namespace gryadka::sim
