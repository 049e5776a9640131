# ctest bench_load_smoke: runs gryadka-bench against a spawned local cluster and checks the
# JSON result line. Usage: cmake -DBENCH=<path to gryadka-bench> [-DFAULT=ON] -P smoke_test.cmake
# FAULT=ON (ctest bench_load_fault_smoke): 2 proposers with --routing=random, one acceptor frozen
# from 1 s to 2 s of a 3 s window; the availability keys must be present, the fault applied and
# undone, and operations must succeed before and after it (no bound on the gap or throughput:
# those are measurements, docs/performance.md).
if(NOT BENCH)
  message(FATAL_ERROR "pass -DBENCH=<path to gryadka-bench>")
endif()
set(args --spawn --duration_s=2 --concurrency=8 --keys=10 --workload=incr)
if(FAULT)
  set(args --spawn --duration_s=3 --concurrency=8 --keys=10 --workload=incr --proposers=2
      --routing=random --fault=freeze_acceptor --fault_acceptor=1 --fault_at_s=1
      --fault_duration_s=1)
endif()
execute_process(COMMAND ${BENCH} ${args}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 45)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gryadka-bench ${args} exited with '${rc}':\n${err}")
endif()

# The last non-empty line is the JSON result.
string(STRIP "${out}" out)
string(FIND "${out}" "\n" last_newline REVERSE)
math(EXPR start "${last_newline} + 1")
string(SUBSTRING "${out}" ${start} -1 json)
string(JSON ops_per_s ERROR_VARIABLE json_error GET "${json}" ops_per_s)
if(json_error)
  message(FATAL_ERROR "the last line is not the JSON result (${json_error}):\n${json}")
endif()
string(JSON errors GET "${json}" errors)
string(JSON conflicts GET "${json}" conflicts)
string(JSON p99 GET "${json}" p99_ms)
string(JSON share GET "${json}" one_rtt_share)
if(NOT ops_per_s GREATER 0)
  message(FATAL_ERROR "ops_per_s is ${ops_per_s}, expected > 0:\n${json}")
endif()
if(FAULT)
  string(JSON fault_error GET "${json}" fault error)
  string(JSON started GET "${json}" fault started_ms)
  string(JSON ended GET "${json}" fault ended_ms)
  string(JSON healthy GET "${json}" healthy_ops_per_s)
  string(JSON after GET "${json}" after_ops_per_s)
  string(JSON gap GET "${json}" longest_gap_ms)
  string(JSON ratio GET "${json}" fault_throughput_ratio)
  if(NOT fault_error STREQUAL "" OR started LESS 0 OR ended LESS started)
    message(FATAL_ERROR "the fault was not applied and undone:\n${json}\n${err}")
  endif()
  if(NOT healthy GREATER 0 OR NOT after GREATER 0)
    message(FATAL_ERROR "expected successes before and after the fault:\n${json}\n${err}")
  endif()
  message("fault smoke OK: healthy_ops_per_s=${healthy} after_ops_per_s=${after} "
          "fault_throughput_ratio=${ratio} longest_gap_ms=${gap}")
elseif(NOT errors EQUAL 0)
  message(FATAL_ERROR "errors is ${errors}, expected 0:\n${json}\n${err}")
endif()
if(NOT p99 GREATER 0)
  message(FATAL_ERROR "p99_ms is ${p99}, expected > 0:\n${json}")
endif()
message("smoke OK: ops_per_s=${ops_per_s} errors=${errors} p99_ms=${p99} one_rtt_share=${share}")
