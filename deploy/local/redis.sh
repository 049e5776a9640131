#!/usr/bin/env bash
# Starts or stops ONE extra Redis acceptor next to the local cluster of deploy/local/up.sh (same
# state dir, same durability settings), e.g. to add it with `gryadkactl membership add`
# (docs/membership.md). Starting does not change the cluster's membership; stopping does not
# either (remove the acceptor with gryadkactl first). deploy/local/down.sh stops it too.
# Processes are recorded and checked as up.sh does (deploy/local/lib/cluster.sh): only the PID
# this script recorded is ever signalled.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CALLER_DIR=$PWD
cd "$ROOT"

usage() {
  cat <<EOF
Usage: deploy/local/redis.sh start PORT | stop PORT [--purge] | --help

  start PORT  start redis-server on 127.0.0.1:PORT (data in \$GRYADKA_STATE_DIR/redis-PORT) and
              wait until it answers PING; a no-op if it already runs
  stop PORT   stop it (SIGTERM, then SIGKILL after GRYADKA_STOP_TIMEOUT_MS [10000]);
              --purge also deletes its data dir

Environment: GRYADKA_STATE_DIR [.local/cluster].
EOF
}

usage_error() {
  echo "error: $*" >&2
  usage >&2
  exit 64
}

(($# >= 1)) || usage_error "no command given"
case $1 in
  -h | --help) usage; exit 0 ;;
  start | stop) command=$1 ;;
  *) usage_error "unknown command \"$1\" (expected start or stop)" ;;
esac
(($# >= 2)) || usage_error "$command needs a PORT"
port=$2
if ! [[ $port =~ ^[1-9][0-9]*$ ]] || ((port > 65535)); then
  usage_error "invalid PORT \"$port\" (expected a number in 1..65535)"
fi
purge=0
for arg in "${@:3}"; do
  case $arg in
    --purge)
      [[ $command == stop ]] || usage_error "--purge applies to stop only"
      purge=1
      ;;
    *) usage_error "unknown argument: $arg" ;;
  esac
done

STATE_DIR=.local/cluster
if [[ -n ${GRYADKA_STATE_DIR:-} ]]; then
  STATE_DIR=$GRYADKA_STATE_DIR
  [[ $STATE_DIR == /* ]] || STATE_DIR=$CALLER_DIR/$STATE_DIR
fi
# shellcheck source=deploy/local/lib/cluster.sh
source "$ROOT/deploy/local/lib/cluster.sh"

name=redis-$port
pidfile=$(gryadka_pidfile "$name")
log=$STATE_DIR/logs/$name.log

start_redis() {
  if gryadka_pidfile_alive "$pidfile"; then
    echo "$name: already running (pid $GRYADKA_PID)"
    return 0
  fi
  local redis_bin i
  redis_bin=$(command -v redis-server) || gryadka_die "redis-server not found (apt-get install redis-server)"
  command -v redis-cli >/dev/null || gryadka_die "redis-cli not found (apt-get install redis-tools)"
  if gryadka_port_busy "$port"; then
    gryadka_die "port $port is busy: another process listens on 127.0.0.1:$port"
  fi
  mkdir -p "$STATE_DIR/pids" "$STATE_DIR/logs" "$STATE_DIR/$name"
  setsid "$redis_bin" --bind 127.0.0.1 --port "$port" --dir "$STATE_DIR/$name" \
    --save '' --appendonly yes --appendfsync always --daemonize no >>"$log" 2>&1 </dev/null &
  local pid=$!
  gryadka_record_pid "$name" "$pid" redis-server ||
    { gryadka_log_tail "$log"; gryadka_die "$name exited at once"; }
  for ((i = 0; i * GRYADKA_POLL_INTERVAL_MS < GRYADKA_REDIS_READY_TIMEOUT_MS; i++)); do
    if [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; then
      echo "$name: started (pid $pid, log $log); acceptor address 127.0.0.1:$port"
      return 0
    fi
    gryadka_pidfile_running "$pidfile" || break
    gryadka_sleep_poll
  done
  gryadka_log_tail "$log"
  gryadka_die "$name did not answer PING on 127.0.0.1:$port within" \
    "${GRYADKA_REDIS_READY_TIMEOUT_MS} ms (log above)"
}

stop_redis() {
  gryadka_stop_pidfile "$pidfile"
  if ((purge)) && [[ -d $STATE_DIR/$name ]]; then
    rm -rf -- "${STATE_DIR:?}/$name"
    echo "purged $STATE_DIR/$name"
  fi
}

if [[ $command == start ]]; then start_redis; else stop_redis; fi
