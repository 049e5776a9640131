// Keeps docs/operations.md complete: every flag of the built gryadka-proposer (its --helpfull,
// our flags only) with its default, every log event in the proposer's sources, every gryadkactl
// flag, and every metric family of a live scrape (3 Redis, 1 proposer with --metrics_listen)
// with its type and labels must have a row, and no row may name what no longer exists. Each
// check is also shown to fail when a row of the real page is removed.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "tests/docs/operations_doc.h"
#include "tests/integration/cluster.h"

namespace gryadka::docs {
namespace {

namespace fs = std::filesystem;

// The source tree read: GRYADKA_SOURCE_DIR, or a copy named by $GRYADKA_DOCS_SOURCE_DIR (for
// tests/docs/mutations.sh, which breaks copies of the page and the sources).
std::string SourceDir() {
  const char* dir = std::getenv("GRYADKA_DOCS_SOURCE_DIR");
  return dir != nullptr && *dir != '\0' ? dir : GRYADKA_SOURCE_DIR;
}
std::string DocPath() { return SourceDir() + "/docs/operations.md"; }
// Section titles of docs/operations.md.
constexpr char kFlagsSection[] = "Flags of gryadka-proposer";
constexpr char kMetricsSection[] = "Metrics";
constexpr char kLogsSection[] = "Log events";
constexpr char kCtlSection[] = "gryadkactl";
// Where the proposer logs from (recursively): every Log(...) call here is an event to document.
constexpr const char* kLogSourceDirs[] = {"proposer/server", "acceptor_adapter"};
// Where the proposer's flags are defined (its own code; bench/ has its own binary).
constexpr const char* kFlagSourceDirs[] = {"proposer", "acceptor_adapter", "client"};
// Log calls whose message is not a literal, and why that is right.
constexpr const char* kForwardingFiles[] = {
    "proposer/server/logging.cc",  // forwards gRPC's and protobuf's own lines ("source" field)
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `command` through the shell; its stdout and stderr.
std::string Capture(const std::string& command) {
  std::string out;
  FILE* p = popen(absl::StrCat(command, " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// The C++ sources under `dirs` of the source tree, as (path relative to it, text).
std::vector<std::pair<std::string, std::string>> Sources(const std::vector<std::string>& dirs) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& dir : dirs) {
    const fs::path root = fs::path(SourceDir()) / dir;
    if (!fs::is_directory(root)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      const std::string ext = e.path().extension().string();
      if (!e.is_regular_file() || (ext != ".cc" && ext != ".h")) continue;
      const std::string rel = fs::relative(e.path(), SourceDir()).string();
      if (rel.find("/node_modules/") != std::string::npos) continue;
      out.emplace_back(rel, ReadFile(e.path().string()));
    }
  }
  return out;
}

// True when Abseil's "Flags from FILE" names a file of this source tree. FILE is the
// compiler's __FILE__ as Abseil shows it: relative to the build directory when the compiler was
// given a relative path ("../proposer/server/main.cc"), or absolute with its leading "/"
// stripped, since Abseil's default filename normalisation removes leading slashes
// ("src/gryadka/proposer/server/main.cc" for "/src/gryadka/proposer/server/main.cc").
bool OurFile(const std::string& file) {
  const fs::path root = fs::weakly_canonical(GRYADKA_SOURCE_DIR);
  const auto inside = [&](const fs::path& p) {
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) return false;
    const std::string canon = fs::weakly_canonical(p).string();
    return canon.rfind(root.string() + "/", 0) == 0;
  };
  if (fs::path(file).is_absolute()) return inside(file);
  if (inside(fs::path("/") / file)) return true;
  std::string_view f = file;
  while (f.substr(0, 3) == "../" || f.substr(0, 2) == "./") f.remove_prefix(f[1] == '.' ? 3 : 2);
  return inside(root / f);
}

std::vector<HelpFlag> OurHelpfullFlags() {
  std::vector<HelpFlag> ours;
  for (HelpFlag& f : ParseHelpfull(Capture(absl::StrCat(GRYADKA_PROPOSER_BIN, " --helpfull")))) {
    if (OurFile(f.file)) ours.push_back(std::move(f));
  }
  return ours;
}

std::string WithoutRowOf(const std::string& doc, const std::string& code) {
  const std::string row_start = absl::StrCat("| `", code, "` |");
  const size_t at = doc.find(row_start);
  if (at == std::string::npos) return doc;
  const size_t end = doc.find('\n', at);
  return doc.substr(0, at) + doc.substr(end + 1);
}

// ---- The checks on small inputs ----

TEST(OperationsDocParsingTest, OurFilesAreFoundHoweverTheCompilerWasGivenThePath) {
  const std::string abs = fs::weakly_canonical(GRYADKA_SOURCE_DIR).string() + "/proposer/server/main.cc";
  EXPECT_TRUE(OurFile("../proposer/server/main.cc"));  // relative to the build directory
  EXPECT_TRUE(OurFile(abs));                            // absolute
  EXPECT_TRUE(OurFile(abs.substr(1)));                  // absolute, leading "/" stripped by Abseil
  EXPECT_FALSE(OurFile("./absl/flags/parse.cc"));
  EXPECT_FALSE(OurFile("usr/include/absl/flags/parse.cc"));
  EXPECT_FALSE(OurFile("../proposer/server/no_such_file.cc"));
}

TEST(OperationsDocParsingTest, HelpfullFlagsKeepTheirFileAndDefaultAcrossWrappedLines) {
  const std::vector<HelpFlag> flags = ParseHelpfull(
      "usage\n\n  Flags from ../proposer/server/main.cc:\n"
      "    --acceptors (Redis acceptors, HOST:PORT,... (2F+1 of them; this or\n"
      "      --membership_file (x) is required)); default: \"\";\n"
      "    --redis_prefix (prefix); default: \"gryadka:\";\n"
      "    --acceptor_timeout_ms (time an acceptor call may take); default:\n      500;\n"
      "\n  Flags from ./absl/flags/parse.cc:\n    --flagfile (comma-separated); default: ;\n"
      "\n  Flags from src/gryadka/proposer/server/tls.cc:\n    --tls_reload_interval_s (s);"
      " default: 60;\n\nTry --helpfull to get a list of all flags or --help=substring shows\n"
      "flags which include specified substring in either in the name, or description or\n");
  ASSERT_EQ(flags.size(), 5u);
  EXPECT_EQ(flags[0].name, "acceptors");
  EXPECT_EQ(flags[0].default_value, "");
  EXPECT_EQ(flags[1].default_value, "gryadka:");
  EXPECT_EQ(flags[2].default_value, "500");
  EXPECT_EQ(flags[2].file, "../proposer/server/main.cc");
  EXPECT_EQ(flags[3].file, "./absl/flags/parse.cc");
  // The last entry ends at the blank line: the "Try --helpfull" trailer is not its help text.
  EXPECT_EQ(flags[4].file, "src/gryadka/proposer/server/tls.cc");
  EXPECT_EQ(flags[4].default_value, "60");
}

TEST(OperationsDocParsingTest, FlagRowsMissingWithAWrongDefaultOrStaleAreEachReported) {
  const std::vector<HelpFlag> flags = {{"listen", "127.0.0.1:8080", ""},
                                       {"io_threads", "1", ""},
                                       {"acceptors", "", ""}};
  const std::string ok =
      "| flag | default |\n|---|---|\n| `--listen` | `127.0.0.1:8080` | x |\n"
      "| `--io_threads` | `1` | x |\n| `--acceptors` | none | x |\n";
  EXPECT_TRUE(CheckFlagRows(ok, flags).empty()) << absl::StrJoin(CheckFlagRows(ok, flags), "\n");
  const std::string bad =
      "| `--listen` | `0.0.0.0:8080` | x |\n| `--acceptors` | none |\n| `--gone` | `1` |\n";
  const std::vector<std::string> p = CheckFlagRows(bad, flags);
  ASSERT_EQ(p.size(), 3u) << absl::StrJoin(p, "\n");
  EXPECT_NE(p[0].find("wrong default: the row of `--listen`"), std::string::npos) << p[0];
  EXPECT_NE(p[1].find("missing flag: no row | `--io_threads`"), std::string::npos) << p[1];
  EXPECT_NE(p[2].find("stale flag: row `--gone`"), std::string::npos) << p[2];
}

TEST(OperationsDocParsingTest, LogCallsYieldTernaryBranchesJoinedLiteralsAndAVariablesLiterals) {
  const std::vector<LogCall> calls = ExtractLogCalls(
      "x.cc",
      "// Log(LogLevel::kInfo, \"in a comment\");\n"
      "void Log(LogLevel level, std::string_view msg);\n"
      "RouteLibraryLogsThroughLog();\n"
      "Log(LogLevel::kInfo, \"listening\", {{\"address\", f(a, b)}});\n"
      "  Log(ok ? LogLevel::kInfo : LogLevel::kWarning,\n"
      "      ok ? \"quorum, \\\"up\\\"\" : \"no \" \"quorum\",\n      {});\n"
      "Log(level, message, {{\"source\", \"grpc\"}});\n"
      "const char* msg = up ? \"acceptor up\" : \"acceptor \" \"down\";\n"
      "if (msg == nullptr) return;\nLog(level, msg, {});\n"
      "/* Log(LogLevel::kError, \"block comment\"); */ LogLimiter limiter(5);\n");
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].line, 4);
  EXPECT_EQ(calls[0].messages, std::vector<std::string>{"listening"});
  EXPECT_EQ(calls[1].line, 5);
  EXPECT_EQ(calls[1].messages, (std::vector<std::string>{"quorum, \"up\"", "no quorum"}));
  EXPECT_TRUE(calls[2].messages.empty());  // not a literal
  EXPECT_EQ(calls[3].line, 11);
  EXPECT_EQ(calls[3].messages, (std::vector<std::string>{"acceptor up", "acceptor down"}));
}

TEST(OperationsDocParsingTest, LogRowsMissingOrStaleAreReported) {
  const std::vector<std::string> p =
      CheckLogRows("| `listening` | info |\n| `old event` | info |\n", {"listening", "stopped"});
  ASSERT_EQ(p.size(), 2u) << absl::StrJoin(p, "\n");
  EXPECT_NE(p[0].find("missing log event: no row | `stopped`"), std::string::npos) << p[0];
  EXPECT_NE(p[1].find("stale log event: row `old event`"), std::string::npos) << p[1];
}

TEST(OperationsDocParsingTest, ScrapeFamiliesHaveTheirTypeAndLabelsWithoutLeAndQuantile) {
  const auto f = ParseScrape(
      "# HELP h x\n# TYPE h histogram\nh_bucket{method=\"Get\",le=\"0.1\"} 1\n"
      "h_sum{method=\"Get\"} 1\n# TYPE s summary\ns{quantile=\"0.5\"} 1\n# TYPE c counter\nc 3\n");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f.at("h").type, "histogram");
  EXPECT_EQ(f.at("h").labels, std::set<std::string>{"method"});
  EXPECT_TRUE(f.at("s").labels.empty());
  EXPECT_EQ(f.at("c").type, "counter");
}

TEST(OperationsDocParsingTest, MetricRowsWithAWrongTypeAMissingLabelMissingOrStaleAreReported) {
  std::map<std::string, MetricFamily> f;
  f["a_total"] = {"counter", {"method", "code"}};
  f["b"] = {"gauge", {}};
  const std::vector<std::string> p =
      CheckMetricRows("| `a_total` | gauge | `method` |\n| `c` | gauge |\n", f);
  ASSERT_EQ(p.size(), 4u) << absl::StrJoin(p, "\n");
  EXPECT_NE(p[0].find("wrong type: the row of `a_total`"), std::string::npos) << p[0];
  EXPECT_NE(p[1].find("missing label: the row of `a_total` must name `code`"), std::string::npos);
  EXPECT_NE(p[2].find("missing metric: no row | `b`"), std::string::npos) << p[2];
  EXPECT_NE(p[3].find("stale metric: row `c`"), std::string::npos) << p[3];
}

TEST(OperationsDocParsingTest, UsageFlagsAreWholeNamesFromTheFlagsPartOnly) {
  EXPECT_EQ(UsageFlags("Commands:\n  del KEY [--expected_version=N]\n\nFlags (\"--\" ends them):\n"
                       "  --target=X --tls_cert=PATH\n  Any --tls_* flag\n  -h, --help\n"
                       "  --dry-run   print\nExit codes: 0\n  --not_a_flag\n"),
            (std::set<std::string>{"--target", "--tls_cert", "--help", "--dry-run"}));
}

TEST(OperationsDocParsingTest, UsageExitCodesAreTheNumbersStartingEachItemOfTheParagraph) {
  EXPECT_EQ(UsageExitCodes("Flags:\n  --x=3 y\n\nExit codes: 0 success; 2 error (code 14);\n3 "
                           "not applied; 64 usage error.\n\nExamples:\n  5 x; 6 y\n"),
            (std::set<std::string>{"0", "2", "3", "64"}));
}

// ---- The real page ----

class OperationsDocTest : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = ReadFile(DocPath());
    ASSERT_FALSE(doc_.empty()) << "cannot read " << DocPath();
  }
  std::string doc_;
};

TEST_F(OperationsDocTest, EveryFlagOfTheProposersHelpfullHasARowWithItsDefault) {
  const std::vector<HelpFlag> flags = OurHelpfullFlags();
  ASSERT_GE(flags.size(), 30u) << "too few of our flags in " << GRYADKA_PROPOSER_BIN
                               << " --helpfull: is the \"Flags from FILE\" parsing broken?";
  // The binary's flags are exactly those its sources define (so none is missed by either).
  std::set<std::string> help_names, defined;
  for (const HelpFlag& f : flags) help_names.insert(f.name);
  std::vector<std::string> dirs(std::begin(kFlagSourceDirs), std::end(kFlagSourceDirs));
  for (const auto& [path, text] : Sources(dirs)) {
    for (const std::string& name : AbslFlagsDefined(text)) defined.insert(name);
  }
  EXPECT_EQ(help_names, defined) << "--helpfull and the ABSL_FLAG definitions disagree";

  const std::vector<std::string> problems = CheckFlagRows(Section(doc_, kFlagsSection), flags);
  EXPECT_TRUE(problems.empty()) << "docs/operations.md, section \"" << kFlagsSection << "\":\n"
                                << absl::StrJoin(problems, "\n");

  const std::string without = WithoutRowOf(doc_, "--acceptor_timeout_ms");
  ASSERT_NE(without, doc_);
  const std::vector<std::string> p = CheckFlagRows(Section(without, kFlagsSection), flags);
  ASSERT_EQ(p.size(), problems.size() + 1) << absl::StrJoin(p, "\n");
  EXPECT_NE(absl::StrJoin(p, "\n").find("no row | `--acceptor_timeout_ms`"), std::string::npos);
}

TEST_F(OperationsDocTest, EveryLogEventInTheProposerSourcesHasARowAndNoRowIsStale) {
  std::vector<std::string> dirs(std::begin(kLogSourceDirs), std::end(kLogSourceDirs));
  std::set<std::string> messages;
  std::vector<std::string> unreadable;
  size_t calls = 0;
  for (const auto& [path, text] : Sources(dirs)) {
    for (const LogCall& call : ExtractLogCalls(path, text)) {
      ++calls;
      messages.insert(call.messages.begin(), call.messages.end());
      const bool forwarding = std::find(std::begin(kForwardingFiles), std::end(kForwardingFiles),
                                        path) != std::end(kForwardingFiles);
      if (call.messages.empty() && !forwarding) {
        unreadable.push_back(absl::StrCat(path, ":", call.line));
      }
    }
  }
  ASSERT_GE(calls, 5u) << "found almost no Log(...) calls under proposer/server and "
                          "acceptor_adapter: the extraction is broken";
  ASSERT_GE(messages.size(), 5u) << "found almost no log messages: the extraction is broken";
  EXPECT_TRUE(unreadable.empty())
      << "Log calls whose message is not a string literal (write the message as a literal, so "
         "it can be documented and checked):\n"
      << absl::StrJoin(unreadable, "\n");

  const std::vector<std::string> problems = CheckLogRows(Section(doc_, kLogsSection), messages);
  EXPECT_TRUE(problems.empty()) << "docs/operations.md, section \"" << kLogsSection << "\":\n"
                                << absl::StrJoin(problems, "\n");

  const std::string without = WithoutRowOf(doc_, "listening");
  ASSERT_NE(without, doc_);
  const std::vector<std::string> p = CheckLogRows(Section(without, kLogsSection), messages);
  EXPECT_NE(absl::StrJoin(p, "\n").find("missing log event: no row | `listening`"),
            std::string::npos)
      << absl::StrJoin(p, "\n");
}

TEST_F(OperationsDocTest, EveryGryadkactlFlagAndExitCodeOfItsHelpHasARow) {
  const std::string usage = Capture(absl::StrCat(GRYADKACTL_BIN, " --help"));
  const std::set<std::string> flags = UsageFlags(usage);
  ASSERT_GE(flags.size(), 10u) << "too few flags read from gryadkactl --help";
  const std::set<std::string> codes = UsageExitCodes(usage);
  ASSERT_GE(codes.size(), 3u) << "too few exit codes read from gryadkactl --help:\n" << usage;
  const std::string section = Section(doc_, kCtlSection);
  const std::vector<std::string> flag_problems =
      CheckRowsPresent(section, "gryadkactl flag", flags);
  const std::vector<std::string> code_problems =
      CheckRowsPresent(section, "gryadkactl exit code", codes);
  EXPECT_TRUE(flag_problems.empty() && code_problems.empty())
      << "docs/operations.md, section \"" << kCtlSection << "\":\n"
      << absl::StrJoin(flag_problems, "\n") << "\n" << absl::StrJoin(code_problems, "\n");

  const std::string without = WithoutRowOf(WithoutRowOf(doc_, "--deadline_ms"), "3");
  ASSERT_NE(without, doc_);
  EXPECT_EQ(CheckRowsPresent(Section(without, kCtlSection), "gryadkactl flag", flags).size(),
            flag_problems.size() + 1);
  EXPECT_EQ(CheckRowsPresent(Section(without, kCtlSection), "gryadkactl exit code", codes).size(),
            code_problems.size() + 1);
}

class OperationsDocLiveTest : public OperationsDocTest {
 protected:
  // One proposer with metrics over 3 Redis, after a few calls; `scrape_` is its /metrics.
  void SetUp() override {
    OperationsDocTest::SetUp();
    auto port = process::FreeLoopbackPort();
    ASSERT_TRUE(port.ok()) << port.status();
    integration::ClusterOptions options;
    options.proposer_flags = {absl::StrCat("--metrics_listen=127.0.0.1:", *port)};
    auto c = integration::Cluster::Start(options);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = *std::move(c);
    auto client = cluster_->NewClient(0);
    ASSERT_TRUE(client->Put("k", "v").ok());
    ASSERT_TRUE(client->Get("k").ok());
    scrape_ = integration::FetchMetrics(*port);
    ASSERT_NE(scrape_.find("gryadka_calls_total"), std::string::npos)
        << "no scrape\n" << cluster_->Logs();
  }
  std::unique_ptr<integration::Cluster> cluster_;
  std::string scrape_;
};

TEST_F(OperationsDocLiveTest, EveryMetricFamilyOfALiveScrapeHasARowWithItsTypeAndLabels) {
  const std::map<std::string, MetricFamily> families = ParseScrape(scrape_);
  size_t ours = 0;
  for (const auto& [name, f] : families) ours += name.rfind("gryadka_", 0) == 0;
  ASSERT_GE(ours, 15u) << "too few gryadka_* families parsed from the scrape:\n" << scrape_;
  ASSERT_TRUE(families.count("gryadka_build_info"));

  const std::vector<std::string> problems =
      CheckMetricRows(Section(doc_, kMetricsSection), families);
  EXPECT_TRUE(problems.empty()) << "docs/operations.md, section \"" << kMetricsSection << "\":\n"
                                << absl::StrJoin(problems, "\n");

  const std::string without = WithoutRowOf(doc_, "gryadka_conflicts_total");
  ASSERT_NE(without, doc_);
  const std::vector<std::string> p = CheckMetricRows(Section(without, kMetricsSection), families);
  EXPECT_NE(absl::StrJoin(p, "\n").find("missing metric: no row | `gryadka_conflicts_total`"),
            std::string::npos)
      << absl::StrJoin(p, "\n");
}

}  // namespace
}  // namespace gryadka::docs
