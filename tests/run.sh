#!/usr/bin/env bash
# Installs missing packages, builds everything in build/ (CMake + Ninja, incremental) and runs
# the test suite with ctest; exits with ctest's status. Idempotent, and fast when all is built.
#
# Usage: tests/run.sh [--soak] [-R REGEX] [-- CTEST_ARGS...]
#   --soak      export GRYADKA_SOAK=1: long-running tests run their long variants
#   -R REGEX    run only the tests whose names match (passed to ctest)
#   -- ARGS     pass the remaining arguments to ctest unchanged
# Environment: GRYADKA_BUILD_DIR [build]; GRYADKA_BUILD_TARGETS (space-separated CMake targets
# to build instead of all — for working on one part).
set -euo pipefail
CALLER_DIR=$PWD
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() { sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
usage_error() {
  echo "tests/run.sh: $*" >&2
  usage >&2
  exit 64
}

ctest_args=()
while (($# > 0)); do
  case $1 in
    --soak) export GRYADKA_SOAK=1 ;;
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

# shellcheck source=deploy/local/lib/deps.sh
source deploy/local/lib/deps.sh
BUILD_DIR=${GRYADKA_BUILD_DIR:-build}  # relative: to the caller's directory when given
if [[ -n ${GRYADKA_BUILD_DIR:-} && $BUILD_DIR != /* ]]; then BUILD_DIR=$CALLER_DIR/$BUILD_DIR; fi
read -ra targets <<<"${GRYADKA_BUILD_TARGETS:-}"
gryadka_ensure_deps
gryadka_build "$BUILD_DIR" "${targets[@]}"
cd "$BUILD_DIR"
exec ctest --output-on-failure -j2 --timeout 600 "${ctest_args[@]}"
