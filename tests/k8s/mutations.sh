#!/usr/bin/env bash
# Proves that each manifest check can fail: breaks a copy of deploy/k8s in one place at a time
# (a wrong type, a missing required field, an unknown field, a missing probe, a bad flag, ...)
# and expects the named check to fail with the named message. Not part of ctest (~1 min idle,
# every mutation renders anew); docs/testing.md ("Manifest checks") lists what it does.
#
# Usage: tests/k8s/mutations.sh PROPOSER_BINARY   (gryadkactl is taken from the same directory)
# Exit: 0 every mutation was caught; 1 one was not (or did not apply); 77 no kubectl; 64 usage.
set -euo pipefail
(($# == 1)) || { sed -n '2,8s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 64; }
binary=$1
ctl=$(dirname "$binary")/gryadkactl
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v "${KUBECTL:-kubectl}" >/dev/null 2>&1 || { echo "SKIPPED: kubectl not found"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=tests/support/mutations.sh
source "$here/../support/mutations.sh"
MUTATION_TAIL_LINES=5
export GRYADKA_K8S_DIR=$work/k8s  # what the checks read: the broken copy

# run_check CHECK: runs CHECK on GRYADKA_K8S_DIR, rendering it first when CHECK reads a rendering.
run_check() {
  case $1 in
    yamllint) "$here/check.sh" yamllint ;;
    render) "$here/check.sh" render "$work/rendered" ;;
    flags | start) "$here/check.sh" render "$work/rendered" >/dev/null &&
      "$here/check.sh" "$1" "$work/rendered" "$binary" ;;
    cluster) "$here/check.sh" render "$work/rendered" >/dev/null &&
      "$here/check.sh" cluster "$work/rendered" "$binary" "$ctl" ;;
    *) "$here/check.sh" render "$work/rendered" >/dev/null &&
      "$here/check.sh" "$1" "$work/rendered" ;;
  esac
}

# mutate CHECK EXPECTED FILE OLD NEW: replaces the first OLD in deploy/k8s/FILE (a copy) by NEW,
# runs CHECK on it and expects it to fail with output containing EXPECTED.
mutate() {
  local check=$1 expected=$2 file=$3 old=$4 new=$5
  rm -rf "$work/k8s" "$work/rendered"
  cp -r "$here/../../deploy/k8s" "$work/k8s"
  mutation_apply "$work/k8s" "$file" "$old" "$new" || return 0
  local label
  label="by $check: $file: '$(mutation_first_line "$old")' -> '$(mutation_first_line "$new")'"
  mutation_run "$label" "$expected" run_check "$check"
}

S=base/redis-statefulset.yaml
P=base/proposer-deployment.yaml
mutate render "FAILED to render" base/kustomization.yaml "- networkpolicy.yaml" "- network-policy.yaml"
mutate schema "terminationGracePeriodSeconds" $P "terminationGracePeriodSeconds: 30" \
  'terminationGracePeriodSeconds: "30"'
mutate types "is not assignable to type 'number'" $P "terminationGracePeriodSeconds: 30" \
  'terminationGracePeriodSeconds: "30"'
mutate schema "port" $S $'      port: 6379\n      targetPort: redis' "      targetPort: redis"
mutate types "readOnlyRootFilesytem" $P "readOnlyRootFilesystem: true" "readOnlyRootFilesytem: true"
mutate types "periodSecond" $S "periodSeconds: 5" "periodSecond: 5"
mutate policy "livenessProbe" $P "          livenessProbe:" "          livenessProbeX:"
mutate policy "readinessProbe" $S "          readinessProbe:" "          startupProbe:"
mutate policy "livenessProbe is grpc" $P "service: gryadka.v1.KV.liveness" "service: gryadka.v1.KV"
mutate policy "resources.limits.memory" $S $'            limits:\n              memory: 32Mi\n' ""
mutate policy "allowPrivilegeEscalation false" $S "allowPrivilegeEscalation: false" \
  "allowPrivilegeEscalation: true"
mutate policy "capabilities drop ALL" $P 'drop: ["ALL"]' 'drop: ["NET_RAW"]'
mutate policy "seccompProfile RuntimeDefault" $S "type: RuntimeDefault" "type: Unconfined"
mutate policy "PVCs retained" $S "whenScaled: Retain" "whenScaled: Delete"
mutate policy "has a PodDisruptionBudget" $P \
  $'  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: gryadka\n      app.kubernetes.io/component: proposer' \
  $'  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: gryadka\n      app.kubernetes.io/component: proposers'
mutate policy "no password in command/args" overlays/dev/resources.yaml '"--maxmemory", "192mb"' \
  '"--maxmemory", "192mb", "--requirepass", "gryadka-dev-password-not-secret"'
mutate policy "terminationGracePeriodSeconds" $P "terminationGracePeriodSeconds: 30" \
  "terminationGracePeriodSeconds: 10"
mutate policy "appendfsync always" base/redis.conf "appendfsync always" "appendfsync everysec"
mutate policy "membership prepare" base/membership.json '"quorum": 2' '"quorum": 1'
mutate flags "does not accept --drain_timeout" $P "--drain_timeout_ms=10000" "--drain_timeout=10000"
mutate start "Illegal value '128MiB'" $P "--cache_bytes_max=134217728" "--cache_bytes_max=128MiB"
mutate start "do not always intersect" base/membership.json '"quorum": 2' '"quorum": 1'
mutate yamllint "colons" $P "  replicas: 2" "  replicas:   2"
mutate cluster "can't run this command" base/redis-acl.sh " +hset" ""
mutate cluster "the default user is refused" base/redis-acl.sh "user default off resetpass -@all" \
  "user default on nopass +@all"
# shellcheck disable=SC2016  # OLD is the manifests' shell text, literally
mutate cluster "readiness probe of the Redis" $S \
  'REDISCLI_AUTH=$(printf %s "$REDISCLI_AUTH"); export REDISCLI_AUTH;' "true;"
# shellcheck disable=SC2016  # OLD is the manifests' shell text, literally
mutate cluster "starts gryadka-redis-1 although" base/redis-acl.sh 'grep -qx "$POD_NAME"' \
  'grep -qx "nobody"'
mutation_summary
