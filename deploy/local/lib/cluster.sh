# shellcheck shell=bash
# Shared by deploy/local/up.sh and deploy/local/down.sh (source it after setting STATE_DIR).
#
# Every process the cluster scripts start has a PID file $STATE_DIR/pids/NAME.pid holding
# "PID STARTTIME PROGRAM": STARTTIME is field 22 of /proc/PID/stat (clock ticks since boot), so a
# PID the kernel reused for another process never matches; PROGRAM must appear in
# /proc/PID/cmdline (Redis rewrites its title to "redis-server 127.0.0.1:PORT", so the program
# name is what is compared, not the whole command line).

# Bounds, in milliseconds.
GRYADKA_REDIS_READY_TIMEOUT_MS=${GRYADKA_REDIS_READY_TIMEOUT_MS:-10000}
GRYADKA_PROPOSER_READY_TIMEOUT_MS=${GRYADKA_PROPOSER_READY_TIMEOUT_MS:-30000}
GRYADKA_STOP_TIMEOUT_MS=${GRYADKA_STOP_TIMEOUT_MS:-10000}
GRYADKA_POLL_INTERVAL_MS=100  # gryadka_sleep_poll sleeps this long

gryadka_die() {
  echo "error: $*" >&2
  exit 1
}

gryadka_sleep_poll() {
  sleep "$((GRYADKA_POLL_INTERVAL_MS / 1000)).$(printf '%03d' $((GRYADKA_POLL_INTERVAL_MS % 1000)))"
}

# Prints the start time of PID (field 22 of /proc/PID/stat), or nothing if PID is gone. The
# command name in field 2 may contain spaces and ')', so fields are counted after the last ')'.
gryadka_starttime() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  local -a fields
  read -ra fields <<<"${stat##*) }"
  echo "${fields[19]}"
}

# Prints the state letter of PID (R, S, Z, ...), or nothing if PID is gone.
gryadka_proc_state() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  echo "${stat%% *}"
}

gryadka_pidfile() { echo "$STATE_DIR/pids/$1.pid"; }

# Records that NAME runs as PID (a program called PROGRAM). Fails if PID already exited.
gryadka_record_pid() {
  local name=$1 pid=$2 program=$3 starttime
  starttime=$(gryadka_starttime "$pid")
  [[ -n $starttime ]] || return 1
  echo "$pid $starttime $program" >"$(gryadka_pidfile "$name")"
}

# Succeeds when the process recorded in PIDFILE still runs (same PID and start time, not a
# zombie), whatever its command line. Sets GRYADKA_PID and GRYADKA_PROGRAM.
gryadka_pidfile_running() {
  local pidfile=$1 pid starttime program state
  GRYADKA_PID=
  GRYADKA_PROGRAM=
  [[ -f $pidfile ]] || return 1
  read -r pid starttime program <"$pidfile" || return 1
  [[ $pid =~ ^[0-9]+$ && -n $starttime && -n $program ]] || return 1
  [[ $(gryadka_starttime "$pid") == "$starttime" ]] || return 1
  state=$(gryadka_proc_state "$pid")
  [[ -n $state && $state != Z && $state != X ]] || return 1
  GRYADKA_PID=$pid
  GRYADKA_PROGRAM=$program
}

# Like gryadka_pidfile_running, and the command line names the recorded program: the process
# is the one the scripts started (checked before reusing or signalling it).
gryadka_pidfile_alive() {
  local cmdline
  gryadka_pidfile_running "$1" || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$GRYADKA_PID/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$GRYADKA_PROGRAM"* ]] || { GRYADKA_PID=; return 1; }
}

# gryadka_stop_pidfile PIDFILE: stops the recorded process if it is still the one the scripts
# started (SIGTERM, then SIGKILL after GRYADKA_STOP_TIMEOUT_MS); removes PIDFILE. Never signals a
# process whose PID was reused by another program.
gryadka_stop_pidfile() {
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

# Succeeds when something accepts TCP connections on 127.0.0.1:PORT.
gryadka_port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints the last lines of a log file, indented, for error messages.
gryadka_log_tail() {
  echo "---- last lines of $1 ----" >&2
  tail -n 30 "$1" >&2 2>/dev/null || echo "(no log)" >&2
  echo "----" >&2
}
