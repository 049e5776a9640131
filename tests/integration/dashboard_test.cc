// The Grafana dashboard (deploy/grafana/gryadka-dashboard.json) against a live scrape: a real
// cluster (3 Redis, 2 proposers with --metrics_listen) serves a few calls of every kind, and
// every metric and label the dashboard's PromQL names must be in its /metrics. Also pins that
// the check fails on a misspelled metric or label, and the PromQL reading it relies on.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster.h"
#include "tests/integration/dashboard_check.h"

namespace gryadka::dashboard {
namespace {

using integration::FetchMetrics;

std::string ReadDashboard() {
  std::ifstream in(GRYADKA_DASHBOARD_JSON);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}


TEST(DashboardQueryTest, SelectorsMatchersAndGroupingLabelsAreReadVariablesAndFunctionsSkipped) {
  auto refs = ParseQuery(
      R"(histogram_quantile(0.99, sum by (le, method) (rate(x_bucket{job=~"$job", code!="OK"}[$__rate_interval]))) / on(instance) group_left y)");
  ASSERT_TRUE(refs.ok()) << refs.status();
  ASSERT_EQ(refs->selectors.size(), 2u);
  EXPECT_EQ(refs->selectors[0].metric, "x_bucket");
  EXPECT_EQ(refs->selectors[0].labels, (std::set<std::string>{"job", "code"}));
  EXPECT_EQ(refs->selectors[1].metric, "y");
  EXPECT_EQ(refs->grouping_labels, (std::set<std::string>{"le", "method", "instance"}));
}

TEST(DashboardQueryTest, GrafanaLabelValuesIsReadAsItsSelectorGroupedByTheLabel) {
  auto refs = ParseQuery(R"(label_values(gryadka_build_info{job=~"$job"}, instance))");
  ASSERT_TRUE(refs.ok()) << refs.status();
  ASSERT_EQ(refs->selectors.size(), 1u);
  EXPECT_EQ(refs->selectors[0].metric, "gryadka_build_info");
  EXPECT_EQ(refs->grouping_labels, (std::set<std::string>{"instance"}));
}

TEST(DashboardQueryTest, MalformedQueriesAreErrorsNamingTheProblem) {
  EXPECT_NE(ParseQuery(R"(x{a="b)").status().message().find("unterminated"),
            absl::string_view::npos);
  EXPECT_NE(ParseQuery(R"({__name__="x"})").status().message().find("without a metric name"),
            absl::string_view::npos);
}

TEST(DashboardQueryTest, ScrapeParsingKeepsEachSeriesLabelNames) {
  auto index = ParseScrape(
      "# TYPE h histogram\nh_bucket{le=\"0.1\",method=\"Get\"} 1\nh_count{method=\"Get\"} 1\nc "
      "3\n");
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ((*index)["h_bucket"], (std::set<std::string>{"le", "method"}));
  EXPECT_EQ((*index)["h_count"], (std::set<std::string>{"method"}));
  EXPECT_TRUE(index->count("c"));
  EXPECT_FALSE(index->count("h"));
}

class DashboardLiveTest : public ::testing::Test {
 protected:
  // A cluster of 2 proposers with metrics, after puts, gets, a conflict, a decline and an
  // error; `scrape_` is proposer 0's /metrics.
  void SetUp() override {
    integration::ClusterOptions options;
    options.proposers = 0;
    auto c = integration::Cluster::Start(options);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = *std::move(c);
    for (int i = 0; i < 2; ++i) {
      auto port = process::FreeLoopbackPort();
      ASSERT_TRUE(port.ok()) << port.status();
      metrics_ports_.push_back(*port);
      auto added = cluster_->AddProposer({absl::StrCat("--metrics_listen=127.0.0.1:", *port)});
      ASSERT_TRUE(added.ok()) << added.status();
      ASSERT_TRUE(cluster_->WaitHealth(*added, true).ok()) << cluster_->Logs();
    }
    DriveCalls();
    auto index = ParseScrape(FetchMetrics(metrics_ports_[0]));
    ASSERT_TRUE(index.ok()) << index.status();
    scrape_ = *std::move(index);
    ASSERT_TRUE(scrape_.count("gryadka_calls_total")) << "no scrape from proposer 0\n"
                                                      << cluster_->Logs();
  }

  void DriveCalls() {
    auto a = cluster_->NewClient(0), b = cluster_->NewClient(1);
    // Writes of one key through both proposers in turn: each finds the other's higher ballot.
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE((i % 2 ? b : a)->Put("shared", absl::StrCat("v", i)).ok());
    }
    ASSERT_TRUE(a->Get("shared").ok());
    ASSERT_TRUE(a->CompareAndSet("shared", /*expected_version=*/999, "stale").ok());  // a decline
    ASSERT_TRUE(a->Increment("counter", 1).ok());
    ASSERT_TRUE(a->Delete("counter").ok());
    EXPECT_FALSE(a->Get("").ok());  // an error: INVALID_ARGUMENT
  }

  std::unique_ptr<integration::Cluster> cluster_;
  std::vector<int> metrics_ports_;
  ScrapeIndex scrape_;
};

TEST_F(DashboardLiveTest, EveryMetricAndLabelTheDashboardQueriesIsInALiveScrape) {
  const std::string json = ReadDashboard();
  ASSERT_FALSE(json.empty()) << "cannot read " << GRYADKA_DASHBOARD_JSON;
  auto queries = DashboardQueries(json);
  ASSERT_TRUE(queries.ok()) << queries.status();
  EXPECT_GE(queries->size(), 20u);  // the panels' queries and the template variables
  const std::vector<std::string> problems = CheckDashboard(json, scrape_);
  EXPECT_TRUE(problems.empty()) << absl::StrJoin(problems, "\n");
}

TEST_F(DashboardLiveTest, AMisspelledMetricOrLabelInTheDashboardIsReported) {
  const std::string json = ReadDashboard();
  ASSERT_TRUE(CheckDashboard(json, scrape_).empty());
  const std::string bad_metric =
      absl::StrReplaceAll(json, {{"gryadka_conflicts_total", "gryadka_conflict_total"}});
  const std::vector<std::string> p1 = CheckDashboard(bad_metric, scrape_);
  ASSERT_EQ(p1.size(), 1u) << absl::StrJoin(p1, "\n");
  EXPECT_NE(p1[0].find("metric gryadka_conflict_total"), std::string::npos) << p1[0];

  // In the JSON text the matcher's quotes are escaped: path=\"one_rtt\".
  const std::string bad_label =
      absl::StrReplaceAll(json, {{R"(path=\"one_rtt)", R"(rtt=\"one_rtt)"}});
  const std::vector<std::string> p2 = CheckDashboard(bad_label, scrape_);
  ASSERT_EQ(p2.size(), 1u) << absl::StrJoin(p2, "\n");
  EXPECT_NE(p2[0].find("label rtt is not a label of gryadka_rounds_total"), std::string::npos)
      << p2[0];

  const std::string bare_histogram = absl::StrReplaceAll(
      json, {{"gryadka_call_duration_seconds_sum", "gryadka_call_duration_seconds"}});
  EXPECT_FALSE(CheckDashboard(bare_histogram, scrape_).empty());
}

}  // namespace
}  // namespace gryadka::dashboard
