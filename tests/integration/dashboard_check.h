// Checks a Grafana dashboard's PromQL against a Prometheus text-format scrape: every metric a
// query selects must be a series name in the scrape, and every label it matches on or groups
// by must be a label of that series (or a target label Prometheus adds at scrape time). Used by
// dashboard_test.cc against a live gryadka-proposer; see docs/kubernetes.md ("Dashboard").
//
// Histograms: a scrape names their series `<name>_bucket`, `<name>_sum`, `<name>_count` (the
// `le` label only on `_bucket`), so queries must use those exact names; the bare histogram name
// is not a series and is reported.
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gryadka::dashboard {

// Series name -> the label names seen on its samples.
using ScrapeIndex = std::map<std::string, std::set<std::string>>;

// Labels Prometheus attaches to every scraped series; never in a target's own /metrics.
inline const std::set<std::string>& TargetLabels() {
  static const std::set<std::string> kLabels = {"job", "instance"};
  return kLabels;
}

// Parses the Prometheus text exposition format. Errors name the malformed line.
absl::StatusOr<ScrapeIndex> ParseScrape(absl::string_view text);

// What one PromQL query refers to.
struct QueryRefs {
  struct Selector {
    std::string metric;
    std::set<std::string> labels;  // label names of its {...} matchers
  };
  std::vector<Selector> selectors;
  std::set<std::string> grouping_labels;  // by/without/on/ignoring/group_left/group_right (...)
};

// Extracts the selectors and grouping labels of a PromQL expression (Grafana `$variables` are
// skipped; a Grafana `label_values(SELECTOR, LABEL)` query is read as SELECTOR grouped by
// LABEL). Errors name the expression and what is malformed (an unterminated string or brace, a
// matcher block without a metric name).
absl::StatusOr<QueryRefs> ParseQuery(absl::string_view expr);

// The PromQL of a Grafana dashboard JSON: every "expr" (panel targets, nested row panels too)
// and the query of every `query` template variable. Errors: the JSON does not parse.
absl::StatusOr<std::vector<std::string>> DashboardQueries(absl::string_view json);

// Every problem of the dashboard against the scrape, one sentence each naming the metric, the
// label and the query; empty: all good. Also reported: a query with no metric, a dashboard
// with no queries, and a datasource uid other than "${datasource}".
std::vector<std::string> CheckDashboard(absl::string_view json, const ScrapeIndex& scrape);

}  // namespace gryadka::dashboard
