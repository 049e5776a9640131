"""Key affinity: rendezvous (highest-random-weight) hashing of keys over targets.

An exact port of the C++ client's client/rendezvous.{h,cc}: every key ranks all targets by
hash64(key, seed(target)); the first target serves the key and the rest are its failover order.
The hash is a fixed function of bytes (little-endian 8-byte words, splitmix64 finalizer), so a
Python, Node or C++ client routes a key to the same proposer, which keeps that proposer's
one-round-trip cache warm (docs/protocol.md).

Thread-safety: Rendezvous is immutable after construction.
"""

from __future__ import annotations

from typing import List, Sequence, Union

_MASK64 = (1 << 64) - 1


def _mix(z: int) -> int:
    """The splitmix64 finalizer over 64-bit unsigned arithmetic."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def hash64(data: Union[bytes, str], seed: int) -> int:
    """A 64-bit hash of ``data`` (str is hashed as its UTF-8 bytes) under ``seed``."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    h = _mix((seed ^ ((len(data) * 0xFF51AFD7ED558CCD) & _MASK64)) & _MASK64)
    for start in range(0, len(data), 8):
        word = int.from_bytes(data[start:start + 8], "little")
        h = _mix(h ^ _mix(word))
    return _mix(h)


class Rendezvous:
    """Ranks targets for a key. REQUIRES: targets non-empty and without duplicates."""

    def __init__(self, targets: Sequence[str]) -> None:
        if not targets:
            raise ValueError("Rendezvous: at least one target is required")
        if len(set(targets)) != len(targets):
            raise ValueError(f"Rendezvous: duplicate targets in {list(targets)!r}")
        self._targets: List[str] = list(targets)
        self._seeds: List[int] = [hash64(t, 0) for t in self._targets]

    @property
    def targets(self) -> List[str]:
        """The targets, in the order given."""
        return list(self._targets)

    def rank(self, key: Union[bytes, str]) -> List[int]:
        """Indexes into ``targets``, best first: [0] serves ``key``, the rest fail over in order.

        Equal scores (astronomically rare) are ordered by the target string, as in C++.
        """
        scores = [hash64(key, seed) for seed in self._seeds]
        # Highest score first; ties by the smaller target string (std::string operator<, i.e.
        # bytewise, which for UTF-8 equals code point order).
        return sorted(range(len(self._targets)),
                      key=lambda i: (-scores[i], self._targets[i].encode("utf-8")))

    def pick(self, key: Union[bytes, str]) -> int:
        """Same as ``rank(key)[0]``."""
        return self.rank(key)[0]
