#!/usr/bin/env bash
# One manifest check of deploy/k8s, as the ctest tests k8s_* run it (tests/k8s/CMakeLists.txt):
#   render    every variant renders with `kubectl kustomize` into RENDERED_DIR (render.sh);
#             the other checks read RENDERED_DIR (a ctest fixture renders once for all)
#   schema    every rendered object validates against kubernetes-models (schema.mjs)
#   types     every rendered object type-checks against kubernetes-types with tsc (types.mjs)
#   policy    our rules: resources, probes, securityContext, PDBs, retained PVCs, ... (policy.mjs)
#   flags     the proposer args are flags PROPOSER_BINARY accepts (flags.mjs)
#   start     PROPOSER_BINARY starts with each variant's args and membership (start.mjs)
#   cluster   dev's and production's Redis acceptors (init script, redis.conf, probes, ACL) and
#             proposer run on loopback; gryadkactl (CTL_BINARY) works through it (cluster.mjs)
#   yamllint  yamllint (config .yamllint) over deploy/k8s and tests/k8s
#
# Usage: tests/k8s/check.sh render|schema|types|policy RENDERED_DIR
#        tests/k8s/check.sh flags|start RENDERED_DIR PROPOSER_BINARY
#        tests/k8s/check.sh cluster RENDERED_DIR PROPOSER_BINARY CTL_BINARY
#        tests/k8s/check.sh yamllint
# Exit: 0 pass; 1 fail; 77 skipped: kubectl is not installed (every check but yamllint needs a
# rendering); 64 usage. Node modules come from `npm ci` in tests/k8s (tests/run.sh runs it).
# Environment: GRYADKA_K8S_DIR checks that copy of deploy/k8s (tests/k8s/mutations.sh); KUBECTL.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
check=${1:-}
case $check in
  render | schema | types | policy) (($# == 2)) || check=usage ;;
  flags | start) (($# == 3)) || check=usage ;;
  cluster) (($# == 4)) || check=usage ;;
  yamllint) (($# == 1)) || check=usage ;;
  *) check=usage ;;
esac
if [[ $check == usage ]]; then
  sed -n '2,21s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 64
fi

if [[ $check == yamllint ]]; then
  command -v yamllint >/dev/null 2>&1 ||
    { echo "yamllint not found: install the Debian package yamllint" >&2; exit 1; }
  cd "$root"
  exec yamllint --strict -c .yamllint "${GRYADKA_K8S_DIR:-deploy/k8s}" tests/k8s
fi

rendered=$2
if [[ $check == render ]]; then
  rm -rf "$rendered"
  exec "$here/render.sh" "$rendered"
fi
if ! command -v "${KUBECTL:-kubectl}" >/dev/null 2>&1; then
  echo "SKIPPED: kubectl not found, nothing was rendered (see tests/k8s/render.sh)"
  exit 77
fi
if ! compgen -G "$rendered/*.yaml" >/dev/null; then
  echo "no rendered manifests in $rendered: run the check 'render' first" >&2
  exit 1
fi
command -v node >/dev/null 2>&1 || { echo "node not found: install the Debian package nodejs" >&2; exit 1; }
if [[ ! -d $here/node_modules/kubernetes-models ]]; then
  echo "tests/k8s/node_modules missing: run tests/run.sh, or tests/k8s/npm-ci.sh" >&2
  exit 1
fi
case $check in
  flags | start) exec node "$here/$check.mjs" "$rendered" "$3" ;;
  cluster) exec node "$here/$check.mjs" "$rendered" "$3" "$4" ;;
  *) exec node "$here/$check.mjs" "$rendered" ;;
esac
