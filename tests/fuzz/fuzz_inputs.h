// The byte layouts the fuzz targets read, shared by the targets and by the seed-corpus writer
// (make_corpus.cc), so a seed means what its name says. Pure functions; thread-safe.
//
// Layouts (all integers little-endian; a short input reads as if padded with zero bytes):
//   ops:      [0] key limit (0 = default 1024)  [1] value limit (0 = default 1 MiB)
//             [2..9] record version  [10] n  [11..11+n) record value
//             [rest] a serialized gryadka.v1.ChangeQueryRequest
//   register: [0] flags (kRegisterFirstAcceptFails, kRegisterZeroBallots)
//             [1..2] n  [3..3+n) a serialized gryadka.v1.ChangeQueryRequest
//             [rest] the StoredRegister bytes an acceptor returns in its prepare reply
//   redis:    raw RESP bytes as a Redis server sends them
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gryadka::fuzz {

// Reads bytes from the front of an input; past its end every read yields zeros / empty.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  uint8_t U8() {
    if (pos_ >= data_.size()) return 0;
    return static_cast<uint8_t>(data_[pos_++]);
  }
  uint64_t U64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(U8()) << (8 * i);
    return v;
  }
  uint16_t U16() { return static_cast<uint16_t>(U8() | (U8() << 8)); }
  std::string_view Bytes(size_t n) {
    const size_t start = pos_ < data_.size() ? pos_ : data_.size();
    const std::string_view out = data_.substr(start, n);
    pos_ = start + out.size();
    return out;
  }
  std::string_view Rest() { return Bytes(data_.size()); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

inline void PutU64(uint64_t v, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// ---- ops ----
struct OpsInput {
  uint8_t key_limit = 0;    // 0 = the default limit
  uint8_t value_limit = 0;  // 0 = the default limit
  uint64_t version = 0;
  std::string value;        // at most 255 bytes
  std::string request;      // serialized ChangeQueryRequest
};

inline OpsInput DecodeOps(std::string_view data) {
  ByteReader r(data);
  OpsInput in;
  in.key_limit = r.U8();
  in.value_limit = r.U8();
  in.version = r.U64();
  in.value = std::string(r.Bytes(r.U8()));
  in.request = std::string(r.Rest());
  return in;
}

inline std::string EncodeOps(const OpsInput& in) {
  std::string out;
  out.push_back(static_cast<char>(in.key_limit));
  out.push_back(static_cast<char>(in.value_limit));
  PutU64(in.version, &out);
  const size_t n = in.value.size() < 255 ? in.value.size() : 255;
  out.push_back(static_cast<char>(n));
  out.append(in.value, 0, n);
  out.append(in.request);
  return out;
}

// ---- register ----
inline constexpr uint64_t kRegisterProposerId = 0x5eed;  // the fuzzed proposer's id
inline constexpr uint8_t kRegisterFirstAcceptFails = 1;  // the first accept reaches no quorum
inline constexpr uint8_t kRegisterZeroBallots = 2;       // prepare replies carry zero ballots

struct RegisterInput {
  uint8_t flags = 0;
  std::string request;  // serialized ChangeQueryRequest, at most 65535 bytes
  std::string stored;   // StoredRegister bytes
};

inline RegisterInput DecodeRegister(std::string_view data) {
  ByteReader r(data);
  RegisterInput in;
  in.flags = r.U8();
  in.request = std::string(r.Bytes(r.U16()));
  in.stored = std::string(r.Rest());
  return in;
}

inline std::string EncodeRegister(const RegisterInput& in) {
  std::string out;
  out.push_back(static_cast<char>(in.flags));
  const size_t n = in.request.size() < 65535 ? in.request.size() : 65535;
  out.push_back(static_cast<char>(n & 0xff));
  out.push_back(static_cast<char>(n >> 8));
  out.append(in.request, 0, n);
  out.append(in.stored);
  return out;
}

}  // namespace gryadka::fuzz
