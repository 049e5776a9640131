#!/usr/bin/env bash
# Soak of the deterministic simulator: --runs N runs spread evenly over every scenario that must
# be linearizable (all of `gryadka-sim --list` except the deliberately inconsistent `.i` ones,
# which sim.Detection covers), in chunks of seeds run --jobs at a time. Prints the totals (runs,
# passed, safety violations, undecided searches, other failures, CPU and wall time) and, for each
# failing run, its verdict and the command that reproduces it. Exit status 0 iff every run passed.
# Not part of the default test run: `tests/run.sh --soak -R sim.soak` runs it through ctest
# (GRYADKA_SOAK_RUNS, default 100000); without --soak that ctest entry is skipped.
#
# Usage: tests/sim/soak.sh [--runs N] [--first-seed S] [--jobs J] [--chunk-seeds K] [--sim PATH]
#   --runs N         total runs (default 100000), rounded up to a multiple of the scenario count
#   --first-seed S   first seed of every scenario (default 1)
#   --jobs J         simulator processes at a time (default: the number of cores)
#   --chunk-seeds K  seeds per simulator process (default 250)
#   --sim PATH       the gryadka-sim binary (default build/bin/gryadka-sim)
set -euo pipefail

usage() { sed -n '10,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
usage_error() {
  echo "soak.sh: $*" >&2
  usage >&2
  exit 64
}
is_number() { [[ $1 =~ ^[0-9]+$ ]]; }

runs=100000
first_seed=1
jobs=$(nproc 2>/dev/null || echo 2)
chunk_seeds=250
sim=build/bin/gryadka-sim
while (($# > 0)); do
  case $1 in
    --runs | --first-seed | --jobs | --chunk-seeds | --sim) (($# >= 2)) || usage_error "$1 needs a value" ;;&
    --runs) runs=$2 ;;
    --first-seed) first_seed=$2 ;;
    --jobs) jobs=$2 ;;
    --chunk-seeds) chunk_seeds=$2 ;;
    --sim) sim=$2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
  shift 2
done
for n in "$runs" "$first_seed" "$jobs" "$chunk_seeds"; do
  if ! is_number "$n" || ((n < 1)); then usage_error "not a positive number: $n"; fi
done
[[ -x $sim ]] || usage_error "no simulator binary at $sim (build the gryadka-sim target)"

mapfile -t scenarios < <("$sim" --list | awk '$1 !~ /\.i$/ {print $1}')
((${#scenarios[@]} > 0)) || usage_error "$sim --list printed no scenario"
seeds=$(((runs + ${#scenarios[@]} - 1) / ${#scenarios[@]}))
last_seed=$((first_seed + seeds - 1))
out=$(mktemp -d "${TMPDIR:-/tmp}/gryadka-soak.XXXXXX")

# shellcheck disable=SC2317  # run by xargs through `bash -c`
# One chunk: scenario, first and last seed. Writes <out>/<n>.log and <n>.cpu (user+sys seconds).
chunk() {
  local n=$1 scenario=$2 from=$3 to=$4 status=0
  local TIMEFORMAT='%U %S'
  { time "$sim" --scenario "$scenario" --seeds "$from..$to" --quiet >"$out/$n.log" 2>&1 \
      || status=$?; } 2>"$out/$n.cpu"
  echo "$status" >"$out/$n.status"
}
export -f chunk
export sim out

echo "soak: ${#scenarios[@]} scenarios x seeds $first_seed..$last_seed = $((seeds * ${#scenarios[@]})) runs," \
  "$jobs jobs, $chunk_seeds seeds per chunk; logs in $out"
start=$(date +%s)
n=0
for s in "${scenarios[@]}"; do
  for ((from = first_seed; from <= last_seed; from += chunk_seeds)); do
    to=$((from + chunk_seeds - 1 < last_seed ? from + chunk_seeds - 1 : last_seed))
    echo "$((n++)) $s $from $to"
  done
done | xargs -P "$jobs" -L 1 bash -c 'chunk "$@"' _
wall=$(($(date +%s) - start))

passed=$(cat "$out"/*.log | grep -c '^PASS ' || true)
failing=$(cat "$out"/*.log | grep '^FAIL ' || true)
count() { grep -c -- "$1" <<<"$failing" || true; }
failed=0
if [[ -n $failing ]]; then failed=$(wc -l <<<"$failing"); fi
violations=$(count 'safety violation')
undecided=$(count 'linearizability undecided')
cpu=$(cat "$out"/*.cpu | awk '{s += $1 + $2} END {printf "%.0f", s}')
expected=$((seeds * ${#scenarios[@]}))
total=$((passed + failed))

echo "soak: runs=$total (expected $expected) passed=$passed failed=$failed" \
  "violations=$violations undecided=$undecided other=$((failed - violations - undecided))" \
  "cpu=${cpu}s wall=${wall}s seeds=$first_seed..$last_seed scenarios=${#scenarios[@]}"
if ((failed > 0)); then
  echo "soak: failing runs (verdict, then the command that reproduces it):"
  cat "$out"/*.log | grep -E '^FAIL |^  reproduce: ' | sed 's/ — ops=.*//'
fi
if ((failed == 0 && total == expected)); then
  rm -rf "$out"
  exit 0
fi
echo "soak: logs kept in $out"
exit 1
