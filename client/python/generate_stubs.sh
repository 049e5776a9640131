#!/usr/bin/env bash
# Generates the Python protobuf/gRPC stubs of the gryadka Python client into gryadka/_gen/.
#
# Uses the system protoc and grpc_python_plugin (Debian: protobuf-compiler,
# protobuf-compiler-grpc), because python3-grpc-tools' bundled protoc is too old for kv.proto's
# `optional` fields. Sources: proto/gryadka/v1/kv.proto of this repository, and grpc.health.v1
# and grpc.reflection.v1alpha from the grpc-proto package (GRYADKA_GRPC_PROTO_DIR overrides
# where they are; default: <grpc++'s pkg-config prefix>/share/grpc-proto).
#
# The generated modules are flattened into gryadka/_gen/ (kv_pb2.py, health_pb2.py, ...) and
# their cross-imports rewritten to `from gryadka._gen import ...`, so nothing is ever generated
# under a top-level `grpc` package (which would shadow grpcio's `grpc` module). The .proto file
# names inside the descriptors stay the canonical ones.
#
# Usage: client/python/generate_stubs.sh   (idempotent; about a second). Exit 1 on failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# grpc-proto lives under the prefix gRPC was installed to (the CMake build passes the directory it
# found as GRYADKA_GRPC_PROTO_DIR).
grpc_proto=${GRYADKA_GRPC_PROTO_DIR:-$(pkg-config --variable=prefix grpc++ 2>/dev/null)/share/grpc-proto}
[ -f "$grpc_proto/grpc/health/v1/health.proto" ] || {
  echo "generate_stubs: grpc/health/v1/health.proto not found under \"$grpc_proto\" (apt-get install grpc-proto, or set GRYADKA_GRPC_PROTO_DIR)" >&2
  exit 1
}
out="$here/gryadka/_gen"

for tool in protoc grpc_python_plugin; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "generate_stubs: $tool not found (apt-get install protobuf-compiler protobuf-compiler-grpc)" >&2
    exit 1
  }
done
for f in "$repo/proto/gryadka/v1/kv.proto" "$grpc_proto/grpc/health/v1/health.proto" \
         "$grpc_proto/grpc/reflection/v1alpha/reflection.proto"; do
  [[ -f $f ]] || { echo "generate_stubs: $f not found (apt-get install grpc-proto)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
protoc --proto_path="$repo/proto" --proto_path="$grpc_proto" \
  --python_out="$tmp" --grpc_out="$tmp" \
  --plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" \
  gryadka/v1/kv.proto grpc/health/v1/health.proto grpc/reflection/v1alpha/reflection.proto

mkdir -p "$out"
for f in "$tmp"/gryadka/v1/*.py "$tmp"/grpc/health/v1/*.py "$tmp"/grpc/reflection/v1alpha/*.py; do
  sed -E 's/^from (gryadka\.v1|grpc\.health\.v1|grpc\.reflection\.v1alpha) import /from gryadka._gen import /' \
    "$f" > "$tmp/rewritten.py"
  mv "$tmp/rewritten.py" "$out/$(basename "$f")"
done
