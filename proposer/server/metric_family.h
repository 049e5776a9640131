// Building prometheus::MetricFamily values by hand, for collectors that compute their metrics at
// scrape time (metrics.cc's shard snapshots, process_metrics.cc's /proc reads). Header-only.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "prometheus/metric_family.h"

namespace gryadka::server {

// An empty family of `type` (Counter or Gauge).
inline prometheus::MetricFamily Family(const std::string& name, const std::string& help,
                                       prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

// Adds one sample with `labels` to *f, as a counter or gauge value by f->type.
inline void AddValue(prometheus::MetricFamily* f, double v,
                     std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  if (f->type == prometheus::MetricType::Counter) {
    m.counter.value = v;
  } else {
    m.gauge.value = v;
  }
  f->metric.push_back(std::move(m));
}

// A family with one unlabelled sample.
inline prometheus::MetricFamily OneValueFamily(const std::string& name, const std::string& help,
                                               prometheus::MetricType type, double v) {
  prometheus::MetricFamily f = Family(name, help, type);
  AddValue(&f, v);
  return f;
}

}  // namespace gryadka::server
