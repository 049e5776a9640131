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

if [[ ! -d $STATE_DIR/pids ]]; then
  echo "No cluster state in $STATE_DIR (nothing to stop)."
else
  shopt -s nullglob
  for pidfile in "$STATE_DIR"/pids/proposer-*.pid; do gryadka_stop_pidfile "$pidfile"; done
  for pidfile in "$STATE_DIR"/pids/*.pid; do gryadka_stop_pidfile "$pidfile"; done
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
