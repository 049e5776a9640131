#!/usr/bin/env bash
# Mutation check: applies each protocol mutation in tests/mutation/patches/ to a scratch copy of
# the tree, builds what the tests need, runs the unit tests, the simulator (its GoogleTests and
# every scenario over a bounded seed budget) and, for acceptor mutations, the Lua-vs-in-memory
# acceptor tests; prints per mutation which tests caught it or MISSED. Not part of CI (minutes
# per mutation); see docs/testing.md, "Mutation check".
#
# Usage: tests/mutation/run.sh [--jobs N] [--only NAME] [--seeds N] [--log-dir DIR] [--list]
#   --jobs N       mutations checked in parallel, each in its own scratch copy [1]
#   --only NAME    only the mutations whose file name contains NAME (repeatable)
#   --seeds N      simulator seeds 1..N per scenario [50]
#   --log-dir DIR  where the per-mutation test output is kept [build/mutation]
#   --no-baseline  skip checking that the unmutated tree passes the same tests first
#   --list         print the mutations with what each breaks, and exit
# Exit status: 0 iff every mutation was caught or is listed in tests/mutation/equivalent.txt
# (argued in docs/testing.md); 1 otherwise; 2 when a patch does not apply or a build fails.
# Scratch copies live in a temp dir that is removed on exit; only processes this script started
# are stopped (by process group), never others.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PATCH_DIR=$ROOT/tests/mutation/patches
EQUIVALENT_FILE=$ROOT/tests/mutation/equivalent.txt
# Wall-clock cap per test binary and per chunk of scenario seeds, in seconds (unmutated: under
# 20 s each): a mutation that makes a test hang fails it ("timeout") instead of stalling the check.
TEST_TIMEOUT_S=${GRYADKA_MUTATION_TEST_TIMEOUT_S:-180}
NAMES_SHOWN_MAX=4  # failing test names printed per suite; the log has all

usage() { sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
usage_error() {
  echo "tests/mutation/run.sh: $*" >&2
  usage >&2
  exit 64
}

jobs=1
seeds=50
log_dir=$ROOT/build/mutation
baseline=1
list=0
only=()
while (($# > 0)); do
  case $1 in
    --jobs | --seeds | --only | --log-dir)
      (($# >= 2)) || usage_error "$1 needs a value"
      case $1 in
        --jobs) jobs=$2 ;;
        --seeds) seeds=$2 ;;
        --only) only+=("$2") ;;
        --log-dir) log_dir=$2 ;;
      esac
      shift
      ;;
    --no-baseline) baseline=0 ;;
    --list) list=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
  shift
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || usage_error "--jobs takes a positive number, got '$jobs'"
[[ $seeds =~ ^[1-9][0-9]*$ ]] || usage_error "--seeds takes a positive number, got '$seeds'"

patches=()
for p in "$PATCH_DIR"/*.patch; do
  name=$(basename "$p" .patch)
  if ((${#only[@]} > 0)); then
    keep=0
    for o in "${only[@]}"; do [[ $name == *"$o"* ]] && keep=1; done
    ((keep)) || continue
  fi
  patches+=("$p")
done
((${#patches[@]} > 0)) || usage_error "no mutation matches --only ${only[*]:-}"

if ((list)); then
  for p in "${patches[@]}"; do
    echo "$(basename "$p" .patch)"
    sed -n 's/^# \{0,1\}/    /p' "$p"
  done
  exit 0
fi

# Names argued equivalent (first word of each non-comment line).
is_equivalent() {
  [[ -f $EQUIVALENT_FILE ]] && grep -Eq "^$1([[:space:]]|$)" "$EQUIVALENT_FILE"
}

mkdir -p "$log_dir"
log_dir=$(cd "$log_dir" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/gryadka-mutation.XXXXXX")
worker_pids=()
cleanup() {
  local pid
  for pid in "${worker_pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${worker_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- one scratch copy ----------------------------------------------------------------------

# Copies the working tree (tracked and untracked-but-not-ignored files, so uncommitted test
# changes are checked too; never build dirs) to $1.
copy_tree() {
  local dest=$1
  mkdir -p "$dest"
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$dest"
}

# In scratch copy $1: builds the targets $2.. (configures on first use). ccache (when present)
# makes a rebuild after a small patch one compile plus the links.
build_in() {
  local src=$1
  shift
  (
    cd "$src"
    if command -v ccache >/dev/null 2>&1; then
      export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
      export CCACHE_BASEDIR=$src CCACHE_NOHASHDIR=1
    fi
    # shellcheck source=deploy/local/lib/deps.sh
    source deploy/local/lib/deps.sh
    gryadka_build "$src/build" "$@"
  )
}

# Runs a gtest binary; prints the failing test names (or "<binary>(timeout|crash)").
# `timeout --foreground` keeps the test in the worker's process group, which cleanup stops.
run_gtest() {
  local log=$1
  shift
  local rc=0
  timeout --foreground --kill-after=10 "$TEST_TIMEOUT_S" "$@" >"$log" 2>&1 || rc=$?
  ((rc == 0)) && return 0
  local failed
  failed=$(sed -n 's/^\[  FAILED  \] \([A-Za-z0-9_/]*\.[A-Za-z0-9_/.]*\).*/\1/p' "$log" | sort -u || true)
  if [[ -n $failed ]]; then
    echo "$failed"
  elif ((rc == 124 || rc == 137)); then
    echo "$(basename "$1")(timeout)"
  else
    echo "$(basename "$1")(exit $rc)"
  fi
}

# Runs every scenario except the deliberately broken ".i" ones over seeds 1..$seeds, in chunks
# of SEEDS_PER_CHUNK, stopping a scenario at its first failing chunk; prints
# "scenario(seed N)" per failing scenario (its first failing seed).
SEEDS_PER_CHUNK=10
run_scenarios() {
  local src=$1 log=$2
  shift 2  # the rest: extra gryadka-sim flags
  local sim=$src/build/bin/gryadka-sim scenario rc from to verdict
  : >"$log"
  while read -r scenario _; do
    [[ $scenario == *.i ]] && continue
    verdict=""
    for ((from = 1; from <= seeds; from += SEEDS_PER_CHUNK)); do
      to=$((from + SEEDS_PER_CHUNK - 1 < seeds ? from + SEEDS_PER_CHUNK - 1 : seeds))
      rc=0
      timeout --foreground --kill-after=10 "$TEST_TIMEOUT_S" "$sim" --scenario "$scenario" \
        --seeds "$from..$to" --quiet "$@" >"$log.one" 2>&1 || rc=$?
      cat "$log.one" >>"$log"
      ((rc == 0)) && continue
      verdict=$(sed -n "s/^FAIL [^ ]* seed=\([0-9]*\).*/seed \1/p" "$log.one" | head -1)
      if [[ -z $verdict ]]; then
        if ((rc == 124 || rc == 137)); then verdict=timeout; else verdict="exit $rc"; fi
      fi
      break
    done
    rm -f "$log.one"
    [[ -n $verdict ]] && echo "$scenario($verdict)"
    # A mutation that hangs one scenario likely hangs them all: one timeout is enough.
    [[ $verdict == timeout ]] && break
  done < <("$sim" --list)
  return 0
}

# Lines "a".."e" -> "5 [a, b, c, d, +1 more]"
shorten() {
  local -a names
  mapfile -t names
  ((${#names[@]} == 0)) && return 0
  local shown=("${names[@]:0:NAMES_SHOWN_MAX}") out
  out=$(printf '%s, ' "${shown[@]}")
  out=${out%, }
  if ((${#names[@]} > NAMES_SHOWN_MAX)); then out+=", +$((${#names[@]} - NAMES_SHOWN_MAX)) more"; fi
  echo "${#names[@]} [$out]"
}

# Runs the suites a mutation of files $3.. needs in scratch copy $1, logs under prefix $2;
# prints "suite: names" lines for the failing ones.
run_suites() {
  local src=$1 prefix=$2
  shift 2
  local acceptor=0 lua=0 f names
  for f in "$@"; do
    [[ $f == acceptor_adapter/* ]] && acceptor=1
    [[ $f == acceptor_adapter/lua/* ]] && lua=1
  done
  names=$(run_gtest "$prefix.unit.log" "$src/build/bin/core_test" | shorten)
  [[ -n $names ]] && echo "unit: $names"
  names=$(run_gtest "$prefix.simtests.log" "$src/build/bin/sim_tests" | shorten)
  [[ -n $names ]] && echo "sim-tests: $names"
  names=$(run_scenarios "$src" "$prefix.scenarios.log" | shorten)
  [[ -n $names ]] && echo "scenarios: $names"
  if ((lua)); then  # the simulator's acceptors running the production scripts
    names=$(run_scenarios "$src" "$prefix.scenarios-lua.log" --acceptor lua | shorten)
    [[ -n $names ]] && echo "scenarios-lua: $names"
  fi
  if ((acceptor)); then
    names=$(run_gtest "$prefix.acceptor.log" "$src/build/bin/redis_acceptor_test" | shorten)
    [[ -n $names ]] && echo "acceptor: $names"
  fi
  return 0
}

targets_for() {
  local t=(core_test sim_tests gryadka-sim) f
  for f in "$@"; do
    if [[ $f == acceptor_adapter/* ]]; then
      t+=(redis_acceptor_test)
      break
    fi
  done
  echo "${t[@]}"
}

# Files a patch touches (the b/ side).
patch_files() { sed -n 's|^+++ b/||p' "$1"; }

# Checks one mutation in scratch copy $1; writes its verdict line to $2.
check_mutation() {
  local src=$1 out=$2 patch=$3
  local name files targets result status
  name=$(basename "$patch" .patch)
  mapfile -t files < <(patch_files "$patch")
  read -ra targets <<<"$(targets_for "${files[@]}")"
  local prefix=$log_dir/$name
  if ! (cd "$src" && GIT_CEILING_DIRECTORIES=$(dirname "$src") git apply "$patch") 2>"$prefix.apply.log"; then
    printf '%s\tERROR\tpatch does not apply (see %s)\n' "$name" "$prefix.apply.log" >"$out"
    return 0
  fi
  if ! build_in "$src" "${targets[@]}" >"$prefix.build.log" 2>&1; then
    printf '%s\tERROR\tbuild failed (see %s)\n' "$name" "$prefix.build.log" >"$out"
  else
    result=$(run_suites "$src" "$prefix" "${files[@]}")
    if [[ -n $result ]]; then
      status=caught
    elif is_equivalent "$name"; then
      status=equivalent
    else
      status=MISSED
    fi
    printf '%s\t%s\t%s\n' "$name" "$status" "$(echo "$result" | paste -sd';' | sed 's/;/; /g')" >"$out"
  fi
  if ! (cd "$src" && GIT_CEILING_DIRECTORIES=$(dirname "$src") git apply -R "$patch") 2>>"$prefix.apply.log"; then
    echo "tests/mutation/run.sh: cannot revert $name in the scratch copy" >&2
    return 1
  fi
}

print_verdict() {
  local name status detail
  IFS=$'\t' read -r name status detail <"$1"
  case $status in
    caught) printf '%-44s caught by %s\n' "$name" "$detail" ;;
    equivalent) printf '%-44s MISSED (argued equivalent in docs/testing.md)\n' "$name" ;;
    MISSED) printf '%-44s MISSED\n' "$name" ;;
    *) printf '%-44s %s: %s\n' "$name" "$status" "$detail" ;;
  esac
}

# Worker $1 of $jobs: its own scratch copy; checks patches $1, $1+jobs, ...
worker() {
  local k=$1 i src=$scratch/w$1
  [[ -d $src ]] || copy_tree "$src"
  if ! build_in "$src" core_test sim_tests gryadka-sim >"$log_dir/worker$k.build.log" 2>&1; then
    echo "tests/mutation/run.sh: the unmutated tree does not build (see $log_dir/worker$k.build.log)" >&2
    return 2
  fi
  for ((i = k; i < ${#patches[@]}; i += jobs)); do
    check_mutation "$src" "$scratch/verdict.$i" "${patches[$i]}" || return 2
    cp "$scratch/verdict.$i" "$log_dir/$(basename "${patches[$i]}" .patch).verdict"
    print_verdict "$scratch/verdict.$i"
  done
}

echo "mutation check: ${#patches[@]} mutation(s), simulator seeds 1..$seeds per scenario, $jobs job(s); logs in $log_dir"

if ((baseline)); then
  copy_tree "$scratch/w0"  # worker 0 goes on in this copy
  if ! build_in "$scratch/w0" core_test sim_tests gryadka-sim redis_acceptor_test \
    >"$log_dir/baseline.build.log" 2>&1; then
    echo "baseline: the unmutated tree does not build (see $log_dir/baseline.build.log)" >&2
    exit 2
  fi
  base=$(run_suites "$scratch/w0" "$log_dir/baseline" acceptor_adapter/)
  if [[ -n $base ]]; then
    echo "baseline: the UNMUTATED tree already fails: $base (logs: $log_dir/baseline.*)" >&2
    exit 2
  fi
  echo "baseline: the unmutated tree passes every suite"
fi

set -m  # each worker in its own process group, so cleanup stops exactly its processes
for ((k = 0; k < jobs && k < ${#patches[@]}; ++k)); do
  worker "$k" &
  worker_pids+=($!)
done
set +m
worker_failed=0
for pid in "${worker_pids[@]}"; do wait "$pid" || worker_failed=1; done
worker_pids=()

caught=0 missed=0 equivalent=0 errors=0
echo
echo "== mutation check results (seeds 1..$seeds per scenario)"
for ((i = 0; i < ${#patches[@]}; ++i)); do
  if [[ ! -f $scratch/verdict.$i ]]; then
    printf '%-44s ERROR: not checked\n' "$(basename "${patches[$i]}" .patch)"
    errors=$((errors + 1))
    continue
  fi
  print_verdict "$scratch/verdict.$i"
  case $(cut -f2 "$scratch/verdict.$i") in
    caught) caught=$((caught + 1)) ;;
    equivalent) equivalent=$((equivalent + 1)) ;;
    MISSED) missed=$((missed + 1)) ;;
    *) errors=$((errors + 1)) ;;
  esac
done
echo "$caught caught, $((missed + equivalent)) missed ($equivalent argued equivalent), $errors error(s)"
((errors == 0 && worker_failed == 0)) || exit 2
((missed == 0)) || exit 1
exit 0
