#!/usr/bin/env bash
# Starts a local Gryadka cluster on 127.0.0.1: 3 Redis acceptors and 2 proposers.
#
# On a fresh Debian 12 machine (as root) it first installs the missing packages and builds
# gryadka-proposer and gryadkactl in build/. It is idempotent: processes of this state dir that
# already run are left alone (a dead one is started again), and when the whole cluster already
# runs it says so and exits 0. Stop it with deploy/local/down.sh.
#
# Environment (defaults in brackets):
#   GRYADKA_STATE_DIR       data dirs, logs and PID files [.local/cluster in the repo]
#   GRYADKA_REDIS_PORTS     acceptor ports ["6381 6382 6383"]
#   GRYADKA_PROPOSER_PORTS  proposer ports ["8080 8081"]
#   GRYADKA_METRICS_PORTS   each proposer's Prometheus metrics port, in the same order ["9090 9091"]
#   GRYADKA_BUILD_DIR       CMake build dir [build]
#   GRYADKA_REDIS_READY_TIMEOUT_MS, GRYADKA_PROPOSER_READY_TIMEOUT_MS  start-up bounds [10000, 30000]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CALLER_DIR=$PWD
cd "$ROOT"

usage() {
  cat <<EOF
Usage: deploy/local/up.sh [--no-build] [--help]

Starts 3 Redis acceptors and 2 gryadka-proposer processes on 127.0.0.1 (installing missing
Debian packages and building first), waits until they answer, and prints how to use them.

  --no-build  use the binaries already in \$GRYADKA_BUILD_DIR/bin (no apt, no cmake)
  -h, --help  print this text

Environment: GRYADKA_STATE_DIR [.local/cluster], GRYADKA_REDIS_PORTS ["6381 6382 6383"],
GRYADKA_PROPOSER_PORTS ["8080 8081"], GRYADKA_METRICS_PORTS ["9090 9091"],
GRYADKA_BUILD_DIR [build].
EOF
}

build=1
for arg in "$@"; do
  case $arg in
    --no-build) build=0 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument: $arg" >&2; usage >&2; exit 64 ;;
  esac
done

# Defaults are relative to the repo; paths given in the environment, to the caller's directory.
absolute() { [[ $1 == /* ]] && echo "$1" || echo "$CALLER_DIR/$1"; }
BUILD_DIR=build
[[ -n ${GRYADKA_BUILD_DIR:-} ]] && BUILD_DIR=$(absolute "$GRYADKA_BUILD_DIR")
STATE_DIR=.local/cluster
[[ -n ${GRYADKA_STATE_DIR:-} ]] && STATE_DIR=$(absolute "$GRYADKA_STATE_DIR")
read -ra REDIS_PORTS <<<"${GRYADKA_REDIS_PORTS:-6381 6382 6383}"
read -ra PROPOSER_PORTS <<<"${GRYADKA_PROPOSER_PORTS:-8080 8081}"
read -ra METRICS_PORTS <<<"${GRYADKA_METRICS_PORTS:-9090 9091}"

# shellcheck source=deploy/local/lib/deps.sh
source "$ROOT/deploy/local/lib/deps.sh"
# shellcheck source=deploy/local/lib/cluster.sh
source "$ROOT/deploy/local/lib/cluster.sh"

validate_ports() {
  local -A seen=()
  local port
  ((${#REDIS_PORTS[@]} >= 1)) || gryadka_die "GRYADKA_REDIS_PORTS is empty"
  ((${#PROPOSER_PORTS[@]} >= 1)) || gryadka_die "GRYADKA_PROPOSER_PORTS is empty"
  ((${#METRICS_PORTS[@]} == ${#PROPOSER_PORTS[@]})) ||
    gryadka_die "GRYADKA_METRICS_PORTS lists ${#METRICS_PORTS[@]} ports for" \
      "${#PROPOSER_PORTS[@]} proposers (GRYADKA_PROPOSER_PORTS); give one per proposer"
  for port in "${REDIS_PORTS[@]}" "${PROPOSER_PORTS[@]}" "${METRICS_PORTS[@]}"; do
    if ! [[ $port =~ ^[1-9][0-9]*$ ]] || ((port < 1 || port > 65535)); then
      gryadka_die "invalid port \"$port\" in GRYADKA_REDIS_PORTS/GRYADKA_PROPOSER_PORTS/" \
        "GRYADKA_METRICS_PORTS" \
        "(expected numbers in 1..65535 separated by spaces)"
    fi
    [[ -z ${seen[$port]:-} ]] || gryadka_die "port $port is listed twice"
    seen[$port]=1
  done
}

# Fails naming the port when something that is not this cluster's process listens on it.
check_port_free() {
  local name=$1 port=$2 what=$3
  gryadka_pidfile_alive "$(gryadka_pidfile "$name")" && return 0
  if gryadka_port_busy "$port"; then
    gryadka_die "port $port ($what) is busy: another process listens on 127.0.0.1:$port." \
      "Stop it, or choose other ports with GRYADKA_REDIS_PORTS / GRYADKA_PROPOSER_PORTS /" \
      "GRYADKA_METRICS_PORTS."
  fi
}

started=0
LEFT_RUNNING="Processes that did start keep running; deploy/local/down.sh stops them."

# start NAME PROGRAM LOG COMMAND...: starts COMMAND in its own session unless NAME runs already.
start() {
  local name=$1 program=$2 log=$3
  shift 3
  if gryadka_pidfile_alive "$(gryadka_pidfile "$name")"; then
    echo "$name: already running (pid $GRYADKA_PID)"
    return 0
  fi
  setsid "$@" >>"$log" 2>&1 </dev/null &
  local pid=$!
  gryadka_record_pid "$name" "$pid" "$program" ||
    { gryadka_log_tail "$log"; gryadka_die "$name exited at once (command: $*)"; }
  echo "$name: started (pid $pid, log $log)"
  started=$((started + 1))
}

wait_redis() {
  local port=$1 name=redis-$1 i
  local why="did not answer PING on 127.0.0.1:$port within ${GRYADKA_REDIS_READY_TIMEOUT_MS} ms"
  for ((i = 0; i * GRYADKA_POLL_INTERVAL_MS < GRYADKA_REDIS_READY_TIMEOUT_MS; i++)); do
    [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]] && return 0
    gryadka_pidfile_running "$(gryadka_pidfile "$name")" || { why="exited"; break; }
    gryadka_sleep_poll
  done
  gryadka_log_tail "$STATE_DIR/logs/$name.log"
  gryadka_die "$name $why (log above). $LEFT_RUNNING"
}

wait_proposer() {
  local port=$1 name=proposer-$1 i
  local why="is not healthy on 127.0.0.1:$port within ${GRYADKA_PROPOSER_READY_TIMEOUT_MS} ms"
  for ((i = 0; i * GRYADKA_POLL_INTERVAL_MS < GRYADKA_PROPOSER_READY_TIMEOUT_MS; i++)); do
    "$CTL_BIN" health --target="127.0.0.1:$port" --deadline_ms=1000 >/dev/null 2>&1 && return 0
    gryadka_pidfile_running "$(gryadka_pidfile "$name")" || { why="exited"; break; }
    gryadka_sleep_poll
  done
  gryadka_log_tail "$STATE_DIR/logs/$name.log"
  [[ $why == exited ]] || "$CTL_BIN" health --target="127.0.0.1:$port" --deadline_ms=1000 >&2 || true
  gryadka_die "$name $why (log above). $LEFT_RUNNING"
}

# Warns about processes of this state dir that run but are not part of the requested cluster
# (e.g. started with other ports).
warn_strays() {
  local pidfile name
  local -A wanted=()
  for port in "${REDIS_PORTS[@]}"; do wanted[redis-$port]=1; done
  for port in "${PROPOSER_PORTS[@]}"; do wanted[proposer-$port]=1; done
  for pidfile in "$STATE_DIR"/pids/*.pid; do
    [[ -e $pidfile ]] || continue
    name=$(basename "$pidfile" .pid)
    if [[ -z ${wanted[$name]:-} ]] && gryadka_pidfile_alive "$pidfile"; then
      echo "note: $name (pid $GRYADKA_PID) from an earlier start also runs;" \
        "deploy/local/down.sh stops it" >&2
    fi
  done
}

print_summary() {
  local targets redis_list=() proposer_list=() metrics_list=() port
  for port in "${REDIS_PORTS[@]}"; do redis_list+=("127.0.0.1:$port"); done
  for port in "${PROPOSER_PORTS[@]}"; do proposer_list+=("127.0.0.1:$port"); done
  for port in "${METRICS_PORTS[@]}"; do metrics_list+=("http://127.0.0.1:$port/metrics"); done
  targets=$(IFS=,; echo "${proposer_list[*]}")
  cat <<EOF

  acceptors (redis): ${redis_list[*]}
  proposers (gRPC):  ${proposer_list[*]}
  metrics:           ${metrics_list[*]}
  state, logs:       $STATE_DIR/

Try it:
  export GRYADKA_TARGET=$targets
  $CTL_BIN put greeting hello
  $CTL_BIN get greeting
  $CTL_BIN cas greeting 1 'hello again'
  $CTL_BIN incr visits
  $CTL_BIN del greeting
  $CTL_BIN health
  grpcurl -plaintext -d '{"key":"greeting"}' ${proposer_list[0]} gryadka.v1.KV/Get
    (grpcurl is not packaged in Debian; any client that speaks gRPC server reflection works)

Stop: deploy/local/down.sh   (--purge also deletes the data)
EOF
}

validate_ports
if ((build)); then
  gryadka_ensure_deps
  gryadka_build "$BUILD_DIR" gryadka-proposer gryadkactl ||
    gryadka_die "building gryadka-proposer and gryadkactl in $BUILD_DIR failed (see above)"
fi
PROPOSER_BIN=$BUILD_DIR/bin/gryadka-proposer
CTL_BIN=$BUILD_DIR/bin/gryadkactl
for bin in "$PROPOSER_BIN" "$CTL_BIN"; do
  [[ -x $bin ]] || gryadka_die "$bin not found; build it:" \
    "cmake --build $BUILD_DIR --target gryadka-proposer gryadkactl"
done
REDIS_BIN=$(command -v redis-server) || gryadka_die "redis-server not found (apt-get install redis-server)"
command -v redis-cli >/dev/null || gryadka_die "redis-cli not found (apt-get install redis-tools)"

mkdir -p "$STATE_DIR/pids" "$STATE_DIR/logs"
for port in "${REDIS_PORTS[@]}"; do check_port_free "redis-$port" "$port" "redis acceptor"; done
for i in "${!PROPOSER_PORTS[@]}"; do
  check_port_free "proposer-${PROPOSER_PORTS[i]}" "${PROPOSER_PORTS[i]}" "proposer"
  check_port_free "proposer-${PROPOSER_PORTS[i]}" "${METRICS_PORTS[i]}" "proposer metrics"
done

acceptors=()
for port in "${REDIS_PORTS[@]}"; do
  mkdir -p "$STATE_DIR/redis-$port"
  start "redis-$port" redis-server "$STATE_DIR/logs/redis-$port.log" \
    "$REDIS_BIN" --bind 127.0.0.1 --port "$port" --dir "$STATE_DIR/redis-$port" \
    --save '' --appendonly yes --appendfsync always --daemonize no
  acceptors+=("127.0.0.1:$port")
done
for port in "${REDIS_PORTS[@]}"; do wait_redis "$port"; done

acceptor_list=$(IFS=,; echo "${acceptors[*]}")
# Every proposer knows all of them (--peers, as clients name them) and forwards a call whose key
# another one owns to it (docs/performance.md, "Any proposer at full speed").
peers=()
for port in "${PROPOSER_PORTS[@]}"; do peers+=("127.0.0.1:$port"); done
peer_list=$(IFS=,; echo "${peers[*]}")
for i in "${!PROPOSER_PORTS[@]}"; do
  port=${PROPOSER_PORTS[i]}
  start "proposer-$port" gryadka-proposer "$STATE_DIR/logs/proposer-$port.log" \
    "$PROPOSER_BIN" --listen="127.0.0.1:$port" --acceptors="$acceptor_list" \
    --metrics_listen="127.0.0.1:${METRICS_PORTS[i]}" \
    --peers="$peer_list" --advertise="127.0.0.1:$port"
done
for port in "${PROPOSER_PORTS[@]}"; do wait_proposer "$port"; done

warn_strays
if ((started == 0)); then
  echo "Gryadka local cluster is already running."
else
  echo "Gryadka local cluster is up."
fi
print_summary
