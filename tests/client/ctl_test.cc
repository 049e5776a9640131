// gryadkactl's argument parsing and output formatting, as functions.
#include <string>
#include <vector>

#include "client/ctl_args.h"
#include "client/ctl_output.h"
#include "gtest/gtest.h"

namespace gryadka::ctl {
namespace {

absl::StatusOr<Args> Parse(std::vector<absl::string_view> args, const char* env = nullptr) {
  return ParseArgs(args, env);
}

TEST(EscapeBytes, KeepsPrintableTextAndEscapesEverythingElse) {
  EXPECT_EQ(EscapeBytes("hello world"), "hello world");
  EXPECT_EQ(EscapeBytes("say \"hi\" \\o/"), "say \\\"hi\\\" \\\\o/");
  EXPECT_EQ(EscapeBytes("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(EscapeBytes(std::string("\0\x1b[31m", 6)), "\\x00\\x1b[31m");
  EXPECT_EQ(EscapeBytes("\x7f"), "\\x7f");
  EXPECT_EQ(EscapeBytes("привет ✓"), "привет ✓");          // printable UTF-8 stays
  EXPECT_EQ(EscapeBytes("\xc2\x85"), "\\xc2\\x85");        // C1 control NEL
  EXPECT_EQ(EscapeBytes("\xe2\x80\xae"), "\\xe2\\x80\\xae");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(EscapeBytes("\xff\xc3"), "\\xff\\xc3");        // invalid and truncated
  EXPECT_EQ(EscapeBytes("\xc0\xaf"), "\\xc0\\xaf");        // overlong '/'
  EXPECT_EQ(EscapeBytes("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
}

TEST(DisplayKey, PlainWhenUnambiguousQuotedOtherwise) {
  EXPECT_EQ(DisplayKey("user:42"), "user:42");
  EXPECT_EQ(DisplayKey("two words"), "\"two words\"");
  EXPECT_EQ(DisplayKey("a=b"), "\"a=b\"");
  EXPECT_EQ(DisplayKey("ключ"), "\"ключ\"");
  EXPECT_EQ(DisplayKey("\x1b"), "\"\\x1b\"");
}

// JSON strings come from client/shared/json_string.h (tests/unit/json_string_test.cc); these pin
// that gryadkactl's --json lines use it for keys, values and health messages.
TEST(Format, JsonLinesEscapeKeysValuesAndMessagesWithTheSharedEscaper) {
  EXPECT_EQ(FormatGet("k\"\x01", GetResult{true, Record{"a\nb\x7f\xc2\x85", 2}}, true),
            "{\"key\":\"k\\\"\\u0001\",\"found\":true,\"value\":\"a\\nb\\u007f\\u0085\","
            "\"value_base64\":\"YQpif8KF\",\"version\":2}");
  ChangeResult put;
  put.applied = true;
  put.record = Record{"v", 1};
  EXPECT_EQ(FormatChange("put", "ключ", std::nullopt, put, true),
            "{\"key\":\"ключ\",\"applied\":true,\"value\":\"v\",\"value_base64\":\"dg==\","
            "\"version\":1}");
  const std::vector<TargetHealth> health = {
      {"h:1", "", absl::UnavailableError("bad \xff byte\n")}};
  EXPECT_EQ(FormatHealth(health, true),
            "{\"healthy\":false,\"targets\":[{\"target\":\"h:1\",\"serving_status\":\"\","
            "\"code\":\"UNAVAILABLE\",\"message\":\"bad \\ufffd byte\\n\"}]}");
}

TEST(Format, HumanAndJsonLines) {
  const GetResult found{true, Record{"bar", 3}};
  EXPECT_EQ(FormatGet("foo", found, false), "foo = \"bar\" (version 3)");
  EXPECT_EQ(FormatGet("foo", GetResult{}, false), "foo: not found");
  EXPECT_EQ(FormatGet("foo", found, true),
            "{\"key\":\"foo\",\"found\":true,\"value\":\"bar\",\"value_base64\":\"YmFy\","
            "\"version\":3}");
  EXPECT_EQ(FormatGet("k", GetResult{true, Record{"\xff", 1}}, true),
            "{\"key\":\"k\",\"found\":true,\"value_base64\":\"/w==\",\"version\":1}");
  EXPECT_EQ(FormatChange("cas", "foo", 3, ChangeResult{false, Record{"x", 4}, ""}, false),
            "not applied: version is 4, expected 3");
  EXPECT_EQ(FormatChange("cas", "foo", 3, ChangeResult{false, Record{}, ""}, false),
            "not applied: version is 0 (absent), expected 3");
  EXPECT_EQ(FormatChange("del", "foo", std::nullopt, ChangeResult{true, Record{}, ""}, false),
            "foo: deleted");
  EXPECT_EQ(FormatIncrement("n", 2, IncrementResult{true, 7, Record{"7", 4}, ""}, false),
            "n = 7 (version 4)");
  EXPECT_EQ(FormatIncrement("n", 2, IncrementResult{false, 0, Record{"x", 4}, ""}, false),
            "not applied: n = \"x\" (version 4) is not a decimal int64, or adding 2 would "
            "overflow");
}

TEST(ParseArgs, CommandsFlagsAnywhereAndNegativeDelta) {
  absl::StatusOr<Args> a = Parse({"incr", "n", "-5", "--deadline_ms", "250", "--json"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->command, Command::kIncr);
  EXPECT_EQ(a->key, "n");
  EXPECT_EQ(a->delta, -5);
  EXPECT_EQ(a->deadline_ms, 250);
  EXPECT_TRUE(a->json);
  EXPECT_EQ(a->targets, std::vector<std::string>{kDefaultTarget});

  a = Parse({"--target=h1:1, h2:2", "del", "k", "--expected_version=7"}, "env:9");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->targets, (std::vector<std::string>{"h1:1", "h2:2"}));
  EXPECT_EQ(a->expected_version, 7u);

  a = Parse({"get", "--", "--odd-key"}, "env:9");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->key, "--odd-key");
  EXPECT_EQ(a->targets, std::vector<std::string>{"env:9"});

  a = Parse({"put", "k", "v", "--help"});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->help);

  a = Parse({"--version"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->version);
  EXPECT_FALSE(a->help);
  EXPECT_FALSE(Parse({"--version=1"}).ok());
  a = Parse({"--version", "--help"});  // --help wins: the usage text says more
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->help);
  EXPECT_FALSE(a->version);
}

TEST(ParseArgs, UsageErrorsNameWhatWasWrong) {
  const std::vector<std::pair<std::vector<absl::string_view>, std::string>> cases = {
      {{}, "no command"},
      {{"frobnicate"}, "unknown command \"frobnicate\""},
      {{"get"}, "usage: gryadkactl get KEY"},
      {{"put", "k"}, "usage: gryadkactl put KEY VALUE"},
      {{"cas", "k", "x", "v"}, "invalid EXPECTED_VERSION \"x\""},
      {{"cas", "k", "-1", "v"}, "invalid EXPECTED_VERSION \"-1\""},
      {{"incr", "k", "1.5"}, "invalid DELTA \"1.5\""},
      {{"incr", "k", "99999999999999999999"}, "invalid DELTA"},
      {{"get", "k", "--bogus"}, "unknown flag --bogus"},
      {{"get", "k", "--deadline_ms=0"}, "invalid --deadline_ms \"0\""},
      {{"get", "k", "--deadline_ms"}, "--deadline_ms needs a value"},
      {{"get", "k", "--json=yes"}, "--json takes no value"},
      {{"get", "k", "--expected_version=1"}, "applies to del only"},
      {{"del", "k", "--expected_version=x"}, "invalid --expected_version \"x\""},
      {{"get", "k", "--target=a:1,,b:2"}, "--target \"a:1,,b:2\" has an empty entry"},
  };
  for (const auto& [args, expected] : cases) {
    absl::StatusOr<Args> a = Parse(args);
    ASSERT_FALSE(a.ok()) << expected;
    EXPECT_NE(a.status().message().find(expected), std::string::npos)
        << a.status().message() << " lacks " << expected;
  }
}

TEST(ParseArgs, NoTlsFlagOrVariableMeansPlaintext) {
  absl::StatusOr<Args> a = Parse({"get", "k"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(a->tls.has_value());
}

TEST(ParseArgs, AnyTlsFlagTurnsTlsOnForDataMembershipAndHealthCommands) {
  for (const std::vector<absl::string_view>& args : std::vector<std::vector<absl::string_view>>{
           {"get", "k", "--tls_ca=ca.pem"},
           {"health", "--tls_ca", "ca.pem"},
           {"membership", "status", "--tls_ca=ca.pem"}}) {
    absl::StatusOr<Args> a = Parse(args);
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(a->tls.has_value()) << args[0];
    EXPECT_EQ(a->tls->ca_file, "ca.pem");
    EXPECT_EQ(a->tls->cert_file, "");
  }
  // A server name alone means TLS with the system roots.
  absl::StatusOr<Args> a = Parse({"get", "k", "--tls_server_name=gryadka.example"});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(a->tls.has_value());
  EXPECT_EQ(a->tls->ca_file, "");
  EXPECT_EQ(a->tls->server_name, "gryadka.example");
  a = Parse({"put", "k", "v", "--tls_ca=ca.pem", "--tls_cert=c.pem", "--tls_key=k.pem"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->tls->cert_file, "c.pem");
  EXPECT_EQ(a->tls->key_file, "k.pem");
}

TEST(ParseArgs, TlsVariablesTurnTlsOnAndFlagsOverrideThem) {
  Env env;
  env.tls_ca = "env-ca.pem";
  env.tls_cert = "env-cert.pem";
  env.tls_key = "env-key.pem";
  absl::StatusOr<Args> a = ParseArgs({"get", "k"}, env);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(a->tls.has_value());
  EXPECT_EQ(a->tls->ca_file, "env-ca.pem");
  EXPECT_EQ(a->tls->cert_file, "env-cert.pem");
  EXPECT_EQ(a->tls->key_file, "env-key.pem");
  a = ParseArgs({"get", "k", "--tls_ca=flag-ca.pem"}, env);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->tls->ca_file, "flag-ca.pem");
  EXPECT_EQ(a->tls->cert_file, "env-cert.pem");
  Env empty;  // set but empty variables count as unset
  empty.tls_ca = "";
  a = ParseArgs({"get", "k"}, empty);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(a->tls.has_value());
}

TEST(ParseArgs, TlsUsageErrorsNameTheFlag) {
  const std::vector<std::pair<std::vector<absl::string_view>, std::string>> cases = {
      {{"get", "k", "--tls_cert=c.pem"}, "--tls_cert (or $GRYADKA_TLS_CERT) is set without --tls_key"},
      {{"get", "k", "--tls_key=k.pem"}, "--tls_key (or $GRYADKA_TLS_KEY) is set without --tls_cert"},
      {{"get", "k", "--tls_ca="}, "--tls_ca needs a non-empty value"},
      {{"get", "k", "--tls_ca"}, "--tls_ca needs a value"},
      {{"get", "k", "--tls_server_name="}, "--tls_server_name needs a non-empty value"},
  };
  for (const auto& [args, expected] : cases) {
    absl::StatusOr<Args> a = Parse(args);
    ASSERT_FALSE(a.ok()) << expected;
    EXPECT_NE(a.status().message().find(expected), std::string::npos)
        << a.status().message() << " lacks " << expected;
  }
}

TEST(Usage, DocumentsTheTlsFlagsAndVariables) {
  const std::string usage = Usage();
  for (const char* word : {"--tls_ca=PATH", "--tls_cert=PATH", "--tls_key=PATH",
                           "--tls_server_name=NAME", "$GRYADKA_TLS_CA", "$GRYADKA_TLS_CERT",
                           "$GRYADKA_TLS_KEY", "docs/security.md"}) {
    EXPECT_NE(usage.find(word), std::string::npos) << word;
  }
}

}  // namespace
}  // namespace gryadka::ctl
