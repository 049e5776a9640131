#!/usr/bin/env bash
# ctest "install" (client/CMakeLists.txt): installs the C++ client of BUILD_DIR into a temp
# prefix, checks the installed files name no build- or source-tree path, copies
# client/examples/cpp to a temp dir (so nothing sees the source tree), builds it there with CMake
# (CMAKE_PREFIX_PATH=prefix) and with pkg-config (PKG_CONFIG_PATH + its Makefile), then runs
# both binaries against a real local cluster (3 redis-server + 1 gryadka-proposer on free
# loopback ports) and checks what they print.
#
# Usage: install_test.sh SOURCE_DIR BUILD_DIR PROPOSER_BIN GRYADKACTL_BIN
# Bounds: SERVING_WAIT_S for the proposer to serve; each started process is stopped by its PID
# (SIGTERM, then SIGKILL after STOP_WAIT_S). Cost: two compiles of main.cc, ~40 s on an idle
# 2-core machine, ~140 s when the cores are shared with other builds.
set -euo pipefail
(($# == 4)) || { echo "usage: $0 SOURCE_DIR BUILD_DIR PROPOSER_BIN GRYADKACTL_BIN" >&2; exit 64; }
source_dir=$(cd "$1" && pwd -P)
build_dir=$(cd "$2" && pwd -P)
proposer_bin=$3
gryadkactl_bin=$4
SERVING_WAIT_S=20
STOP_WAIT_S=5
PORT_WAIT_S=5

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gryadka-install-test.XXXXXX")
pids=()
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < STOP_WAIT_S * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "install_test: FAIL: $*" >&2
  exit 1
}

# 1. Install (component "client" only) into a temp prefix.
prefix=$tmp/prefix
cmake --install "$build_dir" --prefix "$prefix" --component client >"$tmp/install.log" ||
  { cat "$tmp/install.log" >&2; fail "cmake --install"; }
for f in include/gryadka/client/client.h include/gryadka/gryadka/v1/kv.pb.h; do
  [[ -f $prefix/$f ]] || fail "$f was not installed"
done
for f in retry.h resolve.h rendezvous.h tls.h grpc_status.h; do
  [[ ! -e $prefix/include/gryadka/client/$f ]] || fail "internal header client/$f was installed"
done
config=$(find "$prefix" -name gryadkaConfig.cmake)
pc=$(find "$prefix" -name gryadka-client.pc)
[[ -n $config && -n $pc ]] || fail "gryadkaConfig.cmake or gryadka-client.pc missing"
# No build- or source-tree path in any installed text file (headers, CMake files, .pc).
if leaks=$(grep -rIl -e "$build_dir" -e "$source_dir" "$prefix"); then
  fail "installed files name the build or source tree: $leaks"
fi
echo "installed into $prefix: $(find "$prefix" -type f | wc -l) files"

# 2. Build the example out of tree with CMake (find_package(gryadka)).
mkdir "$tmp/cmake-example" "$tmp/pc-example"
cp "$source_dir"/client/examples/cpp/{CMakeLists.txt,main.cc,Makefile} "$tmp/cmake-example/"
cp "$source_dir"/client/examples/cpp/{main.cc,Makefile} "$tmp/pc-example/"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$tmp/cmake-example" -B "$tmp/cmake-example/build" "${generator[@]}" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$tmp/cmake-config.log" 2>&1 ||
  { cat "$tmp/cmake-config.log" >&2; fail "configuring the example with find_package(gryadka)"; }
cmake --build "$tmp/cmake-example/build" >"$tmp/cmake-build.log" 2>&1 ||
  { cat "$tmp/cmake-build.log" >&2; fail "building the example with CMake"; }
if leaks=$(grep -rIl -e "$build_dir" -e "$source_dir" "$tmp/cmake-example/build"); then
  fail "the example's CMake build refers to the Gryadka build or source tree: $leaks"
fi
echo "built with CMake: find_package(gryadka) + gryadka::client"

# 3. Build it with pkg-config (the example's Makefile).
export PKG_CONFIG_PATH=$(dirname "$pc")
pkg-config --libs gryadka-client >/dev/null || fail "pkg-config --libs gryadka-client"
make -C "$tmp/pc-example" >"$tmp/pc-build.log" 2>&1 ||
  { cat "$tmp/pc-build.log" >&2; fail "building the example with pkg-config"; }
echo "built with pkg-config: $(pkg-config --libs gryadka-client | wc -w) linker arguments"

# 4. A real local cluster: 3 redis-server + 1 proposer on free loopback ports.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {  # PORT PID: 0 once PORT accepts, 1 if PID died or PORT_WAIT_S passed
  local i
  for ((i = 0; i < PORT_WAIT_S * 10; i++)); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
acceptors=()
for i in 0 1 2; do
  port=$(free_port)
  mkdir "$tmp/redis$i"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp/redis$i" --save "" \
    --appendonly no --daemonize no >"$tmp/redis$i.log" 2>&1 &
  pids+=($!)
  wait_port "$port" "$!" || { cat "$tmp/redis$i.log" >&2; fail "redis-server $i did not start"; }
  acceptors+=("127.0.0.1:$port")
done
port=$(free_port)
target=127.0.0.1:$port
"$proposer_bin" --listen="$target" --acceptors="$(IFS=,; echo "${acceptors[*]}")" \
  --acceptor_timeout_ms=300 >"$tmp/proposer.log" 2>&1 &
pids+=($!)
wait_port "$port" "$!" || { cat "$tmp/proposer.log" >&2; fail "the proposer did not start"; }
serving=0
serving_deadline=$((SECONDS + SERVING_WAIT_S))
while ((SECONDS < serving_deadline)); do
  if "$gryadkactl_bin" --target="$target" --deadline_ms=1000 health >/dev/null 2>&1; then
    serving=1
    break
  fi
  sleep 0.2
done
if ((!serving)); then
  cat "$tmp/proposer.log" >&2
  fail "the proposer did not serve within ${SERVING_WAIT_S}s"
fi

# 5. Run both builds; each must print its put and the same record read back.
run_example() {  # NAME BINARY
  local out expected line=" install-test-$1 = \"value from $1\" version 1"
  out=$("$2" --target="$target" --key="install-test-$1" --value="value from $1") ||
    fail "the $1 build exited $?: $out"
  expected="put$line"$'\n'"get$line"
  if [[ $out != "$expected" ]]; then
    fail "the $1 build printed:"$'\n'"$out"$'\n'"expected:"$'\n'"$expected"
  fi
  echo "$out"
}
run_example cmake "$tmp/cmake-example/build/gryadka_example"
run_example pkg-config "$tmp/pc-example/gryadka_example"
echo "install_test: OK"
