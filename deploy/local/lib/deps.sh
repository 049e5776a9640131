# shellcheck shell=bash
# Shared by deploy/local/up.sh and tests/run.sh (source it; it only defines variables and
# functions and changes no shell options):
#   gryadka_ensure_deps        installs the Debian packages that building, testing and running a
#                              local cluster need — only those missing, so it is fast and
#                              offline when everything is present (apt-get update runs only
#                              when something is missing).
#   gryadka_build DIR [TARGET...]
#                              configures DIR with CMake + Ninja (RelWithDebInfo, plus the
#                              array GRYADKA_CMAKE_ARGS if set) if it is not configured yet,
#                              then builds TARGETs (everything when none are given). Ninja is
#                              incremental: a built tree costs ~a second.

GRYADKA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

GRYADKA_APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libhiredis-dev libevent-dev prometheus-cpp-dev
  libgoogle-perftools-dev  # tcmalloc_minimal, the proposer's allocator
  liblua5.1-0-dev
  redis-server redis-tools
  openssl  # tests/integration/tls_integration_test: certificates made at run time
  libgtest-dev libbenchmark-dev
  python3-grpcio python3-protobuf python3-pytest  # client/python and its tests
  clang libclang-rt-14-dev libfuzzer-14-dev  # tests/run.sh --sanitize, the fuzz targets
  yamllint nodejs  # tests/k8s: the manifest checks (kubectl itself is optional: not in Debian)
)
# Optional, not installed by CI: bench/compare/run.sh adds them (etcd to compare against, and
# the .proto files of its gRPC API).
GRYADKA_BENCH_APT_PACKAGES=(etcd-server golang-etcd-server-dev)
# npm is its own Debian package; other nodejs builds (e.g. NodeSource's) bundle it.
command -v npm >/dev/null 2>&1 || GRYADKA_APT_PACKAGES+=(npm)

# Prints the packages of GRYADKA_APT_PACKAGES that are not installed, one per line.
gryadka_missing_packages() {
  local package status
  for package in "${GRYADKA_APT_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    [[ $status == installed ]] || echo "$package"
  done
}

gryadka_ensure_deps() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps: dpkg-query not found (not Debian?); make sure these are installed:" \
      "${GRYADKA_APT_PACKAGES[*]}" >&2
    return 0
  fi
  local missing
  mapfile -t missing < <(gryadka_missing_packages)
  ((${#missing[@]} == 0)) && return 0
  echo "deps: installing missing packages: ${missing[*]}" >&2
  local sudo=()
  if ((EUID != 0)); then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "deps: missing packages and not root. As root run:" >&2
      echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
      return 1
    fi
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q || return
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
}

gryadka_build() {
  local build_dir=$1
  shift
  if [[ ! -f $build_dir/CMakeCache.txt ]]; then
    cmake -S "$GRYADKA_ROOT" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      ${GRYADKA_CMAKE_ARGS[@]+"${GRYADKA_CMAKE_ARGS[@]}"} || return
  fi
  if (($# > 0)); then
    cmake --build "$build_dir" --target "$@"
  else
    cmake --build "$build_dir"
  fi
}
