// Test-only helpers that write protobuf wire bytes by hand, for requests that protobuf's own
// serializer would never produce (truncated lengths, invalid tags and wire types, fields a
// message does not have). Each returns the encoded bytes; none validates its arguments, so that
// tests can encode what is wrong on purpose (e.g. field 0). Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace gryadka::wire_bytes {

// `v` as a base-128 varint, least significant group first.
inline std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
// The key of a field: (field << 3) | wire_type, as a varint.
inline std::string Tag(int field, int wire_type) {
  return Varint((uint64_t(field) << 3) | wire_type);
}
// A length-delimited field (wire type 2): bytes, a string or an embedded message.
inline std::string Bytes(int field, const std::string& payload) {
  return Tag(field, 2) + Varint(payload.size()) + payload;
}
// A varint field (wire type 0).
inline std::string VarintField(int field, uint64_t v) { return Tag(field, 0) + Varint(v); }

}  // namespace gryadka::wire_bytes
