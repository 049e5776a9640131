#include "client/ctl_output.h"

#include <cstdint>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/shared/json_string.h"
#include "client/utf8.h"

namespace gryadka::ctl {
namespace {

// A JSON string literal of `bytes` (client/shared/json_string.h takes a std::string_view).
std::string Json(absl::string_view bytes) {
  return JsonString(std::string_view(bytes.data(), bytes.size()));
}

// The fields every record-bearing JSON answer carries: value (when UTF-8), value_base64, version.
std::string JsonRecordFields(const Record& record) {
  std::string out;
  if (client::IsValidUtf8(record.value)) {
    absl::StrAppend(&out, ",\"value\":", Json(record.value));
  }
  absl::StrAppend(&out, ",\"value_base64\":\"", absl::Base64Escape(record.value),
                  "\",\"version\":", record.version);
  return out;
}

std::string HumanRecord(absl::string_view key, const Record& record) {
  return absl::StrCat(DisplayKey(key), " = ", Quoted(record.value), " (version ",
                      record.version, ")");
}

std::string VersionMismatch(uint64_t version, uint64_t expected) {
  return absl::StrCat("not applied: version is ", version, version == 0 ? " (absent)" : "",
                      ", expected ", expected);
}

}  // namespace

std::string Quoted(absl::string_view bytes) { return absl::StrCat("\"", EscapeBytes(bytes), "\""); }

std::string DisplayKey(absl::string_view key) {
  bool plain = !key.empty();
  for (char c : key) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || c == '"' || c == '\\' || c == '=') plain = false;
  }
  return plain ? std::string(key) : Quoted(key);
}

std::string FormatGet(absl::string_view key, const GetResult& result, bool json) {
  if (json) {
    return absl::StrCat("{\"key\":", Json(key), ",\"found\":",
                        result.found ? "true" : "false", JsonRecordFields(result.record), "}");
  }
  if (!result.found) return absl::StrCat(DisplayKey(key), ": not found");
  return HumanRecord(key, result.record);
}

std::string FormatChange(absl::string_view command, absl::string_view key,
                         std::optional<uint64_t> expected_version, const ChangeResult& result,
                         bool json) {
  if (json) {
    std::string out = absl::StrCat("{\"key\":", Json(key), ",\"applied\":",
                                   result.applied ? "true" : "false");
    if (expected_version.has_value()) {
      absl::StrAppend(&out, ",\"expected_version\":", *expected_version);
    }
    absl::StrAppend(&out, JsonRecordFields(result.record), "}");
    return out;
  }
  if (!result.applied) {
    return expected_version.has_value()
               ? VersionMismatch(result.record.version, *expected_version)
               : absl::StrCat("not applied: ", HumanRecord(key, result.record));
  }
  if (command == "del") return absl::StrCat(DisplayKey(key), ": deleted");
  return HumanRecord(key, result.record);
}

std::string FormatIncrement(absl::string_view key, int64_t delta, const IncrementResult& result,
                            bool json) {
  if (json) {
    std::string out = absl::StrCat("{\"key\":", Json(key), ",\"applied\":",
                                   result.applied ? "true" : "false", ",\"delta\":", delta);
    if (result.applied) absl::StrAppend(&out, ",\"number\":", result.value);
    absl::StrAppend(&out, JsonRecordFields(result.record), "}");
    return out;
  }
  if (!result.applied) {
    return absl::StrCat("not applied: ", HumanRecord(key, result.record),
                        " is not a decimal int64, or adding ", delta, " would overflow");
  }
  return absl::StrCat(DisplayKey(key), " = ", result.value, " (version ",
                      result.record.version, ")");
}

std::string FormatHealth(const std::vector<TargetHealth>& targets, bool json) {
  std::vector<std::string> parts;
  bool healthy = true;
  for (const TargetHealth& t : targets) {
    healthy = healthy && t.status.ok();
    if (json) {
      parts.push_back(absl::StrCat(
          "{\"target\":", Json(t.target), ",\"serving_status\":",
          Json(t.serving_status), ",\"code\":",
          Json(absl::StatusCodeToString(t.status.code())), ",\"message\":",
          Json(t.status.message()),
          "}"));
    } else if (t.status.ok()) {
      parts.push_back(absl::StrCat(t.target, ": ", t.serving_status));
    } else {
      parts.push_back(absl::StrCat(t.target, ": ", EscapeBytes(t.status.ToString())));
    }
  }
  if (json) {
    return absl::StrCat("{\"healthy\":", healthy ? "true" : "false", ",\"targets\":[",
                        absl::StrJoin(parts, ","), "]}");
  }
  return absl::StrJoin(parts, "\n");
}

}  // namespace gryadka::ctl
