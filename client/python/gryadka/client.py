"""gryadka.Client: a thin, synchronous Python client of the gryadka.v1.KV service.

Behaves like the C++ client (client/client.h):

* Results are dataclasses (gryadka.types). A precondition that does not hold (stale CAS
  version, increment of a non-integer, put_if_absent on a present key) is a result with
  ``applied=False`` and the current record, never an exception.
* Errors raise GryadkaError carrying the gRPC status code (INVALID_ARGUMENT, UNAVAILABLE,
  DEADLINE_EXCEEDED, ABORTED, ... as documented in proto/gryadka/v1/kv.proto).
* Key affinity: with several targets each key goes to one proposer chosen by rendezvous
  hashing (gryadka.rendezvous, identical to the C++ client), failing over to the key's next
  target on UNAVAILABLE. A "dns:///name:port" target is resolved once, at construction, into
  one target per address.
* Retries: only what gryadka.retry allows (changes only when nothing was written), at most
  1 + retry_attempts_max attempts with jittered exponential backoff, all within the call's one
  deadline (``deadline_ms``, default ``default_deadline_ms`` = 5000).

Thread-safety: a Client may be shared by threads (grpc channels are thread-safe; the client
keeps no other mutable state except its random source, used under a lock). Close it (or use it
as a context manager) to release the channels.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any, Callable, List, Optional, Sequence, Union

import grpc

from gryadka import _gen  # noqa: F401  (clear error when the stubs were not generated)
from gryadka._gen import health_pb2, health_pb2_grpc, kv_pb2, kv_pb2_grpc
from gryadka.rendezvous import Rendezvous
from gryadka.resolve import Resolver, expand_dns_targets, resolve_with_getaddrinfo
from gryadka.retry import backoff_ms, is_retryable, nothing_written
from gryadka.types import (ChangeQueryResult, ChangeResult, GetResult, GryadkaError,
                           IncrementResult, Record, TlsOptions)

Bytesish = Union[bytes, str]

#: Largest accepted per-call deadline, in milliseconds (one day), like the C++ client.
DEADLINE_MS_MAX = 24 * 60 * 60 * 1000
#: The least time a connection attempt to a proposer is given, in milliseconds, as in the C++
#: client (docs/clients.md).
CONNECT_ATTEMPT_MIN_MS = 1000


def _to_bytes(value: Bytesish, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(f"{what} must be bytes or str, got {type(value).__name__}")


def _record(proto: Any) -> Record:
    return Record(value=bytes(proto.value), version=int(proto.version))


def _decline_reason(response: Any) -> str:
    # Typed responses gain decline_reason in a later API change; read it when present.
    return str(getattr(response, "decline_reason", "") or "")


def _read_file(path: Optional[str], field: str) -> Optional[bytes]:
    if not path:
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ValueError(f"TlsOptions.{field}: cannot read {path}: {e.strerror}") from e


class Client:
    """A client of one Gryadka cluster (a list of proposers)."""

    def __init__(self, targets: Union[str, Sequence[str]], *,
                 tls: Optional[TlsOptions] = None,
                 default_deadline_ms: int = 5000,
                 retry_attempts_max: int = 3,
                 retry_backoff_initial_ms: int = 20,
                 retry_backoff_max_ms: int = 1000,
                 max_message_bytes: int = 4 * 1024 * 1024,
                 reconnect_backoff_max_ms: int = 2000,
                 resolver: Resolver = resolve_with_getaddrinfo) -> None:
        """Creates one channel per target.

        targets: "host:port", gRPC target URIs ("ipv4:...", "unix:..."), or
            "dns:///name:port" (expanded to every address of name). One string or a list.
        tls: TLS for every channel; None = plaintext.
        default_deadline_ms: deadline of a call (all its attempts) when the call sets none.
        retry_attempts_max: how many times a failed call may be resent (0 = never).
        retry_backoff_initial_ms, retry_backoff_max_ms: backoff before retry n is uniform in
            [cap/2, cap], cap = min(max, initial * 2**n).
        max_message_bytes: largest request or response message.
        reconnect_backoff_max_ms: bound of gRPC's reconnect backoff toward a lost target.
        Raises ValueError naming the bad argument.
        """
        if isinstance(targets, str):
            targets = [targets]
        if not targets or any(not isinstance(t, str) or not t for t in targets):
            raise ValueError(f"Client: targets must be non-empty strings, got {targets!r}")
        if not 0 < default_deadline_ms <= DEADLINE_MS_MAX:
            raise ValueError(f"Client: default_deadline_ms={default_deadline_ms}, must be in "
                             f"1..{DEADLINE_MS_MAX}")
        if retry_attempts_max < 0:
            raise ValueError(f"Client: retry_attempts_max={retry_attempts_max}, must be >= 0")
        if not 0 < retry_backoff_initial_ms <= retry_backoff_max_ms:
            raise ValueError("Client: need 0 < retry_backoff_initial_ms <= retry_backoff_max_ms, "
                             f"got {retry_backoff_initial_ms} and {retry_backoff_max_ms}")
        self._default_deadline_ms = default_deadline_ms
        self._retry_attempts_max = retry_attempts_max
        self._backoff_initial_ms = retry_backoff_initial_ms
        self._backoff_max_ms = retry_backoff_max_ms
        self._max_message_bytes = max_message_bytes
        self._rng = random.Random()
        self._rng_lock = threading.Lock()
        expanded = expand_dns_targets(list(targets), resolver)
        self._rendezvous = Rendezvous(expanded)
        options = [("grpc.max_send_message_length", max_message_bytes),
                   ("grpc.max_receive_message_length", max_message_bytes),
                   ("grpc.max_reconnect_backoff_ms", reconnect_backoff_max_ms),
                   # the least time a connection attempt is given (docs/clients.md)
                   ("grpc.min_reconnect_backoff_ms", CONNECT_ATTEMPT_MIN_MS)]
        credentials = None
        if tls is not None:
            if bool(tls.cert_file) != bool(tls.key_file):
                raise ValueError("TlsOptions: cert_file and key_file go together (both or neither)")
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read_file(tls.ca_file, "ca_file"),
                private_key=_read_file(tls.key_file, "key_file"),
                certificate_chain=_read_file(tls.cert_file, "cert_file"))
            if tls.server_name:
                options.append(("grpc.ssl_target_name_override", tls.server_name))
        self._channels: List[grpc.Channel] = []
        for t in expanded:
            if credentials is None:
                self._channels.append(grpc.insecure_channel(t, options=options))
            else:
                self._channels.append(grpc.secure_channel(t, credentials, options=options))
        self._kv = [kv_pb2_grpc.KVStub(c) for c in self._channels]
        self._health = [health_pb2_grpc.HealthStub(c) for c in self._channels]

    # ---- lifecycle ----

    def close(self) -> None:
        """Closes every channel. The client must not be used afterwards."""
        for c in self._channels:
            c.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def targets(self) -> List[str]:
        """The targets after dns: expansion, in the order given."""
        return self._rendezvous.targets

    def target_for(self, key: str) -> str:
        """The proposer that serves ``key`` while it is available (its rendezvous choice)."""
        return self._rendezvous.targets[self._rendezvous.pick(key)]

    # ---- typed calls ----

    def get(self, key: str, *, deadline_ms: Optional[int] = None) -> GetResult:
        """Reads ``key``; an absent key is ``found=False`` with version 0."""
        request = kv_pb2.GetRequest(key=key)
        response = self._run(key, True, deadline_ms, request, lambda s: s.Get)
        return GetResult(found=response.found, record=_record(response.record))

    def put(self, key: str, value: Bytesish, *, deadline_ms: Optional[int] = None) -> ChangeResult:
        """Sets the value unconditionally (always applied)."""
        request = kv_pb2.PutRequest(key=key, value=_to_bytes(value, "value"))
        response = self._run(key, False, deadline_ms, request, lambda s: s.Put)
        return ChangeResult(applied=True, record=_record(response.record))

    def compare_and_set(self, key: str, expected_version: int, value: Bytesish, *,
                        deadline_ms: Optional[int] = None) -> ChangeResult:
        """Sets the value only if the version equals ``expected_version`` (0 = absent)."""
        request = kv_pb2.CompareAndSetRequest(key=key, expected_version=expected_version,
                                              value=_to_bytes(value, "value"))
        response = self._run(key, False, deadline_ms, request, lambda s: s.CompareAndSet)
        return ChangeResult(applied=response.applied, record=_record(response.record),
                            decline_reason=_decline_reason(response))

    def increment(self, key: str, delta: int = 1, *,
                  deadline_ms: Optional[int] = None) -> IncrementResult:
        """Adds ``delta`` to the value read as a decimal int64 (absent = 0). Declines when the
        value is not a decimal int64 or the sum would overflow."""
        request = kv_pb2.IncrementRequest(key=key, delta=delta)
        response = self._run(key, False, deadline_ms, request, lambda s: s.Increment)
        return IncrementResult(applied=response.applied, record=_record(response.record),
                               decline_reason=_decline_reason(response), value=response.value)

    def delete(self, key: str, expected_version: Optional[int] = None, *,
               deadline_ms: Optional[int] = None) -> ChangeResult:
        """Makes the key absent; with ``expected_version``, only if the version equals it."""
        request = kv_pb2.DeleteRequest(key=key)
        if expected_version is not None:
            request.expected_version = expected_version
        response = self._run(key, False, deadline_ms, request, lambda s: s.Delete)
        return ChangeResult(applied=response.applied, record=_record(response.record),
                            decline_reason=_decline_reason(response))

    def put_if_absent(self, key: str, value: Bytesish, *,
                      deadline_ms: Optional[int] = None) -> ChangeResult:
        """Sets the value only if the key is absent (over ChangeQuery)."""
        op = kv_pb2.ChangeOp(put_if_absent=kv_pb2.PutIfAbsentOp(value=_to_bytes(value, "value")))
        return self._change_record(key, op, deadline_ms)

    def append(self, key: str, suffix: Bytesish, *,
               deadline_ms: Optional[int] = None) -> ChangeResult:
        """Appends ``suffix`` to the value (absent = empty) (over ChangeQuery)."""
        op = kv_pb2.ChangeOp(append=kv_pb2.AppendOp(suffix=_to_bytes(suffix, "suffix")))
        return self._change_record(key, op, deadline_ms)

    # ---- generic call ----

    def change_query(self, key: str, change: Any, query: Any = None, *,
                     deadline_ms: Optional[int] = None) -> ChangeQueryResult:
        """Applies one registered change op (a ``gryadka.pb.ChangeOp``) and answers one query op
        (a ``gryadka.pb.QueryOp``; None = the whole record) on the new state."""
        if query is None:
            query = kv_pb2.QueryOp(record=kv_pb2.RecordQuery())
        request = kv_pb2.ChangeQueryRequest(key=key, change=change, query=query)
        is_read = change.WhichOneof("op") == "read"
        response = self._run(key, is_read, deadline_ms, request, lambda s: s.ChangeQuery)
        which = response.result.WhichOneof("result")
        result: Union[Record, int, None] = None
        if which == "record":
            result = _record(response.result.record)
        elif which == "version":
            result = int(response.result.version)
        return ChangeQueryResult(applied=response.applied, result=result,
                                 decline_reason=response.decline_reason)

    # ---- health ----

    def health(self, target: str, service: str = "gryadka.v1.KV", *,
               deadline_ms: Optional[int] = None) -> str:
        """grpc.health.v1 status of ``service`` at one of ``targets``: "SERVING",
        "NOT_SERVING", ... Services: "" and "gryadka.v1.KV" (ready), "gryadka.v1.KV.liveness".
        Raises GryadkaError on an RPC failure, ValueError for an unknown target."""
        try:
            index = self._rendezvous.targets.index(target)
        except ValueError:
            raise ValueError(f"health: {target!r} is not one of {self.targets!r}") from None
        timeout_s = (deadline_ms or self._default_deadline_ms) / 1000.0
        try:
            response = self._health[index].Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout_s)
        except grpc.RpcError as e:
            raise GryadkaError(e.code(), e.details() or "", target, 1) from None
        return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)

    # ---- internals ----

    def _change_record(self, key: str, op: Any, deadline_ms: Optional[int]) -> ChangeResult:
        r = self.change_query(key, op, deadline_ms=deadline_ms)
        record = r.result if isinstance(r.result, Record) else Record()
        return ChangeResult(applied=r.applied, record=record, decline_reason=r.decline_reason)

    def _deadline(self, deadline_ms: Optional[int]) -> float:
        if deadline_ms is None or deadline_ms == 0:
            deadline_ms = self._default_deadline_ms
        if not 0 < deadline_ms <= DEADLINE_MS_MAX:
            raise ValueError(f"deadline_ms={deadline_ms}, must be in 0..{DEADLINE_MS_MAX} "
                             "(0 or None = the default)")
        return time.monotonic() + deadline_ms / 1000.0

    def _validate(self, key: str, request: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"key must be str, got {type(key).__name__}")
        if not key:
            raise GryadkaError(grpc.StatusCode.INVALID_ARGUMENT, "the key is empty")
        size = request.ByteSize()
        if size > self._max_message_bytes:
            raise GryadkaError(grpc.StatusCode.INVALID_ARGUMENT,
                               f"the request is {size} bytes, over max_message_bytes="
                               f"{self._max_message_bytes}; the proposer's own limits are its "
                               "--max_value_bytes and --max_key_bytes")

    def _pause_ms(self, retry_index: int) -> int:
        with self._rng_lock:
            return backoff_ms(retry_index, self._backoff_initial_ms, self._backoff_max_ms,
                              self._rng)

    def _run(self, key: str, is_read: bool, deadline_ms: Optional[int], request: Any,
             method: Callable[[kv_pb2_grpc.KVStub], Any]) -> Any:
        """Sends ``request`` along the key's ranking with the retry rule; returns the response
        or raises GryadkaError."""
        self._validate(key, request)
        deadline = self._deadline(deadline_ms)
        ranking = self._rendezvous.rank(key)
        tried = [False] * len(ranking)
        attempts_max = 1 + self._retry_attempts_max
        position = 0
        pauses = 0
        attempt = 0
        while True:
            attempt += 1
            index = ranking[position]
            tried[position] = True
            target = self._rendezvous.targets[index]
            remaining_s = deadline - time.monotonic()
            if remaining_s <= 0:
                raise GryadkaError(grpc.StatusCode.DEADLINE_EXCEEDED,
                                   "the deadline passed before the call was sent", target, attempt)
            try:
                return method(self._kv[index])(request, timeout=remaining_s)
            except grpc.RpcError as e:
                code, details = e.code(), e.details() or ""
                trailers = e.trailing_metadata() if hasattr(e, "trailing_metadata") else None
                written_nothing = nothing_written(code, details, trailers)
                if attempt >= attempts_max or not is_retryable(code, is_read, written_nothing):
                    raise GryadkaError(code, details, target, attempt) from None
                if code == grpc.StatusCode.UNAVAILABLE:
                    position = (position + 1) % len(ranking)  # the key's next target
                if tried[position]:  # an untried target is sent to at once
                    pause_s = self._pause_ms(pauses) / 1000.0
                    pauses += 1
                    if time.monotonic() + pause_s >= deadline:
                        raise GryadkaError(code, details, target, attempt) from None
                    time.sleep(pause_s)


