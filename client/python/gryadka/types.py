"""Result and option types of the gryadka Python client (plain dataclasses, not protos)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

import grpc


@dataclass(frozen=True)
class Record:
    """The state of one key. ``version`` 0 means absent (then ``value`` is b"")."""

    value: bytes = b""
    version: int = 0


@dataclass(frozen=True)
class GetResult:
    """Answer of Client.get: ``found`` is False for an absent key (record version 0)."""

    found: bool
    record: Record


@dataclass(frozen=True)
class ChangeResult:
    """Answer of a change. ``applied`` False means the precondition did not hold (a decline,
    not an error); ``record`` is then the current, unchanged state and ``decline_reason`` says
    why when the server sends a reason (empty otherwise)."""

    applied: bool
    record: Record
    decline_reason: str = ""


@dataclass(frozen=True)
class IncrementResult(ChangeResult):
    """Answer of Client.increment: ``value`` is the counter after the call (meaningless when
    not applied)."""

    value: int = 0


@dataclass(frozen=True)
class ChangeQueryResult:
    """Answer of Client.change_query: ``result`` is a Record (RecordQuery), an int
    (VersionQuery) or None (NoneQuery)."""

    applied: bool
    result: Union[Record, int, None]
    decline_reason: str = ""


@dataclass(frozen=True)
class TlsOptions:
    """TLS for every channel, as the C++ client's TlsOptions (client/tls_options.h).

    ca_file: PEM CAs trusted to sign the proposers' certificates (None = system roots).
    cert_file, key_file: PEM client chain and key for mutual TLS; both or neither.
    server_name: name checked in the proposer's certificate instead of the target's host.
    """

    ca_file: Optional[str] = None
    cert_file: Optional[str] = None
    key_file: Optional[str] = None
    server_name: Optional[str] = None


class GryadkaError(Exception):
    """A failed call: ``code`` is the gRPC status code (grpc.StatusCode), ``details`` the
    server's message, ``target`` the proposer that answered last, ``attempts`` how many times
    the call was sent. Codes are documented in proto/gryadka/v1/kv.proto."""

    def __init__(self, code: grpc.StatusCode, details: str, target: str = "",
                 attempts: int = 0) -> None:
        self.code = code
        self.details = details
        self.target = target
        self.attempts = attempts
        where = f" [target {target}, attempt {attempts}]" if target else ""
        super().__init__(f"{code.name}: {details}{where}")
