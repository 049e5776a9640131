#include "client/shared/json_string.h"

#include <cstdio>

#include "absl/strings/string_view.h"
#include "client/utf8.h"

namespace gryadka {
namespace {

void AppendUnicodeEscape(std::string* out, uint32_t code_point) {
  char buf[8];  // "\uXXXX" and the terminating NUL; every escaped code point is in the BMP
  std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(code_point));
  out->append(buf);
}

// Appends one valid UTF-8 sequence `sequence` that encodes `code_point`.
void AppendCodePoint(std::string* out, std::string_view sequence, uint32_t code_point) {
  switch (code_point) {
    case '"': out->append("\\\""); return;
    case '\\': out->append("\\\\"); return;
    case '\n': out->append("\\n"); return;
    case '\r': out->append("\\r"); return;
    case '\t': out->append("\\t"); return;
    default: break;
  }
  if (IsTerminalUnsafeCodePoint(code_point)) {
    AppendUnicodeEscape(out, code_point);
  } else {
    out->append(sequence);
  }
}

}  // namespace

bool IsTerminalUnsafeCodePoint(uint32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||  // C0, DEL, C1 controls
         cp == 0x2028 || cp == 0x2029 ||                           // line/paragraph separators
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||  // bidi controls
         cp == 0xFEFF;                                                        // BOM
}

void AppendJsonString(std::string* out, std::string_view bytes) {
  out->reserve(out->size() + bytes.size() + 2);
  out->push_back('"');
  while (!bytes.empty()) {
    uint32_t code_point = 0;
    const size_t length =
        client::DecodeUtf8(absl::string_view(bytes.data(), bytes.size()), &code_point);
    if (length == 0) {
      out->append("\\ufffd");  // a byte that starts no valid sequence
      bytes.remove_prefix(1);
      continue;
    }
    AppendCodePoint(out, bytes.substr(0, length), code_point);
    bytes.remove_prefix(length);
  }
  out->push_back('"');
}

std::string JsonString(std::string_view bytes) {
  std::string out;
  AppendJsonString(&out, bytes);
  return out;
}

std::string EscapeBytes(absl::string_view bytes) {
  std::string out;
  while (!bytes.empty()) {
    uint32_t cp = 0;
    const size_t length = client::DecodeUtf8(bytes, &cp);
    if (length > 0 && !IsTerminalUnsafeCodePoint(cp)) {
      if (cp == '"' || cp == '\\') out.push_back('\\');
      out.append(bytes.data(), length);
      bytes.remove_prefix(length);
      continue;
    }
    const size_t skip = length > 0 ? length : 1;  // an unsafe sequence, or one invalid byte
    for (size_t i = 0; i < skip; ++i) {
      const unsigned char c = static_cast<unsigned char>(bytes[i]);
      if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else {
        char hex[8];
        std::snprintf(hex, sizeof(hex), "\\x%02x", c);
        out += hex;
      }
    }
    bytes.remove_prefix(skip);
  }
  return out;
}

}  // namespace gryadka
