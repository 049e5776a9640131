#include "proposer/server/request_wire.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/utf8.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/wire_format.h"
#include "google/protobuf/wire_format_lite.h"

namespace gryadka::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::UnknownField;
using google::protobuf::internal::WireFormat;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

const char* WireTypeName(int wire_type) {
  switch (wire_type) {
    case WireFormatLite::WIRETYPE_VARINT: return "varint";
    case WireFormatLite::WIRETYPE_FIXED64: return "64-bit";
    case WireFormatLite::WIRETYPE_LENGTH_DELIMITED: return "length-delimited";
    case WireFormatLite::WIRETYPE_START_GROUP: return "group";
    case WireFormatLite::WIRETYPE_END_GROUP: return "end-group";
    case WireFormatLite::WIRETYPE_FIXED32: return "32-bit";
  }
  return "invalid";
}

int UnknownWireType(const UnknownField& f) {
  switch (f.type()) {
    case UnknownField::TYPE_VARINT: return WireFormatLite::WIRETYPE_VARINT;
    case UnknownField::TYPE_FIXED32: return WireFormatLite::WIRETYPE_FIXED32;
    case UnknownField::TYPE_FIXED64: return WireFormatLite::WIRETYPE_FIXED64;
    case UnknownField::TYPE_LENGTH_DELIMITED: return WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
    case UnknownField::TYPE_GROUP: return WireFormatLite::WIRETYPE_START_GROUP;
  }
  return -1;
}

// "the request (gryadka.v1.PutRequest)" or "change.put (gryadka.v1.PutOp)".
std::string Where(const std::string& path, const Descriptor* d) {
  return absl::StrCat(path.empty() ? "the request" : path, " (", d->full_name(), ")");
}

std::string Join(const std::string& path, const FieldDescriptor* f) {
  return path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
}

absl::Status Malformed(size_t offset, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(
      "request is not valid protobuf wire format: ", what, " at byte offset ", offset,
      " of the request"));
}

// Walks the fields of `wire` (a message of type `d` starting at byte `base` of the request):
// every field must be well-formed, every string field UTF-8; known message fields are walked
// too. Unknown fields are only skipped here (CheckUnknownFields names them after the parse).
absl::Status Scan(absl::string_view wire, const Descriptor* d, const std::string& path,
                  size_t base) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(wire.data()), static_cast<int>(wire.size()));
  for (;;) {
    const size_t at = static_cast<size_t>(in.CurrentPosition());
    if (at == wire.size()) return absl::OkStatus();
    const uint32_t tag = in.ReadTag();
    const int number = static_cast<int>(WireFormatLite::GetTagFieldNumber(tag));
    if (tag == 0 || number == 0) return Malformed(base + at, "invalid field tag");
    const int wire_type = WireFormatLite::GetTagWireType(tag);
    const FieldDescriptor* f = d->FindFieldByNumber(number);
    const bool walk = f != nullptr && wire_type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED &&
                      (f->type() == FieldDescriptor::TYPE_STRING ||
                       f->type() == FieldDescriptor::TYPE_MESSAGE);
    if (!walk) {
      if (!WireFormatLite::SkipField(&in, tag)) {
        return Malformed(base + at, absl::StrCat("field ", number, " (", WireTypeName(wire_type),
                                                 ") in ", Where(path, d), " is truncated or invalid"));
      }
      continue;
    }
    uint32_t length = 0;
    if (!in.ReadVarint32(&length) || length > wire.size() - static_cast<size_t>(in.CurrentPosition())) {
      return Malformed(base + at, absl::StrCat("field ", number, " (", Join(path, f),
                                               ") has a length that runs past the end of its message"));
    }
    const size_t payload = static_cast<size_t>(in.CurrentPosition());
    const absl::string_view bytes = wire.substr(payload, length);
    in.Skip(static_cast<int>(length));
    if (f->type() == FieldDescriptor::TYPE_STRING) {
      if (auto bad = FirstInvalidUtf8Offset(bytes)) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s is not valid UTF-8: byte 0x%02x at offset %d of the %s (%d bytes) does not start "
            "a valid sequence; keys are proto3 strings (UTF-8 text): encode binary keys, e.g. "
            "as hex or base64",
            Join(path, f), static_cast<unsigned char>(bytes[*bad]), *bad, f->name(), bytes.size()));
      }
    } else if (absl::Status s = Scan(bytes, f->message_type(), Join(path, f), base + payload);
               !s.ok()) {
      return s;
    }
  }
}

// Names the first field protobuf kept as "unknown": a number this server does not know, or a
// known number sent with another wire type. A oneof container (ChangeOp, QueryOp) with nothing
// set and only unknown numbers is left to core::ValidateRequest (it lists the known ops).
absl::Status CheckUnknownFields(const Message& m, const std::string& path) {
  const Descriptor* d = m.GetDescriptor();
  const auto* reflection = m.GetReflection();
  const auto& unknown = reflection->GetUnknownFields(m);
  // Real oneofs come before synthetic ones (proto3 `optional`), so oneof_decl(0) is the op oneof.
  const bool oneof_unset =
      d->real_oneof_decl_count() == 1 && !reflection->HasOneof(m, d->oneof_decl(0));
  for (int i = 0; i < unknown.field_count(); ++i) {
    const UnknownField& u = unknown.field(i);
    const FieldDescriptor* known = d->FindFieldByNumber(u.number());
    if (known != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "field ", u.number(), " (", Join(path, known), ") in ", Where(path, d), " was sent as ",
          WireTypeName(UnknownWireType(u)), "; its type is ", known->type_name(), " (",
          WireTypeName(WireFormat::WireTypeForField(known)), ")"));
    }
    if (!oneof_unset) {
      return absl::InvalidArgumentError(absl::StrCat(
          "field ", u.number(), " (", WireTypeName(UnknownWireType(u)), ") in ", Where(path, d),
          " is unknown to this server (a newer client?); nothing was written"));
    }
  }
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) continue;
    if (absl::Status s = CheckUnknownFields(reflection->GetMessage(m, f), Join(path, f)); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<size_t> FirstInvalidUtf8Offset(absl::string_view bytes) {
  size_t offset = 0;
  while (offset < bytes.size()) {
    uint32_t code_point;
    const size_t length = client::DecodeUtf8(bytes.substr(offset), &code_point);
    if (length == 0) return offset;
    offset += length;
  }
  return std::nullopt;
}

absl::Status ParseRequest(absl::string_view wire, Message* out) {
  if (absl::Status s = Scan(wire, out->GetDescriptor(), "", 0); !s.ok()) return s;
  if (!out->ParseFromArray(wire.data(), static_cast<int>(wire.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("request is not a valid ", out->GetDescriptor()->full_name()));
  }
  return CheckUnknownFields(*out, "");
}

}  // namespace gryadka::server
