// The process_* metrics: the /proc parsers on captured text (including command names with
// spaces and parentheses), their errors, and a live read of this test process.
#include "proposer/server/process_metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <map>
#include <string>

#include "gtest/gtest.h"

namespace gryadka::server {
namespace {

// Captured from a gryadka-proposer (fields 1..52 of proc(5)); the command name is edited to hold
// the characters that break naive parsers.
constexpr const char* kStat =
    "4242 (gry adka) (x)) S 1 4242 4242 0 -1 4194560 2412 0 0 0 731 269 0 0 20 0 9 0 "
    "123456 1093238784 4511 18446744073709551615 1 1 0 0 0 0 0 4096 17642 0 0 0 17 1 0 0 0 0 0 "
    "0 0 0 0 0 0 0 0\n";

TEST(ProcessMetricsTest, StatFieldsAreCountedFromTheLastParenthesisOfTheCommandName) {
  absl::StatusOr<ProcStat> s = ParseProcStat(kStat);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->utime_ticks, 731u);
  EXPECT_EQ(s->stime_ticks, 269u);
  EXPECT_EQ(s->threads, 9);
  EXPECT_EQ(s->start_ticks_after_boot, 123456u);
  EXPECT_EQ(s->virtual_bytes, 1093238784u);
  EXPECT_EQ(s->resident_pages, 4511);
}

TEST(ProcessMetricsTest, TruncatedOrGarbledStatIsAnErrorNamingTheField) {
  absl::StatusOr<ProcStat> cut = ParseProcStat("4242 (p) S 1 4242 4242 0 -1 4194560 2412 0 0 0 731");
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("stime"), std::string::npos) << cut.status();
  std::string garbled = kStat;
  garbled.replace(garbled.find(" 731 "), 5, " 7x1 ");
  absl::StatusOr<ProcStat> bad = ParseProcStat(garbled);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("utime"), std::string::npos) << bad.status();
  EXPECT_FALSE(ParseProcStat("no parenthesis at all").ok());
}

TEST(ProcessMetricsTest, MaxOpenFilesIsTheSoftLimitAndUnlimitedIsMinusOne) {
  const char* limits =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max open files            1024                 1048576              files     \n";
  EXPECT_EQ(*ParseMaxOpenFiles(limits), 1024);
  EXPECT_EQ(*ParseMaxOpenFiles("Max open files            unlimited    unlimited    files\n"), -1);
  EXPECT_FALSE(ParseMaxOpenFiles("Max processes 10 10 processes\n").ok());
  EXPECT_FALSE(ParseMaxOpenFiles("Max open files            lots    x    files\n").ok());
}

TEST(ProcessMetricsTest, BootTimeComesFromTheBtimeLine) {
  EXPECT_EQ(*ParseBootTimeSeconds("cpu  1 2 3\nintr 5\nbtime 1764400000\nprocesses 9\n"),
            1764400000);
  EXPECT_FALSE(ParseBootTimeSeconds("cpu  1 2 3\n").ok());
  EXPECT_FALSE(ParseBootTimeSeconds("btime soon\n").ok());
}

TEST(ProcessMetricsTest, FamiliesHaveTheStandardNamesTypesAndValues) {
  ProcessSample s;
  s.cpu_seconds = 10;
  s.resident_bytes = 20;
  s.virtual_bytes = 30;
  s.open_fds = 40;
  s.max_fds = 50;
  s.start_time_seconds = 60;
  s.threads = 70;
  const std::map<std::string, double> expected = {{"process_cpu_seconds_total", 10},
                                                  {"process_resident_memory_bytes", 20},
                                                  {"process_virtual_memory_bytes", 30},
                                                  {"process_open_fds", 40},
                                                  {"process_max_fds", 50},
                                                  {"process_start_time_seconds", 60},
                                                  {"process_threads", 70}};
  std::map<std::string, double> seen;
  for (const prometheus::MetricFamily& f : ProcessFamilies(s)) {
    ASSERT_EQ(f.metric.size(), 1u) << f.name;
    const bool counter = f.name == "process_cpu_seconds_total";
    EXPECT_EQ(f.type, counter ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge);
    const double v = counter ? f.metric[0].counter.value : f.metric[0].gauge.value;
    EXPECT_TRUE(seen.emplace(f.name, v).second) << "family twice: " << f.name;
  }
  EXPECT_EQ(seen, expected);
}

TEST(ProcessMetricsTest, ThisProcessReadsAsAPlausibleLiveSample) {
  const int extra = ::open("/dev/null", O_RDONLY);  // one more open descriptor must show
  ASSERT_GE(extra, 0);
  absl::StatusOr<ProcessSample> before = ReadSelfSample();
  ASSERT_TRUE(before.ok()) << before.status();
  ::close(extra);
  absl::StatusOr<ProcessSample> after = ReadSelfSample();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(before->open_fds, after->open_fds + 1);
  EXPECT_GT(after->resident_bytes, 1 << 20);
  EXPECT_GE(after->virtual_bytes, after->resident_bytes);
  EXPECT_GE(after->threads, 1);
  EXPECT_GE(after->cpu_seconds, 0);
  EXPECT_TRUE(after->max_fds == -1 || after->max_fds >= after->open_fds);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(after->start_time_seconds, now + 2);
  EXPECT_GT(after->start_time_seconds, now - 3600);  // started within the hour: this test
  EXPECT_EQ(ProcessCollector().Collect().size(), 7u);
}

}  // namespace
}  // namespace gryadka::server
