# shellcheck shell=bash
# Sourced by tests/run.sh for --sanitize (defines variables and one function; changes no shell
# options). Clang for every sanitizer build: it is the compiler the fuzz targets need anyway, so
# the ASan+UBSan build dir also builds and runs them, and one compiler gives the same diagnostics
# in both dirs.
#   gryadka_sanitize_setup SANITIZERS
#     SANITIZERS: address,undefined (also: asan, undefined,address) or thread (also: tsan).
#     Sets GRYADKA_SANITIZE_DIR (build-asan-ubsan or build-tsan), GRYADKA_CMAKE_ARGS,
#     GRYADKA_SANITIZE_TARGETS (only what the selected tests need), GRYADKA_SANITIZE_CTEST_ARGS
#     (the labels to run; GRYADKA_SANITIZE_LABELS overrides the regex) and exports the sanitizer
#     runtime options. Returns 1 for anything else.
#   gryadka_sanitize_logs_to DIR
#     empties DIR and makes every sanitizer report of this run a file in it (log_path).
#   gryadka_sanitize_reports DIR
#     prints the reports in DIR; returns 1 if there is any.

GRYADKA_SANITIZE_CTEST_ARGS=()

# Test binaries the sanitizer runs need (gryadka-proposer comes with the integration tests).
# reflection_test is left out: it tests gRPC's own reflection service, which is not
# instrumented, and its generated stubs cost build time.
_gryadka_sanitize_test_targets="core_test request_wire_test server_options_test redis_acceptor_test"
_gryadka_sanitize_test_targets+=" test_support_test kv_integration_test bad_input_test"
_gryadka_sanitize_test_targets+=" redis_auth_test server_tls_test redis_auth_integration_test"
_gryadka_sanitize_test_targets+=" tls_integration_test"
_gryadka_sanitize_test_targets+=" json_string_test"  # the shared JSON escaper, on any bytes

gryadka_sanitize_setup() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  case $1 in
    address,undefined | undefined,address | asan)
      GRYADKA_SANITIZE_DIR=build-asan-ubsan
      GRYADKA_CMAKE_ARGS=(-DGRYADKA_SANITIZE=address,undefined)
      GRYADKA_SANITIZE_TARGETS="$_gryadka_sanitize_test_targets ops_fuzz register_fuzz redis_reply_fuzz"
      GRYADKA_SANITIZE_CTEST_ARGS=(-L "${GRYADKA_SANITIZE_LABELS:-^(unit|redis|integration|fuzz)\$}")
      # Leaks are reported too (LSan); UBSan stops at the first finding (built with
      # -fno-sanitize-recover=all) and prints where.
      export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1}
      export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
      ;;
    thread | tsan)
      GRYADKA_SANITIZE_DIR=build-tsan
      GRYADKA_CMAKE_ARGS=(-DGRYADKA_SANITIZE=thread)
      GRYADKA_SANITIZE_TARGETS=$_gryadka_sanitize_test_targets
      GRYADKA_SANITIZE_CTEST_ARGS=(-L "${GRYADKA_SANITIZE_LABELS:-^(unit|redis|integration)\$}")
      export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp}
      ;;
    *) return 1 ;;
  esac
  GRYADKA_CMAKE_ARGS+=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DGRYADKA_BUILD_BENCH=OFF)
}

gryadka_sanitize_logs_to() {
  local dir=$1
  rm -rf "$dir" && mkdir -p "$dir" || return
  export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$dir/asan
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$dir/ubsan
  export TSAN_OPTIONS=${TSAN_OPTIONS:+$TSAN_OPTIONS:}log_path=$dir/tsan
}

gryadka_sanitize_reports() {
  local dir=$1 report found=0
  for report in "$dir"/*; do
    [[ -f $report ]] || continue
    found=1
    echo "=== sanitizer report: $report" >&2
    head -c 20000 "$report" >&2
  done
  if ((found)); then
    echo "sanitizer reports found in $dir (see above)" >&2
    return 1
  fi
}
