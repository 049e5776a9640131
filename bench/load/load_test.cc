// Unit tests of gryadka-bench's pure parts: the latency histogram, option parsing and
// validation, the Prometheus text parser, JSON escaping, and the availability arithmetic of
// --fault runs (timeline gaps, throughput and latency by stretch).
#include <algorithm>
#include <vector>

#include "bench/load/histogram.h"
#include "bench/load/metrics_scrape.h"
#include "bench/load/options.h"
#include "bench/load/report.h"
#include "bench/load/timeline.h"
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
      {"--redis_appendfsync", [](BenchOptions& o) { o.redis_appendfsync = "sometimes"; }},
      {"--target", [](BenchOptions& o) { o.targets = {"h:1"}; }},
      {"--target", [](BenchOptions& o) { o.spawn = false; }},
      {"--report_rss",
       [](BenchOptions& o) {
         o.spawn = false;
         o.targets = {"h:1"};
         o.report_rss = true;
       }},
      {"--proposer_flags",
       [](BenchOptions& o) {
         o.spawn = false;
         o.targets = {"h:1"};
         o.proposer_flags = {"--one_rtt=false"};
       }},
      {"--redis_appendfsync",
       [](BenchOptions& o) {
         o.spawn = false;
         o.targets = {"h:1"};
         o.redis_appendfsync = "no";
       }},
      {"--report_cpu",
       [](BenchOptions& o) {
         o.spawn = false;
         o.targets = {"h:1"};
         o.report_cpu = true;
       }},
      {"--cpu_pids",
       [](BenchOptions& o) {
         o.cpu_pids = {{"server", 1}};
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

TEST(OptionsTest, CpuPidsParseAndBadOnesNameTheElement) {
  auto ok = ParseCpuPids("grpc-floor=123, etcd.0=7");
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0], (std::pair<std::string, int>("grpc-floor", 123)));
  EXPECT_EQ((*ok)[1], (std::pair<std::string, int>("etcd.0", 7)));
  auto none = ParseCpuPids("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  for (const char* bad : {"floor", "floor=", "=5", "floor=0", "floor=-3", "floor=x", "a b=1",
                          "machine=1", "gryadka-bench=1", "redis-0=1", "proposer-1=1", "a=1,a=2"}) {
    auto r = ParseCpuPids(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--cpu_pids"), absl::string_view::npos) << bad;
  }
  // With --target, --report_cpu reads the processes --cpu_pids names.
  BenchOptions o;
  o.targets = {"h:1"};
  o.report_cpu = true;
  o.cpu_pids = {{"server", 1}};
  EXPECT_TRUE(ValidateOptions(o).ok());
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

TEST(OptionsTest, RoutingAndFaultKindsParseAndRoundTrip) {
  for (const char* name : {"affine", "random"}) {
    auto r = ParseRouting(name);
    ASSERT_TRUE(r.ok()) << name;
    EXPECT_STREQ(RoutingName(*r), name);
  }
  for (const char* name : {"none", "freeze_acceptor", "kill_acceptor"}) {
    auto f = ParseFaultKind(name);
    ASSERT_TRUE(f.ok()) << name;
    EXPECT_STREQ(FaultKindName(*f), name);
  }
  auto bad_routing = ParseRouting("sticky");
  ASSERT_FALSE(bad_routing.ok());
  EXPECT_NE(bad_routing.status().message().find("--routing"), absl::string_view::npos);
  auto bad_fault = ParseFaultKind("partition");
  ASSERT_FALSE(bad_fault.ok());
  EXPECT_NE(bad_fault.status().message().find("--fault"), absl::string_view::npos);
}

// A --spawn run with a valid fault schedule: 5 s healthy, 5 s frozen, 5 s after.
BenchOptions ValidFaultRun() {
  BenchOptions o;
  o.spawn = true;
  o.duration_s = 15;
  o.fault.kind = FaultKind::kFreezeAcceptor;
  o.fault.acceptor = 2;
  o.fault.at_s = 5;
  o.fault.duration_s = 5;
  return o;
}

TEST(OptionsTest, FaultScheduleOutsideTheWindowOrWithoutSpawnNamesTheFlag) {
  ASSERT_TRUE(ValidateOptions(ValidFaultRun()).ok()) << ValidateOptions(ValidFaultRun());
  struct Case {
    const char* flag;
    void (*mutate)(BenchOptions&);
  };
  const Case cases[] = {
      {"--fault", [](BenchOptions& o) {
         o.spawn = false;
         o.targets = {"h:1"};
       }},
      {"--fault_acceptor", [](BenchOptions& o) { o.fault.acceptor = -1; }},
      {"--fault_acceptor", [](BenchOptions& o) { o.fault.acceptor = kSpawnedAcceptors; }},
      {"--fault_at_s", [](BenchOptions& o) { o.fault.at_s = 0; }},
      {"--fault_duration_s", [](BenchOptions& o) { o.fault.duration_s = 0; }},
      {"--fault_duration_s", [](BenchOptions& o) { o.fault.duration_s = 10; }},  // ends at 15 s
      {"--duration_s", [](BenchOptions& o) { o.duration_s = kFaultRunSecondsMax + 1; }},
      {"--max_ops", [](BenchOptions& o) { o.max_ops = 100; }},
  };
  for (const Case& c : cases) {
    BenchOptions o = ValidFaultRun();
    c.mutate(o);
    absl::Status s = ValidateOptions(o);
    ASSERT_FALSE(s.ok()) << c.flag;
    EXPECT_NE(s.message().find(c.flag), absl::string_view::npos) << c.flag << ": " << s.message();
  }
  // Without --fault the schedule is not checked (its defaults need not fit the window).
  BenchOptions no_fault = ValidFaultRun();
  no_fault.fault.kind = FaultKind::kNone;
  no_fault.duration_s = 1;
  EXPECT_TRUE(ValidateOptions(no_fault).ok());
}

TEST(TimelineTest, LongestGapIsTheLongestRunOfEmptyMillisecondsInsideTheWindow) {
  Timeline t(20);
  for (int64_t ms : {0, 1, 2, 9, 10, 19}) t.Record(ms);  // empty: 3..8 (6 ms), 11..18 (8 ms)
  EXPECT_EQ(t.LongestGapMs(0, 20), 8);
  EXPECT_EQ(t.LongestGapMs(0, 10), 6);
  EXPECT_EQ(t.LongestGapMs(5, 10), 4);    // clipped at the window start: 5..8
  EXPECT_EQ(t.LongestGapMs(12, 15), 3);   // entirely inside a gap
  EXPECT_EQ(t.LongestGapMs(0, 3), 0);     // every millisecond had a success
  EXPECT_EQ(t.LongestGapMs(15, 100), 4);  // clipped at the timeline end: 15..18
  EXPECT_EQ(t.LongestGapMs(10, 10), 0);   // empty window
}

TEST(TimelineTest, OpsAndThroughputCountTheClippedWindow) {
  Timeline t(1000);
  for (int i = 0; i < 500; ++i) t.Record(i);      // 1 op/ms for the first half
  for (int i = 0; i < 3; ++i) t.Record(999);
  EXPECT_EQ(t.Ops(0, 1000), 503u);
  EXPECT_DOUBLE_EQ(t.OpsPerSecond(0, 500), 1000.0);
  EXPECT_DOUBLE_EQ(t.OpsPerSecond(500, 999), 0.0);
  EXPECT_DOUBLE_EQ(t.OpsPerSecond(999, 5000), 3000.0);  // clipped to the 1 ms left
  EXPECT_DOUBLE_EQ(t.OpsPerSecond(-5, 0), 0.0);
}

TEST(TimelineTest, OffsetsOutsideTheTimelineAreDroppedNotCounted) {
  Timeline t(10);
  t.Record(-1);
  t.Record(10);
  t.Record(9);
  EXPECT_EQ(t.Ops(0, 10), 1u);
  EXPECT_EQ(t.dropped(), 2u);
}

TEST(TimelineTest, LengthIsBoundedByTheMaximum) {
  EXPECT_EQ(Timeline(kTimelineMsMax + 1000).length_ms(), kTimelineMsMax);
  EXPECT_EQ(Timeline(-5).length_ms(), 0);
}

TEST(TimelineTest, MergeAddsPerMillisecondCountsAcrossThreads) {
  Timeline a(5), b(8);
  a.Record(1);
  b.Record(1);
  b.Record(7);  // only b saw a success in ms 7
  a.Merge(b);
  EXPECT_EQ(a.length_ms(), 8);
  EXPECT_EQ(a.counts()[1], 2u);
  EXPECT_EQ(a.counts()[7], 1u);
  EXPECT_EQ(a.LongestGapMs(0, 8), 5);  // 2..6
}

TEST(TimelineTest, WindowOfSplitsAtTheFaultStartAndEnd) {
  EXPECT_EQ(WindowOf(0, 100, 200), FaultWindow::kHealthy);
  EXPECT_EQ(WindowOf(99, 100, 200), FaultWindow::kHealthy);
  EXPECT_EQ(WindowOf(100, 100, 200), FaultWindow::kFault);
  EXPECT_EQ(WindowOf(199, 100, 200), FaultWindow::kFault);
  EXPECT_EQ(WindowOf(200, 100, 200), FaultWindow::kAfter);
}

// A frozen acceptor stalls everything for 490 ms, then throughput is a seventh of the healthy one.
TEST(ReportTest, CpuMicrosPerOperationIsEachProcessesCoresOverThroughputWithoutTheMachine) {
  BenchResult r;
  r.window_s = 2;
  r.stats.ops = 20000;  // 10,000 ops/s
  r.cpu_cores = {{"proposer-0", 0.5}, {"redis-0", 0.2}, {"gryadka-bench", 0.25}, {"machine", 1.9}};
  const auto per_op = r.CpuMicrosPerOp();
  ASSERT_EQ(per_op.size(), 3u);
  EXPECT_EQ(per_op[0].first, "proposer-0");
  EXPECT_NEAR(per_op[0].second, 50.0, 1e-9);
  EXPECT_NEAR(per_op[1].second, 20.0, 1e-9);
  EXPECT_NEAR(per_op[2].second, 25.0, 1e-9);
  BenchOptions o;
  const std::string json = FormatJson(o, r);
  EXPECT_NE(json.find("\"cpu_us_per_op\":{\"proposer-0\":50.00,\"redis-0\":20.00,"
                      "\"gryadka-bench\":25.00},"),
            std::string::npos)
      << json;
  const std::string table = FormatTable(o, r);
  EXPECT_NE(table.find("proposer-0 50.0, redis-0 20.0, gryadka-bench 25.0 (total 95.0)"),
            std::string::npos)
      << table;
  r.stats.ops = 0;  // nothing completed: no per-operation figure rather than infinity
  EXPECT_TRUE(r.CpuMicrosPerOp().empty());
}

TEST(ReportTest, AvailabilityGivesThroughputRatioAndGapFromTheTimeline) {
  BenchOptions o = ValidFaultRun();
  BenchResult r;
  r.window_s = 15;
  r.fault_started_ms = 5000.4;
  r.fault_ended_ms = 10001.7;
  r.stats.timeline = Timeline(15000);
  for (int64_t ms = 0; ms < 5000; ++ms) {
    for (int i = 0; i < 7; ++i) r.stats.timeline.Record(ms);
  }
  for (int64_t ms = 5490; ms < 10001; ++ms) r.stats.timeline.Record(ms);
  for (int64_t ms = 10001; ms < 15000; ++ms) {
    for (int i = 0; i < 7; ++i) r.stats.timeline.Record(ms);
  }
  r.stats.timeline.Record(2999);  // one more in the healthy stretch
  r.stats.window_latency[static_cast<int>(FaultWindow::kFault)].Record(490000000);
  const Availability a = ComputeAvailability(o, r);
  EXPECT_EQ(a.fault_start_ms, 5000);
  EXPECT_EQ(a.fault_end_ms, 10001);
  EXPECT_NEAR(a.ops_per_s[static_cast<int>(FaultWindow::kHealthy)], 7000.2, 0.01);
  EXPECT_NEAR(a.ops_per_s[static_cast<int>(FaultWindow::kFault)], 4511 * 1000.0 / 5001, 0.01);
  EXPECT_NEAR(a.ops_per_s[static_cast<int>(FaultWindow::kAfter)], 7000.0, 0.01);
  EXPECT_NEAR(a.throughput_ratio, (4511 * 1000.0 / 5001) / 7000.2, 1e-6);
  EXPECT_EQ(a.longest_gap_ms, 490);
  EXPECT_EQ(a.healthy_longest_gap_ms, 0);
  EXPECT_NEAR(a.max_ms[static_cast<int>(FaultWindow::kFault)], 490, 490.0 / 64);
  const std::string json = FormatJson(o, r);
  EXPECT_NE(json.find("\"longest_gap_ms\":490,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"healthy_ops_per_s\":7000.2,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"kind\":\"freeze_acceptor\""), std::string::npos) << json;
}

TEST(ReportTest, AvailabilityFallsBackToTheScheduleWhenTheFaultDidNotHappen) {
  BenchOptions o = ValidFaultRun();
  BenchResult r;
  r.window_s = 2.5;  // interrupted before the fault
  r.stats.timeline = Timeline(15000);
  for (int64_t ms = 0; ms < 2500; ++ms) r.stats.timeline.Record(ms);
  const Availability a = ComputeAvailability(o, r);
  EXPECT_EQ(a.fault_start_ms, 5000);
  EXPECT_EQ(a.fault_end_ms, 10000);
  EXPECT_DOUBLE_EQ(a.ops_per_s[static_cast<int>(FaultWindow::kHealthy)], 1000.0);
  // Nothing after the window's end counts as a gap.
  EXPECT_EQ(a.longest_gap_ms, 0);
  EXPECT_EQ(a.healthy_longest_gap_ms, 0);
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

}  // namespace
}  // namespace gryadka::bench
