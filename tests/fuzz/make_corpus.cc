// Writes the seed corpora of the fuzz targets: gryadka_fuzz_corpus DIR creates
// DIR/<target>/<seed-name> for ops_fuzz, register_fuzz and redis_reply_fuzz. Each seed is one
// meaningful case (named after it) in the layouts of fuzz_inputs.h; the committed corpus under
// tests/fuzz/corpus is this program's output. Exit status 0, or 1 naming a file it could not
// write.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gryadka/internal/register.pb.h"
#include "gryadka/v1/kv.pb.h"
#include "proposer/core/ballot.h"
#include "tests/fuzz/fuzz_inputs.h"

namespace gryadka::fuzz {
namespace {

namespace fs = std::filesystem;
using v1::ChangeQueryRequest;

bool Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream f(dir / name, std::ios::binary | std::ios::trunc);
  f << bytes;
  if (!f) std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
  return static_cast<bool>(f);
}

ChangeQueryRequest Req(const std::string& key) {
  ChangeQueryRequest r;
  r.set_key(key);
  r.mutable_query()->mutable_record();
  return r;
}

std::string Ops(uint8_t key_limit, uint8_t value_limit, uint64_t version, const std::string& value,
                const std::string& request) {
  return EncodeOps(OpsInput{key_limit, value_limit, version, value, request});
}

std::vector<std::pair<std::string, std::string>> OpsSeeds() {
  auto put = Req("k");
  put.mutable_change()->mutable_put()->set_value("v");
  auto pia = Req("k");
  pia.mutable_change()->mutable_put_if_absent()->set_value("v");
  auto cas = Req("k");
  cas.mutable_change()->mutable_compare_and_set()->set_expected_version(2);
  cas.mutable_change()->mutable_compare_and_set()->set_value("new");
  auto inc = Req("counter");
  inc.mutable_change()->mutable_increment()->set_delta(1);
  inc.mutable_query()->mutable_version();
  auto dec = Req("counter");
  dec.mutable_change()->mutable_increment()->set_delta(-5);
  auto app = Req("k");
  app.mutable_change()->mutable_append()->set_suffix("de");
  auto del = Req("k");
  del.mutable_change()->mutable_delete_()->set_expected_version(4);
  auto del_any = Req("k");
  del_any.mutable_change()->mutable_delete_();
  auto read = Req("k");
  read.mutable_change()->mutable_read();
  read.mutable_query()->mutable_none();
  auto empty_key = put;
  empty_key.set_key("");
  auto long_key = put;
  long_key.set_key("too-long-key");
  auto no_query = put;
  no_query.clear_query();
  // change = a ChangeOp holding only field 9 (varint 1): an op this server does not know.
  const std::string unknown_op = Req("k").SerializeAsString() + std::string("\x12\x02\x48\x01", 4);
  return {
      {"put_on_absent", Ops(0, 0, 0, "", put.SerializeAsString())},
      {"put_if_absent_on_present", Ops(0, 0, 3, "x", pia.SerializeAsString())},
      {"cas_matching_version", Ops(0, 0, 2, "old", cas.SerializeAsString())},
      {"cas_stale_version", Ops(0, 0, 5, "old", cas.SerializeAsString())},
      {"increment_number", Ops(0, 0, 1, "41", inc.SerializeAsString())},
      {"increment_plus_signed", Ops(0, 0, 1, "+7", inc.SerializeAsString())},
      {"increment_negative", Ops(0, 0, 2, "-12", dec.SerializeAsString())},
      {"increment_text", Ops(0, 0, 1, "abc", inc.SerializeAsString())},
      {"increment_max", Ops(0, 0, 1, "9223372036854775807", inc.SerializeAsString())},
      {"append_within_limit", Ops(0, 8, 1, "abc", app.SerializeAsString())},
      {"append_over_limit", Ops(0, 4, 1, "abc", app.SerializeAsString())},
      {"delete_expected_version", Ops(0, 0, 4, "x", del.SerializeAsString())},
      {"delete_absent", Ops(0, 0, 0, "", del_any.SerializeAsString())},
      {"read_none_query", Ops(0, 0, 7, "value", read.SerializeAsString())},
      {"empty_key", Ops(0, 0, 0, "", empty_key.SerializeAsString())},
      {"key_over_limit", Ops(4, 0, 0, "", long_key.SerializeAsString())},
      {"value_over_limit", Ops(0, 1, 0, "", cas.SerializeAsString())},
      {"query_unset", Ops(0, 0, 0, "", no_query.SerializeAsString())},
      {"unknown_change_op", Ops(0, 0, 0, "", unknown_op)},
  };
}

std::string Register(uint64_t version, const std::string& value,
                     const std::vector<std::pair<uint64_t, uint64_t>>& marks) {
  internal::StoredRegister reg;
  reg.set_version(version);
  reg.set_value(value);
  for (const auto& [id, counter] : marks) {
    auto* w = reg.add_writers();
    w->set_proposer_id(id);
    w->set_counter(counter);
  }
  return reg.SerializeAsString();
}

std::vector<std::pair<std::string, std::string>> RegisterSeeds() {
  auto put = Req("k");
  put.mutable_change()->mutable_put()->set_value("v");
  auto inc = Req("k");
  inc.mutable_change()->mutable_increment()->set_delta(3);
  auto read = Req("k");
  read.mutable_change()->mutable_read();
  auto del = Req("k");
  del.mutable_change()->mutable_delete_();
  std::vector<std::pair<uint64_t, uint64_t>> others, full;
  for (uint64_t i = 1; i <= 2; ++i) others.emplace_back(100 + i, i);
  for (uint64_t i = 1; i <= 16; ++i) full.emplace_back(100 + i, 10 + i);
  auto mine = others;
  mine.emplace_back(kRegisterProposerId, 1);  // the failed first accept's ballot counter is 1
  auto enc = [](uint8_t flags, const ChangeQueryRequest& r, const std::string& stored) {
    return EncodeRegister(RegisterInput{flags, r.SerializeAsString(), stored});
  };
  return {
      {"never_written_put", enc(0, put, "")},
      {"increment_with_marks", enc(0, inc, Register(4, "10", others))},
      {"put_with_full_marks", enc(0, put, Register(9, "x", full))},
      {"delete_present", enc(0, del, Register(2, "x", others))},
      {"read_chosen_skips_accept", enc(kRegisterZeroBallots, read, Register(1, "x", others))},
      {"retry_finds_own_mark", enc(kRegisterFirstAcceptFails, put, Register(1, "v", mine))},
      {"retry_mark_pushed_out", enc(kRegisterFirstAcceptFails, put, Register(20, "x", full))},
      {"not_a_register", enc(0, put, std::string("\xff\xff\xff", 3))},
      {"absent_with_value", enc(0, read, Register(0, "ghost", {}))},
  };
}

std::string Bulk(const std::string& s) { return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n"; }

std::vector<std::pair<std::string, std::string>> RedisSeeds() {
  const std::string zero = core::Ballot{}.Encode();
  const std::string b = core::Ballot{5, 0xabcd}.Encode();
  const std::string prepare_ok = "*3\r\n" + Bulk("ok") + Bulk(b) + Bulk(Register(3, "v", {{1, 5}}));
  const std::string conflict = "*2\r\n" + Bulk("conflict") + Bulk(b);
  return {
      {"prepare_ok_never_written", "*3\r\n" + Bulk("ok") + Bulk(zero) + Bulk("")},
      {"prepare_ok_value", prepare_ok},
      {"accept_ok", "*1\r\n" + Bulk("ok")},
      {"conflict", conflict},
      {"invalid_type", "*3\r\n" + Bulk("invalid") + Bulk("type") + Bulk("string")},
      {"invalid_ballot_field", "*3\r\n" + Bulk("invalid") + Bulk("p") + Bulk("not-hex")},
      {"fenced", "*3\r\n" + Bulk("fenced") + Bulk("000000000000002a") + Bulk("membership")},
      {"noscript", "-NOSCRIPT No matching script. Please use EVAL.\r\n"},
      {"script_error", "-ERR Error running script (call to f_0123): @user_script:1: oops\r\n"},
      {"batch_two_calls", "*2\r\n" + prepare_ok + conflict},
      {"integer", ":1\r\n"},
      {"nil_bulk", "$-1\r\n"},
      {"nil_array", "*-1\r\n"},
      {"status_ok", "+OK\r\n"},
      {"truncated_prepare", prepare_ok.substr(0, prepare_ok.size() / 2)},
      {"pipelined_two_replies", "*1\r\n" + Bulk("ok") + conflict},
      {"nested_arrays", "*1\r\n*1\r\n*1\r\n" + Bulk("ok")},
  };
}

}  // namespace
}  // namespace gryadka::fuzz

int main(int argc, char** argv) {
  using namespace gryadka::fuzz;
  if (argc != 2) {
    std::fprintf(stderr, "usage: gryadka_fuzz_corpus DIR\n");
    return 2;
  }
  const fs::path dir = argv[1];
  bool ok = true;
  for (const auto& [name, bytes] : OpsSeeds()) ok &= Write(dir / "ops_fuzz", name, bytes);
  for (const auto& [name, bytes] : RegisterSeeds()) ok &= Write(dir / "register_fuzz", name, bytes);
  for (const auto& [name, bytes] : RedisSeeds()) ok &= Write(dir / "redis_reply_fuzz", name, bytes);
  return ok ? 0 : 1;
}
