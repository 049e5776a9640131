# shellcheck shell=bash
# Sourced by tests/run.sh --container (after deploy/local/lib/deps.sh):
#   gryadka_container_test BUILD_DIR
#       builds gryadka-proposer and gryadkactl in BUILD_DIR, installs podman, runc and
#       debootstrap if missing, and runs tests/container/run.sh with those binaries. Returns its
#       status; when the packages cannot be installed it prints why and returns 0 (skipped).

gryadka_container_test() {
  local build_dir=$1
  # gryadka_ensure_deps installs exactly the packages named here (dynamic scope).
  # shellcheck disable=SC2034
  local GRYADKA_APT_PACKAGES=(podman runc debootstrap)
  if ! gryadka_ensure_deps; then
    echo "tests/run.sh --container: SKIPPED: podman, runc and debootstrap are not installed and" \
      "could not be installed (the reason is above)" >&2
    return 0
  fi
  gryadka_build "$build_dir" gryadka-proposer gryadkactl || return
  GRYADKA_BUILD_DIR=$build_dir "$GRYADKA_ROOT/tests/container/run.sh"
}
