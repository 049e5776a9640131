#!/usr/bin/env bash
# Gryadka vs etcd vs Redis in one run, on this machine: installs what is missing (the packages of
# deploy/local/lib/deps.sh, plus GRYADKA_BENCH_APT_PACKAGES: etcd-server and
# golang-etcd-server-dev), builds gryadka-compare and gryadka-proposer, and runs gryadka-compare:
# a 3-member etcd (default fsync), Gryadka (3 Redis with appendfsync always + 1 proposer), one
# Redis (no persistence), the fsync floor (3 Redis as Gryadka's, INCR on 2 of them) and the gRPC
# floor (gryadka-grpc-floor: gryadka.v1.KV answered from memory), started on free loopback ports
# in temp dirs and stopped by PID; increments at 1, 32 and 128 concurrent clients on 1,000 keys
# and on 1 hot key. Prints the runs, the ratios, and one JSON line per run.
# ~4 minutes (~1.5 with --quick).
#
# Usage: bench/compare/run.sh [--quick] [--duration_s N] [--build_dir DIR] [-- FLAGS...]
#   --quick         1 s per run (0.5 s warm-up) instead of 5 s (1 s warm-up)
#   --duration_s N  measured seconds per run
#   --build_dir DIR the CMake build dir (default: build)
#   -- FLAGS        passed to gryadka-compare, e.g. --concurrency=32 --keys=1000
#                   --systems=gryadka,etcd --etcd_members=leader (docs/performance.md lists them)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=../../deploy/local/lib/deps.sh
source deploy/local/lib/deps.sh

usage() { sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
duration=(--duration_s=5 --warmup_s=1)
build_dir=build
extra=()
while (($# > 0)); do
  case $1 in
    --quick) duration=(--duration_s=1 --warmup_s=0.5) ;;
    --duration_s)
      (($# >= 2)) || { echo "run.sh: --duration_s needs a number" >&2; exit 64; }
      duration=(--duration_s="$2" --warmup_s=1)
      shift
      ;;
    --duration_s=*) duration=(--duration_s="${1#--duration_s=}" --warmup_s=1) ;;
    --build_dir)
      (($# >= 2)) || { echo "run.sh: --build_dir needs a directory" >&2; exit 64; }
      build_dir=$2
      shift
      ;;
    --build_dir=*) build_dir=${1#--build_dir=} ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 64 ;;
  esac
  shift
done

GRYADKA_APT_PACKAGES+=("${GRYADKA_BENCH_APT_PACKAGES[@]}")
gryadka_ensure_deps
gryadka_build "$build_dir" gryadka-proposer
# Configure again: the etcd .proto files may have been installed just now.
cmake "$build_dir" >/dev/null
cmake --build "$build_dir" --target gryadka-compare
echo "run.sh: $(uptime)" >&2
exec "$build_dir/bin/gryadka-compare" "${duration[@]}" ${extra[@]+"${extra[@]}"}
