#!/usr/bin/env bash
# Profiles gryadka-proposer under load from gryadka-bench --spawn (docs/performance.md).
#
# Usage: bench/profile_proposer.sh [--tool=callgrind|perf|perf-system] [--build_dir=DIR]
#                                  [--out=DIR] [-- EXTRA_BENCH_FLAGS...]
#   callgrind    (default) the proposer runs under valgrind --tool=callgrind (instruction
#                counts, user space only; ~50x slower, so the load is lower)
#   perf         perf record -e cpu-clock (software sampling; works without hardware counters)
#                of the proposer process, user and kernel
#   perf-system  the same for the whole machine (-a): every process's share of the 2 cores
#   --out        where the profile and reports go (default: a new temp dir, printed)
# Default load: --workload=incr --concurrency=64 --keys=1000, 20 s (callgrind) or 10 s (perf).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tool=callgrind
build_dir=
out=
extra=()
while (($# > 0)); do
  case $1 in
    --tool=*) tool=${1#--tool=} ;;
    --build_dir=*) build_dir=${1#--build_dir=} ;;
    --out=*) out=${1#--out=} ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "profile_proposer.sh: unknown argument: $1" >&2; exit 64 ;;
  esac
  shift
done
case $tool in callgrind | perf | perf-system) ;; *)
  echo "profile_proposer.sh: --tool must be callgrind, perf or perf-system" >&2; exit 64 ;;
esac
if [[ -z $build_dir ]]; then
  for d in build-bench build; do [[ -x $d/bin/gryadka-bench ]] && { build_dir=$d; break; }; done
fi
bench=$build_dir/bin/gryadka-bench
proposer=$(cd "$build_dir/bin" && pwd)/gryadka-proposer
[[ -x $bench && -x $proposer ]] || { echo "profile_proposer.sh: build gryadka-bench first" >&2; exit 1; }
out=${out:-$(mktemp -d "${TMPDIR:-/tmp}/gryadka-profile-XXXXXX")}
mkdir -p "$out"
out=$(cd "$out" && pwd)
load=(--spawn --report_cpu --workload=incr --concurrency=64 --keys=1000)

if [[ $tool == callgrind ]]; then
  command -v valgrind >/dev/null || { echo "profile_proposer.sh: install valgrind" >&2; exit 1; }
  # The proposer is started by gryadka-bench through this wrapper (same PID: exec).
  cat >"$out/proposer-under-callgrind.sh" <<WRAP
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out.%p" "$proposer" "\$@"
WRAP
  chmod +x "$out/proposer-under-callgrind.sh"
  "$bench" "${load[@]}" --duration_s=20 --warmup_s=3 --deadline_ms=30000 \
    --proposer_bin="$out/proposer-under-callgrind.sh" \
    --proposer_flags="--acceptor_timeout_ms=5000" "${extra[@]}" | tee "$out/bench.txt"
  profile=$(ls -t "$out"/callgrind.out.* | head -1)
  callgrind_annotate --inclusive=no "$profile" >"$out/self.txt" 2>/dev/null
  callgrind_annotate --inclusive=yes "$profile" >"$out/inclusive.txt" 2>/dev/null
  echo "== top functions by own instructions ($out/self.txt)"
  sed -n '1,60p' "$out/self.txt" | grep -E '^\s*[0-9,]+ ' | head -40
  echo "== profile: $profile (callgrind_annotate / kcachegrind)"
  exit 0
fi

command -v perf >/dev/null || { echo "profile_proposer.sh: install linux-perf" >&2; exit 1; }
"$bench" "${load[@]}" --duration_s=10 --warmup_s=2 "${extra[@]}" >"$out/bench.txt" 2>"$out/bench.err" &
bench_pid=$!
pid=
for _ in $(seq 200); do
  pid=$(sed -n 's/^gryadka-bench: spawned proposer-0 pid \([0-9]*\)$/\1/p' "$out/bench.err")
  [[ -n $pid ]] && break
  sleep 0.1
done
[[ -n $pid ]] || { echo "profile_proposer.sh: no proposer started" >&2; cat "$out/bench.err" >&2; exit 1; }
sleep 3  # prefill and warm-up
if [[ $tool == perf ]]; then
  perf record -e cpu-clock -F 999 -p "$pid" -o "$out/perf.data" -- sleep 6 2>/dev/null
else
  perf record -e cpu-clock -F 999 -a -o "$out/perf.data" -- sleep 6 2>/dev/null
fi
wait "$bench_pid"
cat "$out/bench.txt"
perf report -i "$out/perf.data" --no-children --sort comm,dso -g none 2>/dev/null |
  grep -v '^#' | grep -v '^$' | head -25 >"$out/by_dso.txt"
perf report -i "$out/perf.data" --no-children --sort comm,dso,sym -g none 2>/dev/null |
  grep -v '^#' | grep -v '^$' | head -80 >"$out/by_symbol.txt"
echo "== by process and library ($out/by_dso.txt)"
cat "$out/by_dso.txt"
echo "== top symbols ($out/by_symbol.txt)"
head -40 "$out/by_symbol.txt" | cut -c1-160
