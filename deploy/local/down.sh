#!/usr/bin/env bash
# Stops the local Gryadka cluster that deploy/local/up.sh started from the same state dir:
# exactly the processes whose PIDs up.sh recorded (each checked by start time and command line
# before it is signalled — never by name), proposers first, then the Redis acceptors. SIGTERM,
# then SIGKILL after GRYADKA_STOP_TIMEOUT_MS [10000]. --purge also deletes the Redis data dirs
# and logs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CALLER_DIR=$PWD
cd "$ROOT"

usage() {
  cat <<EOF
Usage: deploy/local/down.sh [--purge] [--help]

Stops the processes deploy/local/up.sh started (from \$GRYADKA_STATE_DIR [.local/cluster]).

  --purge     also delete the acceptors' data dirs and the logs
  -h, --help  print this text
EOF
}

purge=0
for arg in "$@"; do
  case $arg in
    --purge) purge=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument: $arg" >&2; usage >&2; exit 64 ;;
  esac
done

STATE_DIR=${GRYADKA_STATE_DIR:-.local/cluster}  # relative: to the caller's directory when given
if [[ -n ${GRYADKA_STATE_DIR:-} && $STATE_DIR != /* ]]; then STATE_DIR=$CALLER_DIR/$STATE_DIR; fi

# shellcheck source=deploy/local/lib/cluster.sh
source "$ROOT/deploy/local/lib/cluster.sh"

# stop PIDFILE: stops the recorded process if it is still the one up.sh started; removes PIDFILE.
stop() {
  local pidfile=$1 name pid i
  name=$(basename "$pidfile" .pid)
  if ! gryadka_pidfile_alive "$pidfile"; then
    if gryadka_pidfile_running "$pidfile"; then
      echo "$name: pid $GRYADKA_PID no longer runs $GRYADKA_PROGRAM; not signalled" >&2
    else
      echo "$name: not running"
    fi
    rm -f "$pidfile"
    return 0
  fi
  pid=$GRYADKA_PID
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i * GRYADKA_POLL_INTERVAL_MS < GRYADKA_STOP_TIMEOUT_MS; i++)); do
    gryadka_pidfile_running "$pidfile" || break
    gryadka_sleep_poll
  done
  if gryadka_pidfile_alive "$pidfile"; then
    echo "$name: pid $pid still runs after ${GRYADKA_STOP_TIMEOUT_MS} ms; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      gryadka_pidfile_running "$pidfile" || break
      gryadka_sleep_poll
    done
  fi
  if gryadka_pidfile_running "$pidfile"; then
    gryadka_die "$name: pid $pid did not exit; PID file $pidfile kept"
  fi
  echo "$name: stopped (pid $pid)"
  rm -f "$pidfile"
}

if [[ ! -d $STATE_DIR/pids ]]; then
  echo "No cluster state in $STATE_DIR (nothing to stop)."
else
  shopt -s nullglob
  for pidfile in "$STATE_DIR"/pids/proposer-*.pid; do stop "$pidfile"; done
  for pidfile in "$STATE_DIR"/pids/*.pid; do stop "$pidfile"; done
  rmdir "$STATE_DIR/pids" 2>/dev/null || true
fi

if ((purge)); then
  # Only what up.sh creates: never the state dir's other contents.
  shopt -s nullglob
  for dir in "$STATE_DIR"/redis-* "$STATE_DIR/logs"; do
    [[ -d $dir ]] && rm -rf -- "$dir" && echo "purged $dir"
  done
  rmdir "$STATE_DIR" 2>/dev/null || true
fi
