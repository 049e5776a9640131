#!/usr/bin/env bash
# Renders every deploy/k8s variant with `kubectl kustomize` into OUT_DIR/NAME.yaml:
#   dev, production                the overlays as an operator applies them
#   dev-monitoring                 dev + components/servicemonitor
#   production-all                 production + components/mtls + components/servicemonitor
# The tree is copied into a temp dir first, where the production overlay gets throw-away
# Redis password files (an operator writes real ones; they are never in the repo).
#
# Usage: tests/k8s/render.sh OUT_DIR
# Environment: GRYADKA_K8S_DIR renders that copy of deploy/k8s instead (tests/k8s/mutations.sh).
# Exit: 0 rendered; 1 a variant did not render (kubectl's error is printed with its name);
#       77 kubectl is not installed (the ctest tests report SKIPPED); 64 usage.
set -euo pipefail
(($# == 1)) || { echo "usage: $0 OUT_DIR" >&2; exit 64; }
out=$1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kubectl=${KUBECTL:-kubectl}
if ! command -v "$kubectl" >/dev/null 2>&1; then
  echo "SKIPPED: kubectl not found (set KUBECTL or install kubectl >= 1.27 to check deploy/k8s)"
  exit 77
fi
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "${GRYADKA_K8S_DIR:-$root/deploy/k8s}" "$work/k8s"
printf 'test-only-password\n' >"$work/k8s/overlays/production/secrets/redis-password"
printf 'test-only-admin-password\n' >"$work/k8s/overlays/production/secrets/redis-admin-password"

# Writes a kustomization at $work/variants/$1 with resource $2 and components $3...
variant() {
  local name=$1 resource=$2
  shift 2
  mkdir -p "$work/variants/$name"
  {
    echo "apiVersion: kustomize.config.k8s.io/v1beta1"
    echo "kind: Kustomization"
    echo "namespace: gryadka"
    echo "resources: [../../k8s/$resource]"
    echo "components:"
    for c in "$@"; do echo "  - ../../k8s/components/$c"; done
  } >"$work/variants/$name/kustomization.yaml"
}
variant dev-monitoring overlays/dev servicemonitor
variant production-all overlays/production mtls servicemonitor

status=0
render() {
  local name=$1 dir=$2
  if "$kubectl" kustomize "$dir" >"$out/$name.yaml" 2>"$work/err"; then
    echo "rendered $name: $(grep -c '^kind:' "$out/$name.yaml") objects"
  else
    echo "FAILED to render $name (${dir#"$work/"}):" >&2
    cat "$work/err" >&2
    status=1
  fi
}
render dev "$work/k8s/overlays/dev"
render production "$work/k8s/overlays/production"
render dev-monitoring "$work/variants/dev-monitoring"
render production-all "$work/variants/production-all"
exit "$status"
