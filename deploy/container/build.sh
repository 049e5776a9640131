#!/usr/bin/env bash
# Builds the gryadka-proposer image from deploy/container/Containerfile (docs/container.md).
#
# Usage: deploy/container/build.sh [--base IMAGE | --debootstrap TAG] [--prebuilt BUILD_DIR]
#                                  [--tag TAG] [--engine podman|docker] [-- BUILD_ARGS...]
#   --base IMAGE      the Debian 12 image every stage starts from
#   --debootstrap TAG make the base with `debootstrap --variant=minbase bookworm` from the apt
#                     mirror of this machine and import it as TAG (kept: reused when TAG exists)
#                     Neither: localhost/debian:bookworm if it exists, else
#                     docker.io/library/debian:bookworm-slim if a pull succeeds within
#                     GRYADKA_PULL_TIMEOUT_S (30), else --debootstrap localhost/debian:bookworm.
#   --prebuilt DIR    take gryadka-proposer and gryadkactl from DIR/bin (a build on Debian 12,
#                     e.g. build/), stripped, instead of compiling them in the image
#   --tag TAG         the image's name (default localhost/gryadka:dev)
#   --engine E        podman or docker (default: podman if installed, else docker)
#   -- ARGS           passed to `ENGINE build` unchanged (e.g. --layers=false)
# Environment: GRYADKA_DEBIAN_MIRROR overrides the mirror debootstrap uses.
# Exits 0 when the image is built, 64 on a usage error, else the failing step's status.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PULL_TIMEOUT_S=${GRYADKA_PULL_TIMEOUT_S:-30}
DEFAULT_BASE_TAG=localhost/debian:bookworm
REGISTRY_BASE=docker.io/library/debian:bookworm-slim

usage() { sed -n '2,20s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
usage_error() {
  echo "build.sh: $*" >&2
  usage >&2
  exit 64
}

base="" debootstrap_tag="" prebuilt="" tag=localhost/gryadka:dev engine="" build_args=()
while (($# > 0)); do
  case $1 in
    --base | --debootstrap | --prebuilt | --tag | --engine)
      (($# >= 2)) || usage_error "$1 needs a value"
      case $1 in
        --base) base=$2 ;;
        --debootstrap) debootstrap_tag=$2 ;;
        --prebuilt) prebuilt=$2 ;;
        --tag) tag=$2 ;;
        --engine) engine=$2 ;;
      esac
      shift
      ;;
    --) shift; build_args=("$@"); break ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
  shift
done
[[ -z $base || -z $debootstrap_tag ]] || usage_error "--base and --debootstrap exclude each other"
if [[ -z $engine ]]; then
  if command -v podman >/dev/null 2>&1; then engine=podman; else engine=docker; fi
fi
[[ $engine == podman || $engine == docker ]] || usage_error "--engine must be podman or docker"
command -v "$engine" >/dev/null 2>&1 || { echo "build.sh: $engine is not installed" >&2; exit 1; }

image_exists() { "$engine" image inspect "$1" >/dev/null 2>&1; }

# Prints the first Debian (not -security) mirror URI in this machine's apt sources.
apt_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    grep -hoE '(^URIs:[[:space:]]*|^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)[a-z]+://[^[:space:]]+' "$f" |
      grep -oE '[a-z]+://[^[:space:]]+' | grep '/debian/*$' | grep -v security || true
  done | head -n 1
}

# make_base TAG: debootstraps a minimal Debian 12 into a temporary directory and imports it.
make_base() {
  local base_tag=$1 mirror rootfs status=0
  image_exists "$base_tag" && return 0
  command -v debootstrap >/dev/null 2>&1 ||
    { echo "build.sh: debootstrap is not installed (apt-get install debootstrap)" >&2; return 1; }
  mirror=${GRYADKA_DEBIAN_MIRROR:-$(apt_mirror)}
  mirror=${mirror:-http://deb.debian.org/debian}
  rootfs=$(mktemp -d "${TMPDIR:-/tmp}/gryadka-rootfs.XXXXXX")
  echo "build.sh: debootstrap --variant=minbase bookworm from $mirror" >&2
  if debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1; then
    # As in Debian's official images: packages installed in a build never start services.
    printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
    chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    # Like Debian's -slim images: no manuals, translations or documentation but the copyright
    # files, neither now nor in packages installed later.
    printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
      'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
      'path-exclude /usr/share/locale/*' >"$rootfs/etc/dpkg/dpkg.cfg.d/gryadka-slim"
    find "$rootfs/usr/share/doc" -type f ! -name copyright -delete
    rm -rf "$rootfs"/usr/share/{man,info,locale}/*
    chmod 0755 "$rootfs"  # mktemp made it 0700: it becomes the image's /
    tar -C "$rootfs" -c . | "$engine" import - "$base_tag" >/dev/null || status=$?
  else
    status=$?
    echo "build.sh: debootstrap failed; last lines of its log:" >&2
    tail -n 20 "$rootfs.log" >&2
  fi
  # --one-file-system: never descend into a /proc or /sys debootstrap may have left mounted.
  rm -rf --one-file-system "$rootfs" "$rootfs.log"
  return "$status"
}

if [[ -n $debootstrap_tag ]]; then
  make_base "$debootstrap_tag"
  base=$debootstrap_tag
elif [[ -z $base ]]; then
  if image_exists "$DEFAULT_BASE_TAG"; then
    base=$DEFAULT_BASE_TAG
  elif timeout "$PULL_TIMEOUT_S" "$engine" pull -q "$REGISTRY_BASE" >/dev/null 2>&1; then
    base=$REGISTRY_BASE
  else
    echo "build.sh: could not pull $REGISTRY_BASE; making $DEFAULT_BASE_TAG" >&2
    make_base "$DEFAULT_BASE_TAG"
    base=$DEFAULT_BASE_TAG
  fi
fi

# The build context: the source tree (tracked and untracked-but-not-ignored files, so no build
# directories), or only prebuilt/ with the two stripped binaries.
context=$(mktemp -d "${TMPDIR:-/tmp}/gryadka-context.XXXXXX")
trap 'rm -rf "$context"' EXIT
if [[ -n $prebuilt ]]; then
  mkdir "$context/prebuilt"
  for binary in gryadka-proposer gryadkactl; do
    [[ -x $prebuilt/bin/$binary ]] ||
      { echo "build.sh: --prebuilt: $prebuilt/bin/$binary not found (build it first)" >&2; exit 1; }
    strip -o "$context/prebuilt/$binary" "$prebuilt/bin/$binary"
  done
  binaries=prebuilt
else
  if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$ROOT" ls-files -z -co --exclude-standard |
      tar -C "$ROOT" -c --null --no-recursion --ignore-failed-read -T - 2>/dev/null |
      tar -C "$context" -x
  else
    tar -C "$ROOT" -c --exclude='./build*' --exclude=./.local . | tar -C "$context" -x
  fi
  binaries=build
fi

echo "build.sh: $engine build $tag (base $base, binaries from the $binaries stage)" >&2
"$engine" build -f "$ROOT/deploy/container/Containerfile" --build-arg "BASE=$base" \
  --build-arg "BINARIES=$binaries" -t "$tag" ${build_args[@]+"${build_args[@]}"} "$context"
