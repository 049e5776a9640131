// Unit tests of gryadka-bench's pure parts: the latency histogram, option parsing and
// validation, the Prometheus text parser and JSON escaping.
#include <algorithm>
#include <vector>

#include "bench/load/histogram.h"
#include "bench/load/metrics_scrape.h"
#include "bench/load/options.h"
#include "bench/load/report.h"
#include "gtest/gtest.h"
#include "proposer/core/random.h"

namespace gryadka::bench {
namespace {

TEST(LatencyHistogramTest, BucketsTileTheRangeWithoutGapsOrOverlaps) {
  for (int b = 1; b < LatencyHistogram::kBuckets; ++b) {
    ASSERT_EQ(LatencyHistogram::BucketLowNs(b), LatencyHistogram::BucketHighNs(b - 1) + 1) << b;
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketLowNs(b)), b);
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketHighNs(b)), b);
  }
  EXPECT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::kMaxTrackableNs),
            LatencyHistogram::kBuckets - 1);
  EXPECT_EQ(LatencyHistogram::BucketOf(UINT64_MAX), LatencyHistogram::kBuckets - 1);
}

TEST(LatencyHistogramTest, BucketWidthIsAtMostOneSixtyFourthOfItsValue) {
  for (int b = LatencyHistogram::kSubBuckets; b < LatencyHistogram::kBuckets; ++b) {
    const uint64_t lo = LatencyHistogram::BucketLowNs(b);
    const uint64_t width = LatencyHistogram::BucketHighNs(b) - lo + 1;
    ASSERT_LE(width * 64, lo) << b;
  }
}

TEST(LatencyHistogramTest, QuantilesMatchExactOnesWithinTheBucketError) {
  core::Random rng(3);
  std::vector<int64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 100000; ++i) {
    // Log-uniform from 10 us to 100 ms, like real latencies.
    const int64_t v = static_cast<int64_t>(10000.0 * std::pow(10000.0, rng.Unit()));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = static_cast<double>(values[static_cast<size_t>(std::ceil(q * values.size())) - 1]);
    const double got = static_cast<double>(h.QuantileNs(q));
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(got, exact * (1 + 1.0 / 64)) << q;
  }
  EXPECT_EQ(h.max_ns(), static_cast<uint64_t>(values.back()));
  EXPECT_EQ(h.QuantileNs(1.0), h.max_ns());
  EXPECT_EQ(h.count(), values.size());
}

TEST(LatencyHistogramTest, MergeAddsCountsAndKeepsExtremes) {
  LatencyHistogram a, b;
  a.Record(100);
  a.Record(5000000);
  b.Record(7);
  a.Merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.min_ns(), 7u);
  EXPECT_EQ(a.max_ns(), 5000000u);
  EXPECT_EQ(LatencyHistogram().QuantileNs(0.5), 0u);
}

TEST(OptionsTest, WorkloadsParseAndRoundTrip) {
  for (const char* w : {"incr", "cas", "read", "put", "mixed:90/10", "mixed:0/100"}) {
    auto parsed = ParseWorkload(w);
    ASSERT_TRUE(parsed.ok()) << w << ": " << parsed.status();
    EXPECT_EQ(parsed->ToString(), w);
  }
  auto mixed = ParseWorkload("mixed:90/10");
  EXPECT_EQ(mixed->read_percent, 90);
  EXPECT_EQ(mixed->write_percent, 10);
}

TEST(OptionsTest, BadWorkloadNamesTheFlag) {
  for (const char* w : {"", "incrx", "mixed:90/20", "mixed:90", "mixed:-10/110", "mixed:a/b"}) {
    auto parsed = ParseWorkload(w);
    ASSERT_FALSE(parsed.ok()) << w;
    EXPECT_NE(parsed.status().message().find("--workload"), absl::string_view::npos) << w;
  }
}

TEST(OptionsTest, TargetsParseAndRejectDuplicatesAndBadPorts) {
  auto t = ParseTargets("127.0.0.1:8080, [::1]:9090");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, (std::vector<std::string>{"127.0.0.1:8080", "[::1]:9090"}));
  for (const char* bad : {"localhost", "h:0", "h:70000", "h:80,h:80", ":80"}) {
    auto r = ParseTargets(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--target"), absl::string_view::npos) << bad;
  }
}

TEST(OptionsTest, ValidationNamesTheFlagAtFault) {
  BenchOptions base;
  base.spawn = true;
  ASSERT_TRUE(ValidateOptions(base).ok());
  struct Case {
    const char* flag;
    void (*mutate)(BenchOptions&);
  };
  const Case cases[] = {
      {"--concurrency", [](BenchOptions& o) { o.concurrency = 0; }},
      {"--concurrency", [](BenchOptions& o) { o.concurrency = kConcurrencyMax + 1; }},
      {"--keys", [](BenchOptions& o) { o.keys = 0; }},
      {"--value_bytes", [](BenchOptions& o) { o.value_bytes = kValueBytesMax + 1; }},
      {"--duration_s", [](BenchOptions& o) { o.duration_s = 0; }},
      {"--warmup_s", [](BenchOptions& o) { o.warmup_s = -1; }},
      {"--deadline_ms", [](BenchOptions& o) { o.deadline_ms = 0; }},
      {"--threads", [](BenchOptions& o) { o.threads = 0; }},
      {"--channels", [](BenchOptions& o) { o.channels = 0; }},
      {"--proposers", [](BenchOptions& o) { o.proposers = 0; }},
      {"--proposer_io_threads", [](BenchOptions& o) { o.proposer_io_threads = 0; }},
      {"--target", [](BenchOptions& o) { o.targets = {"h:1"}; }},
      {"--target", [](BenchOptions& o) { o.spawn = false; }},
      {"--report_rss", [](BenchOptions& o) {
         o.spawn = false;
         o.targets = {"h:1"};
         o.report_rss = true;
       }},
      {"--proposer_flags", [](BenchOptions& o) {
         o.spawn = false;
         o.targets = {"h:1"};
         o.proposer_flags = {"--one_rtt=false"};
       }},
  };
  for (const Case& c : cases) {
    BenchOptions o = base;
    c.mutate(o);
    absl::Status s = ValidateOptions(o);
    ASSERT_FALSE(s.ok()) << c.flag;
    EXPECT_NE(s.message().find(c.flag), absl::string_view::npos) << c.flag << ": " << s.message();
  }
}

TEST(OptionsTest, MetricsUrlParses) {
  auto u = ParseHttpUrl("http://127.0.0.1:9100/metrics");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 9100);
  EXPECT_EQ(u->path, "/metrics");
  EXPECT_EQ(u->ToString(), "http://127.0.0.1:9100/metrics");
  EXPECT_FALSE(ParseHttpUrl("https://h:1/metrics").ok());
  EXPECT_FALSE(ParseHttpUrl("http://h/metrics").ok());
}

TEST(MetricsScrapeTest, PrometheusTextGivesRoundsByPath) {
  const char* text =
      "# HELP gryadka_rounds_total Paxos rounds started.\n"
      "# TYPE gryadka_rounds_total counter\n"
      "gryadka_rounds_total{path=\"one_rtt\"} 1234\n"
      "gryadka_rounds_total{path=\"two_rtt\"} 5.5e+01\n"
      "gryadka_cache_entries 17 1700000000000\n"
      "garbage line\n";
  auto m = ParsePrometheusText(text);
  EXPECT_EQ(m["gryadka_rounds_total{path=\"one_rtt\"}"], 1234);
  EXPECT_EQ(m["gryadka_rounds_total{path=\"two_rtt\"}"], 55);
  EXPECT_EQ(m["gryadka_cache_entries"], 17);
  EXPECT_EQ(m.count("garbage"), 0u);
}

TEST(ReportTest, JsonStringEscapes) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

}  // namespace
}  // namespace gryadka::bench
