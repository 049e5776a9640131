#!/usr/bin/env bash
# The container test (docs/container.md): builds the gryadka image and a test Redis image with
# podman, runs 3 Redis acceptors and 2 proposers as containers (--network host, free loopback
# ports, read-only root filesystems, all capabilities dropped), runs gryadkactl from the image
# through both proposers (put/get/cas/incr/del) and checks their plaintext health ports
# (--health_listen), checks that the proposers run as uid 10001,
# SIGTERMs them and checks exit status 0 with "draining" then "stopped" in their log.
#
# Usage: tests/container/run.sh [--from-source]
#   --from-source  compile the binaries inside the image (the full multi-stage build; many
#                  minutes on 2 cores) instead of reusing gryadka-proposer and gryadkactl from
#                  $GRYADKA_BUILD_DIR/bin (default build/; a build on Debian 12)
# The base image is debootstrapped each run (build.sh --debootstrap), unless
# GRYADKA_CONTAINER_BASE names an existing Debian 12 image to use instead (it is not removed).
# Every container and image it creates is named gryadka-test-PID-EPOCH-*; it removes exactly
# those on exit, whatever the outcome. podman runs with runc and its own containers.conf (cgroupfs,
# explicit ulimits) in the test's temp dir. Exits 0 when every check passed, 1 otherwise.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${GRYADKA_BUILD_DIR:-$ROOT/build}
READY_TIMEOUT_S=60  # bound on waiting for a Redis or a proposer to answer
STOP_TIMEOUT_S=20   # bound on a proposer's exit after SIGTERM (drain timeout 10 s + margin)
CLIENT_DEADLINE_MS=5000

from_source=0
case ${1:-} in
  "") ;;
  --from-source) from_source=1 ;;
  -h | --help) sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
  *) echo "tests/container/run.sh: unknown argument: $1" >&2; exit 64 ;;
esac

PREFIX=gryadka-test-$$-$(date +%s)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/$PREFIX.XXXXXX")
BASE_IMAGE=${GRYADKA_CONTAINER_BASE:-localhost/$PREFIX-debian:bookworm}
IMAGE=localhost/$PREFIX-gryadka:test
REDIS_IMAGE=localhost/$PREFIX-redis:test
containers=()  # names of the containers this run started (removed on exit)

cat >"$WORK/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
export CONTAINERS_CONF=$WORK/containers.conf

cleanup() {
  local status=$? name image
  for name in ${containers[@]+"${containers[@]}"}; do
    podman rm -f -t 5 --ignore "$name" >/dev/null 2>&1 || echo "could not remove container $name" >&2
  done
  local images=("$IMAGE" "$REDIS_IMAGE")
  [[ -n ${GRYADKA_CONTAINER_BASE:-} ]] || images+=("$BASE_IMAGE")
  for image in "${images[@]}"; do
    if podman image exists "$image"; then
      podman rmi -f "$image" >/dev/null 2>&1 || echo "could not remove image $image" >&2
    fi
  done
  rm -rf "$WORK"
  if ((status == 0)); then echo "container test: PASS"; else echo "container test: FAIL" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT  # so that cleanup runs on Ctrl-C and SIGTERM too
trap 'exit 143' TERM

fail() {
  echo "container test: $*" >&2
  exit 1
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints N distinct loopback ports nothing listens on (random in 20000-59999).
free_ports() {
  local -A taken=()
  local n=$1 port tries
  for ((tries = 0; ${#taken[@]} < n && tries < 1000; tries++)); do
    port=$((20000 + RANDOM % 40000))
    [[ -z ${taken[$port]:-} ]] && ! port_busy "$port" && taken[$port]=1
  done
  ((${#taken[@]} == n)) || fail "found no $n free loopback ports"
  echo "${!taken[@]}"
}

# run_container NAME IMAGE [PODMAN_RUN_OPTIONS...] -- ARGS...: starts a detached container on
# the host network, root filesystem read-only, no capabilities, no privilege escalation, with
# ARGS for its entrypoint; records NAME for cleanup.
run_container() {
  local name=$1 image=$2 options=()
  shift 2
  while (($# > 0)) && [[ $1 != -- ]]; do options+=("$1"); shift; done
  shift
  containers+=("$name")
  podman run -d --name "$name" --network host --read-only --cap-drop ALL \
    --security-opt no-new-privileges ${options[@]+"${options[@]}"} "$image" "$@" >/dev/null
}

# next_ctl: names the container of the next ctl calls and records it for cleanup. Call it in
# this shell, not in a $(...) subshell, whose changes would be lost.
ctl_count=0
next_ctl() {
  ctl_count=$((ctl_count + 1))
  containers+=("$PREFIX-ctl-$ctl_count")
}

# ctl ARGS...: gryadkactl from the image in a one-shot container (named by next_ctl); prints
# its output.
ctl() {
  podman run --rm --name "$PREFIX-ctl-$ctl_count" --network host --read-only --cap-drop ALL \
    --security-opt no-new-privileges --entrypoint /usr/local/bin/gryadkactl "$IMAGE" \
    --deadline_ms="$CLIENT_DEADLINE_MS" "$@"
}

# expect WANT_STATUS WANT_OUTPUT ARGS...: runs ctl ARGS and checks its exit status and output.
expect() {
  local want_status=$1 want_output=$2 output status=0
  shift 2
  next_ctl
  output=$(ctl "$@" 2>&1) || status=$?
  [[ $status == "$want_status" && $output == "$want_output" ]] ||
    fail "gryadkactl $*: got status $status and '$output', want $want_status and '$want_output'"
  echo "[${SECONDS} s] ok: gryadkactl $* -> $output"
}

wait_for() {  # wait_for WHAT COMMAND...: retries COMMAND each second for READY_TIMEOUT_S
  local what=$1 i
  shift
  for ((i = 0; i < READY_TIMEOUT_S; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  fail "$what did not become ready within ${READY_TIMEOUT_S} s"
}

# wait_for_container NAME WHAT COMMAND...: retries COMMAND each second for READY_TIMEOUT_S while
# container NAME runs. Returns 0 once COMMAND succeeds; 2 when NAME exited (its log tail is
# printed: e.g. another process took its port between free_ports and the start); fails after
# the timeout, with the log tail.
wait_for_container() {
  local name=$1 what=$2 i
  shift 2
  for ((i = 0; i < READY_TIMEOUT_S; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    if [[ $(podman inspect -f '{{.State.Running}}' "$name" 2>/dev/null) != true ]]; then
      echo "[${SECONDS} s] $what exited at start; its log:" >&2
      podman logs --tail 10 "$name" 2>&1 | sed 's/^/    /' >&2
      return 2
    fi
    sleep 1
  done
  podman logs --tail 10 "$name" 2>&1 | sed 's/^/    /' >&2
  fail "$what did not become ready within ${READY_TIMEOUT_S} s"
}

build_images() {
  local build_args=(--tag "$IMAGE" --engine podman)
  if [[ -n ${GRYADKA_CONTAINER_BASE:-} ]]; then
    build_args+=(--base "$BASE_IMAGE")
  else
    build_args+=(--debootstrap "$BASE_IMAGE")
  fi
  ((from_source)) || build_args+=(--prebuilt "$BUILD_DIR")
  # --layers=false: no intermediate images are left behind (only the tagged ones, removed on exit).
  "$ROOT/deploy/container/build.sh" "${build_args[@]}" -- --layers=false >"$WORK/build.log" 2>&1 ||
    { tail -n 30 "$WORK/build.log" >&2; fail "deploy/container/build.sh failed"; }
  podman build -f "$ROOT/deploy/container/redis.Containerfile" --build-arg "BASE=$BASE_IMAGE" \
    --layers=false -t "$REDIS_IMAGE" "$WORK" >"$WORK/redis-build.log" 2>&1 ||
    { tail -n 20 "$WORK/redis-build.log" >&2; fail "building the Redis image failed"; }
  echo "[${SECONDS} s] ok: built $IMAGE ($(podman image inspect -f '{{.Size}}' "$IMAGE") bytes) and $REDIS_IMAGE"
  local user
  user=$(podman image inspect -f '{{.Config.User}}' "$IMAGE")
  [[ $user == 10001:10001 ]] || fail "image user is '$user', want 10001:10001"
}

# Starts the cluster on free ports; when a container exits at start (a port taken by another
# process after free_ports looked), removes this attempt's containers and tries new ports, at
# most START_ATTEMPTS_MAX times.
START_ATTEMPTS_MAX=3
start_cluster() {
  local attempt
  for ((attempt = 1; attempt <= START_ATTEMPTS_MAX; attempt++)); do
    start_cluster_once && return 0
    echo "[${SECONDS} s] attempt $attempt of $START_ATTEMPTS_MAX to start the cluster failed;" \
      "trying other ports" >&2
    local i
    for i in 0 1 2; do podman rm -f -t 1 --ignore "$PREFIX-redis-$i" >/dev/null 2>&1 || true; done
    for i in 0 1; do podman rm -f -t 1 --ignore "$PREFIX-proposer-$i" >/dev/null 2>&1 || true; done
  done
  fail "the cluster did not start in $START_ATTEMPTS_MAX attempts (logs above)"
}

start_cluster_once() {
  local ports i
  read -ra ports <<<"$(free_ports 7)"
  redis_ports=("${ports[@]:0:3}")
  proposer_ports=("${ports[@]:3:2}")
  health_ports=("${ports[@]:5:2}")
  for i in 0 1 2; do
    run_container "$PREFIX-redis-$i" "$REDIS_IMAGE" --tmpfs /data:rw,U -- \
      --port "${redis_ports[i]}" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always
  done
  for i in 0 1 2; do
    wait_for_container "$PREFIX-redis-$i" "redis on port ${redis_ports[i]}" \
      redis-cli -h 127.0.0.1 -p "${redis_ports[i]}" ping || return 1
  done
  local acceptors
  acceptors=$(printf '127.0.0.1:%s,' "${redis_ports[@]}")
  for i in 0 1; do
    run_container "$PREFIX-proposer-$i" "$IMAGE" -- --listen="127.0.0.1:${proposer_ports[i]}" \
      --health_listen="127.0.0.1:${health_ports[i]}" --acceptors="${acceptors%,}" \
      --proposer_id=$((i + 1))
  done
  for i in 0 1; do
    next_ctl
    wait_for_container "$PREFIX-proposer-$i" "proposer on port ${proposer_ports[i]}" \
      ctl --target="127.0.0.1:${proposer_ports[i]}" health || return 1
  done
  next_ctl
  ctl --target="127.0.0.1:${health_ports[0]},127.0.0.1:${health_ports[1]}" health >/dev/null ||
    fail "the plaintext health ports ${health_ports[*]} do not report SERVING"
  echo "[${SECONDS} s] ok: 3 Redis (ports ${redis_ports[*]}) and 2 proposers (ports" \
    "${proposer_ports[*]}, health ports ${health_ports[*]}) serve"
}

check_non_root() {
  local i pid uid
  for i in 0 1; do
    pid=$(podman inspect -f '{{.State.Pid}}' "$PREFIX-proposer-$i")
    uid=$(ps -o uid= -p "$pid" | tr -d ' ')
    [[ $uid == 10001 ]] || fail "proposer $i runs as uid '$uid', want 10001"
  done
  echo "[${SECONDS} s] ok: the proposers run as uid 10001"
}

smoke_test() {
  local p0="--target=127.0.0.1:${proposer_ports[0]}" p1="--target=127.0.0.1:${proposer_ports[1]}"
  expect 0 'greeting = "hello" (version 1)' "$p0" put greeting hello
  expect 0 'greeting = "hello" (version 1)' "$p1" get greeting
  expect 0 'greeting = "hello again" (version 2)' "$p1" cas greeting 1 'hello again'
  expect 3 'not applied: version is 2, expected 1' "$p0" cas greeting 1 'too late'
  expect 0 'visits = 5 (version 1)' "$p0" incr visits 5
  expect 0 'visits = 6 (version 2)' "$p1" incr visits
  expect 0 'greeting: deleted' "$p1" del greeting
  expect 0 'greeting: not found' "$p0" get greeting
}

# Each proposer gets SIGTERM, exits 0, and logs "draining" and then "stopped".
stop_proposers() {
  local i name status log
  for i in 0 1; do
    name=$PREFIX-proposer-$i
    podman kill --signal TERM "$name" >/dev/null
    status=$(timeout "$STOP_TIMEOUT_S" podman wait "$name") ||
      fail "$name did not exit within ${STOP_TIMEOUT_S} s of SIGTERM"
    log=$(podman logs "$name" 2>&1)
    [[ $status == 0 ]] || { echo "$log" >&2; fail "$name exited with status $status, want 0"; }
    [[ $log == *'"msg":"draining"'*'"msg":"stopped"'* ]] ||
      { echo "$log" >&2; fail "$name did not log \"draining\" then \"stopped\""; }
  done
  echo "[${SECONDS} s] ok: both proposers exited 0 after SIGTERM, logging draining then stopped"
}

command -v redis-cli >/dev/null 2>&1 || fail "redis-cli not found (apt-get install redis-tools)"
build_images
start_cluster
check_non_root
smoke_test
stop_proposers
