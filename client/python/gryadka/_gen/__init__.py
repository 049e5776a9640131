"""Generated protobuf and gRPC stubs (kv, grpc.health.v1, grpc.reflection.v1alpha).

The modules here are produced by ``client/python/generate_stubs.sh`` and are not in git; they
live under ``gryadka._gen`` so that nothing shadows grpcio's top-level ``grpc`` module.
"""

import importlib.util as _util

if _util.find_spec("gryadka._gen.kv_pb2") is None:  # pragma: no cover - only without stubs
    raise ImportError(
        "gryadka: generated stubs are missing; run client/python/generate_stubs.sh "
        "(needs protoc and grpc_python_plugin) before using or installing the package")
