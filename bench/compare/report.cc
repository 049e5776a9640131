#include "bench/compare/report.h"

#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/load/report.h"
#include "client/shared/json_string.h"

namespace gryadka::bench::compare {
namespace {

std::string Ratio(double num, double den) {
  if (!(den > 0 && num > 0)) return "–";
  const double r = num / den;
  return absl::StrFormat(r < 0.1 ? "%.3f×" : "%.2f×", r);  // small ratios keep 3 digits
}

}  // namespace

double RunResult::system_us_per_op() const {
  return stats.ops == 0 ? 0 : system_cores * window_s / stats.ops * 1e6;
}

double RunResult::bench_us_per_op() const {
  return stats.ops == 0 ? 0 : bench_cores * window_s / stats.ops * 1e6;
}

double FloorsCeilingOpsPerS(const RunResult& grpc_floor, const RunResult& fsync_floor, int cores) {
  if (grpc_floor.stats.ops == 0 || fsync_floor.stats.ops == 0) return 0;
  const double us =
      grpc_floor.system_us_per_op() + grpc_floor.bench_us_per_op() + fsync_floor.system_us_per_op();
  return us > 0 ? cores * 1e6 / us : 0;
}

std::string FormatTables(const std::vector<RunResult>& runs, int cores) {
  std::string out =
      "| keys | clients | system | ops/s | p50 ms | p99 ms | p99.9 ms | errors | retries/op | "
      "system cores | system CPU µs/op | bench cores | others cores |\n"
      "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  // (keys, clients) -> system -> run
  std::map<std::pair<uint64_t, int>, std::map<std::string, const RunResult*>> cases;
  std::vector<std::pair<uint64_t, int>> order;  // cases in the order they ran
  for (const RunResult& r : runs) {
    if (cases.find({r.keys, r.clients}) == cases.end()) order.emplace_back(r.keys, r.clients);
    cases[{r.keys, r.clients}][r.system] = &r;
    const double retries =
        r.stats.ops == 0 ? 0 : static_cast<double>(r.stats.retries) / r.stats.ops;
    absl::StrAppendFormat(&out,
                          "| %d | %d | %s | %.0f | %.3f | %.3f | %.3f | %d | %.3f | %.2f | %.1f | "
                          "%.2f | %.2f |\n",
                          r.keys, r.clients, r.system, r.ops_per_s(), r.ms(0.5), r.ms(0.99),
                          r.ms(0.999), r.stats.errors, retries, r.system_cores,
                          r.system_us_per_op(), r.bench_cores, r.others_cores);
  }
  absl::StrAppend(&out,
                  "\n| keys | clients | Gryadka ÷ etcd ops/s | Gryadka ÷ etcd p50 | "
                  "Gryadka ÷ etcd p99 | etcd ÷ Gryadka CPU µs/op | Gryadka ÷ Redis ops/s | "
                  "Gryadka ÷ fsync floor ops/s | fsync floor ÷ etcd ops/s | "
                  "fsync floor ÷ etcd p50 | gRPC floor ÷ etcd ops/s | "
                  "floors' CPU ceiling ÷ etcd ops/s |\n"
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& key : order) {
    const std::map<std::string, const RunResult*>& systems = cases[key];
    auto find = [&systems](const char* name) -> const RunResult* {
      auto it = systems.find(name);
      return it == systems.end() ? nullptr : it->second;
    };
    const RunResult* g = find(kGryadka);
    const RunResult* e = find(kEtcd);
    const RunResult* r = find(kRedis);
    const RunResult* f = find(kFsyncFloor);
    const RunResult* gf = find(kGrpcFloor);
    if (g == nullptr && (e == nullptr || (f == nullptr && gf == nullptr))) {
      continue;  // no ratio to show
    }
    auto ratio = [](const RunResult* a, const RunResult* b, auto value) -> std::string {
      return a != nullptr && b != nullptr ? Ratio(value(*a), value(*b)) : "–";
    };
    auto ops = [](const RunResult& x) { return x.ops_per_s(); };
    auto p50 = [](const RunResult& x) { return x.ms(0.5); };
    auto p99 = [](const RunResult& x) { return x.ms(0.99); };
    auto cpu = [](const RunResult& x) { return x.system_us_per_op(); };
    const std::string ceiling = gf != nullptr && f != nullptr && e != nullptr
                                    ? Ratio(FloorsCeilingOpsPerS(*gf, *f, cores), e->ops_per_s())
                                    : "–";
    absl::StrAppendFormat(&out, "| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                          key.first, key.second, ratio(g, e, ops), ratio(g, e, p50),
                          ratio(g, e, p99), ratio(e, g, cpu), ratio(g, r, ops), ratio(g, f, ops),
                          ratio(f, e, ops), ratio(f, e, p50), ratio(gf, e, ops), ceiling);
  }
  return out;
}

std::string FormatJsonLine(const RunResult& r) {
  return absl::StrFormat(
      "{\"system\":%s,\"keys\":%d,\"clients\":%d,\"ops_per_s\":%.1f,\"ops\":%d,\"window_s\":%.3f,"
      "\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"p999_ms\":%.4f,\"errors\":%d,\"retries\":%d,"
      "\"first_error\":%s,\"prefill_ops\":%d,\"prefill_errors\":%d,\"system_cores\":%.3f,"
      "\"bench_cores\":%.3f,\"idle_systems_cores\":%.3f,\"others_cores\":%.3f,\"system_us_per_op\":"
      "%.2f}",
      JsonString(r.system), r.keys, r.clients, r.ops_per_s(), r.stats.ops, r.window_s, r.ms(0.5),
      r.ms(0.99), r.ms(0.999), r.stats.errors, r.stats.retries, JsonString(r.stats.first_error),
      r.stats.prefill_ops, r.stats.prefill_errors, r.system_cores, r.bench_cores,
      r.idle_systems_cores, r.others_cores, r.system_us_per_op());
}

}  // namespace gryadka::bench::compare
