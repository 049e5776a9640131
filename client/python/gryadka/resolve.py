"""Expansion of "dns:[//authority/]host:port" targets into one target per address.

Same behaviour as the C++ client's client/resolve.cc: a dns: target is resolved once, when the
Client is created, into "ipv4:A.B.C.D:port" / "ipv6:[addr]:port" targets (sorted, without
duplicates), so keys spread over every address (e.g. every pod behind a Kubernetes headless
Service). A name that does not resolve stays one target that gRPC keeps resolving. Other
targets pass through unchanged; duplicates are dropped, first occurrence kept.
"""

from __future__ import annotations

import socket
from typing import Callable, List, Optional, Sequence, Tuple

#: Resolves (host, port) into per-address target strings; raises OSError on failure.
Resolver = Callable[[str, str], List[str]]


def _parse_dns_target(target: str) -> Optional[Tuple[str, str]]:
    if not target.startswith("dns:"):
        return None
    rest = target[len("dns:"):]
    if rest.startswith("//"):
        slash = rest.find("/", 2)
        if slash < 0:
            return None
        rest = rest[slash + 1:]
    colon = rest.rfind(":")
    if colon <= 0 or colon + 1 == len(rest):
        return None
    host = rest[:colon]
    if len(host) >= 2 and host[0] == "[" and host[-1] == "]":
        host = host[1:-1]
    return host, rest[colon + 1:]


def resolve_with_getaddrinfo(host: str, port: str) -> List[str]:
    """All addresses of ``host`` as gRPC targets with ``port``, sorted and unique."""
    out = set()
    for family, _, _, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        if family == socket.AF_INET:
            out.add(f"ipv4:{sockaddr[0]}:{port}")
        elif family == socket.AF_INET6:
            out.add(f"ipv6:[{sockaddr[0]}]:{port}")
    return sorted(out)


def expand_dns_targets(targets: Sequence[str],
                       resolve: Resolver = resolve_with_getaddrinfo) -> List[str]:
    """Replaces every dns: target by its addresses (see the module docstring)."""
    out: List[str] = []
    seen = set()

    def add(t: str) -> None:
        if t not in seen:
            seen.add(t)
            out.append(t)

    for target in targets:
        parsed = _parse_dns_target(target)
        if parsed is None:
            add(target)
            continue
        try:
            addresses = resolve(*parsed)
        except OSError:
            addresses = []
        if not addresses:
            add(target)
            continue
        for a in addresses:
            add(a)
    return out
