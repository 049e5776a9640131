// What gryadka-compare prints: one row per (keys, clients, system) run, a table of the ratios
// between the systems measured in the same run, and one JSON line per run (for scripts).
// Pure formatting; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/compare/closed_loop.h"

namespace gryadka::bench::compare {

// Names as printed and accepted by --systems.
inline constexpr char kGryadka[] = "gryadka";
inline constexpr char kEtcd[] = "etcd";
inline constexpr char kRedis[] = "redis";
inline constexpr char kFsyncFloor[] = "fsync-floor";
inline constexpr char kGrpcFloor[] = "grpc-floor";
// Every system, in the order --systems names them by default.
inline constexpr const char* kSystems[] = {kGryadka, kEtcd, kRedis, kFsyncFloor, kGrpcFloor};

struct RunResult {
  std::string system;  // one of kSystems
  uint64_t keys = 0;
  int clients = 0;  // concurrency
  LoopStats stats;
  double window_s = 0;
  // CPU over the window, in cores (CPU seconds / window seconds): the system's own processes
  // summed, this load generator, the systems started for the other runs (idle meanwhile), and
  // everything else on the machine.
  double system_cores = 0;
  double bench_cores = 0;
  double idle_systems_cores = 0;
  double others_cores = 0;

  double ops_per_s() const { return window_s > 0 ? stats.ops / window_s : 0; }
  double ms(double q) const { return stats.latency.QuantileNs(q) / 1e6; }
  // CPU µs the system's processes spent per successful operation (0 without operations).
  double system_us_per_op() const;
  double bench_us_per_op() const;
};

// The per-run table, then the ratios (Gryadka ÷ etcd, Gryadka ÷ Redis, Gryadka ÷ fsync floor,
// fsync floor ÷ etcd, gRPC floor ÷ etcd and the floors' CPU ceiling ÷ etcd, for every
// (keys, clients) where both ran), as Markdown. `cores`: the machine's CPUs, for the ceiling.
std::string FormatTables(const std::vector<RunResult>& runs, int cores);

// The floors' CPU ceiling: the operations per second `cores` CPUs could carry if each operation
// cost only what the gRPC floor spent per call (its server and the load generator) plus what the
// fsync floor's servers spent per write pair — a bound for any server that answers one gRPC call
// per operation after writing it to 2 of 3 fsynced Redis. 0 without operations in either.
double FloorsCeilingOpsPerS(const RunResult& grpc_floor, const RunResult& fsync_floor, int cores);

// {"system":..,"keys":..,"clients":..,"ops_per_s":..,"p50_ms":..,"p99_ms":..,"p999_ms":..,
//  "errors":..,"retries":..,"first_error":..,"system_cores":..,"bench_cores":..,
//  "idle_systems_cores":..,"others_cores":..,"system_us_per_op":..}, one line, no newline.
std::string FormatJsonLine(const RunResult& r);

}  // namespace gryadka::bench::compare
