#!/usr/bin/env bash
# Installs missing packages, builds everything in build/ (CMake + Ninja, incremental) and runs
# the test suite with ctest; exits with ctest's status. Idempotent, and fast when all is built.
#
# Usage: tests/run.sh [--soak] [--container] [--sanitize address,undefined|thread] [-R REGEX]
#                     [-- CTEST_ARGS...]
#   --soak      export GRYADKA_SOAK=1: long-running tests run their long variants
#   --container after ctest, run tests/container/run.sh (the image and a podman cluster;
#               installs podman, runc and debootstrap if missing, else says why and skips it)
#   --sanitize address,undefined
#               build with clang + ASan + UBSan (fatal) in build-asan-ubsan/ and run the unit,
#               acceptor (redis) and integration tests there, plus each fuzz target for
#               GRYADKA_FUZZ_SECONDS (20 s); only the targets those tests need are built
#   --sanitize thread
#               build with clang + TSan in build-tsan/ and run the unit, acceptor and
#               integration tests (suppressions: tests/tsan.supp); not part of CI
#   -R REGEX    run only the tests whose names match (passed to ctest)
#   -- ARGS     pass the remaining arguments to ctest unchanged
# Environment: GRYADKA_BUILD_DIR [build, or the sanitizer's dir]; GRYADKA_BUILD_TARGETS
# (space-separated CMake targets to build instead of all — for working on one part).
# Details: docs/testing.md ("Fuzzing and sanitizers").
set -euo pipefail
CALLER_DIR=$PWD
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() { sed -n '2,22s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
usage_error() {
  echo "tests/run.sh: $*" >&2
  usage >&2
  exit 64
}

ctest_args=()
sanitize=""
container=0
while (($# > 0)); do
  case $1 in
    --soak) export GRYADKA_SOAK=1 ;;
    --container) container=1 ;;
    --sanitize)
      (($# >= 2)) || usage_error "--sanitize needs address,undefined or thread"
      sanitize=$2
      shift
      ;;
    --sanitize=*) sanitize=${1#--sanitize=} ;;
    -R)
      (($# >= 2)) || usage_error "-R needs a pattern"
      ctest_args+=(-R "$2")
      shift
      ;;
    -R?*) ctest_args+=(-R "${1#-R}") ;;
    --)
      shift
      ctest_args+=("$@")
      break
      ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
  shift
done

[[ -z $sanitize ]] || ((!container)) || usage_error "--container does not combine with --sanitize"
# shellcheck source=deploy/local/lib/deps.sh
source deploy/local/lib/deps.sh
# shellcheck source=tests/sanitize.sh
source tests/sanitize.sh
default_dir=build
if [[ -n $sanitize ]]; then
  gryadka_sanitize_setup "$sanitize" || usage_error "--sanitize: unknown sanitizers '$sanitize'"
  default_dir=$GRYADKA_SANITIZE_DIR
fi
BUILD_DIR=${GRYADKA_BUILD_DIR:-$default_dir}  # relative: to the caller's directory when given
if [[ -n ${GRYADKA_BUILD_DIR:-} && $BUILD_DIR != /* ]]; then BUILD_DIR=$CALLER_DIR/$BUILD_DIR; fi
read -ra targets <<<"${GRYADKA_BUILD_TARGETS:-${GRYADKA_SANITIZE_TARGETS:-}}"
gryadka_ensure_deps
# Node modules of the manifest checks (k8s_*); a no-op when installed. Offline: they fail.
tests/k8s/npm-ci.sh || echo "tests/run.sh: npm ci in tests/k8s failed; the k8s_* tests will fail" >&2
gryadka_build "$BUILD_DIR" "${targets[@]}"
cd "$BUILD_DIR"
if [[ -z $sanitize ]] && ((!container)); then
  exec ctest --output-on-failure -j2 --timeout 600 "${ctest_args[@]}"
fi
if ((container)); then
  status=0
  ctest --output-on-failure -j2 --timeout 600 "${ctest_args[@]}" || status=$?
  # shellcheck source=tests/container/deps.sh
  source "$GRYADKA_ROOT/tests/container/deps.sh"
  gryadka_container_test "$PWD" || status=1
  exit "$status"
fi
# Sanitizer runs: every instrumented process — tests, and the proposers they start — writes its
# reports to files here, so a finding in a child process fails the run too.
gryadka_sanitize_logs_to "$PWD/sanitizer-reports"
status=0
ctest --output-on-failure -j2 --timeout 600 "${GRYADKA_SANITIZE_CTEST_ARGS[@]}" "${ctest_args[@]}" ||
  status=$?
gryadka_sanitize_reports "$PWD/sanitizer-reports" || status=1
exit "$status"
