"""The Python port of rendezvous hashing routes every key exactly like the C++ client.

GOLDEN_RANKS was printed by a small program calling gryadka::client::Rendezvous::Rank
(client/rendezvous.cc) for these targets and keys; the pinned Hash64 values are the ones of
tests/client/rendezvous_test.cc. If the C++ hash changes on purpose, regenerate both.
"""

import grpc
import pytest

from gryadka.rendezvous import Rendezvous, hash64
from gryadka.resolve import expand_dns_targets
from gryadka.retry import backoff_ms, is_retryable, nothing_written

TARGET_SETS = [
    ["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"],
    ["127.0.0.1:7001", "127.0.0.1:7002"],
    ["ipv4:10.1.2.3:8080", "ipv4:10.1.2.4:8080", "ipv6:[fd00::7]:8080", "dns:///kv.example:8080"],
]

GOLDEN_RANKS = [
    (0, "", [0, 1, 2]),
    (0, "a", [0, 1, 2]),
    (0, "greeting", [2, 0, 1]),
    (0, "user:1", [1, 0, 2]),
    (0, "user:42", [0, 2, 1]),
    (0, "a key longer than eight bytes", [2, 1, 0]),
    (0, "ключ", [0, 1, 2]),
    (0, "sixteen-bytes-ok", [0, 1, 2]),
    (0, "k", [0, 2, 1]),
    (1, "", [0, 1]),
    (1, "a", [1, 0]),
    (1, "greeting", [0, 1]),
    (1, "user:1", [1, 0]),
    (1, "user:42", [0, 1]),
    (1, "a key longer than eight bytes", [0, 1]),
    (1, "ключ", [0, 1]),
    (1, "sixteen-bytes-ok", [0, 1]),
    (1, "k", [1, 0]),
    (2, "", [3, 1, 2, 0]),
    (2, "a", [2, 1, 3, 0]),
    (2, "greeting", [2, 0, 1, 3]),
    (2, "user:1", [1, 2, 0, 3]),
    (2, "user:42", [1, 2, 0, 3]),
    (2, "a key longer than eight bytes", [3, 1, 0, 2]),
    (2, "ключ", [1, 2, 3, 0]),
    (2, "sixteen-bytes-ok", [3, 2, 1, 0]),
    (2, "k", [0, 2, 3, 1]),
]


def test_hash64_equals_the_pinned_cpp_values():
    assert hash64("", 0) == 0xA706DD2F4D197E6F
    assert hash64("greeting", 0) == 0x0B5A2D2C18DF75F5
    assert hash64("a key longer than eight bytes", 42) == 0xED6A6EFAF5B0239D
    assert hash64("user:7", 12345) == 0x7C1B414AD68BEE42
    assert hash64("a", 0) != hash64("a\0", 0)  # length matters


@pytest.mark.parametrize("set_index,key,expected", GOLDEN_RANKS)
def test_rank_equals_the_cpp_clients_rank(set_index, key, expected):
    r = Rendezvous(TARGET_SETS[set_index])
    assert r.rank(key) == expected
    assert r.pick(key) == expected[0]


def test_rendezvous_rejects_empty_and_duplicate_targets():
    with pytest.raises(ValueError, match="at least one"):
        Rendezvous([])
    with pytest.raises(ValueError, match="duplicate"):
        Rendezvous(["a:1", "a:1"])


def test_dns_target_expands_to_every_address_and_others_pass_through():
    def resolve(host, port):
        assert (host, port) == ("kv.example", "8080")
        return ["ipv4:10.0.0.1:8080", "ipv4:10.0.0.2:8080"]

    assert expand_dns_targets(["dns:///kv.example:8080", "h:1", "ipv4:10.0.0.1:8080"],
                              resolve) == ["ipv4:10.0.0.1:8080", "ipv4:10.0.0.2:8080", "h:1"]


def test_dns_name_that_does_not_resolve_stays_one_target():
    def resolve(host, port):
        raise OSError("no such host")

    assert expand_dns_targets(["dns:///nowhere.invalid:1"], resolve) == ["dns:///nowhere.invalid:1"]


def test_changes_are_retried_only_when_nothing_was_written():
    u = grpc.StatusCode.UNAVAILABLE
    marked = nothing_written(u, "no quorum", [("gryadka-nothing-written", "1")])
    unmarked = nothing_written(u, "connection reset", [])
    assert marked and not unmarked
    assert nothing_written(u, "failed to connect to all addresses; last error: ...", None)
    assert is_retryable(u, is_read=False, was_nothing_written=True)
    assert not is_retryable(u, is_read=False, was_nothing_written=False)
    assert is_retryable(u, is_read=True, was_nothing_written=False)
    for code in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED):
        assert not is_retryable(code, is_read=False, was_nothing_written=True)
        assert is_retryable(code, is_read=True, was_nothing_written=False)
    assert not is_retryable(grpc.StatusCode.INVALID_ARGUMENT, True, True)


def test_backoff_stays_within_half_cap_and_cap():
    class Fixed:
        def __init__(self, v):
            self.v = v

        def randint(self, lo, hi):
            return lo if self.v == "lo" else hi

    assert backoff_ms(0, 20, 1000, Fixed("lo")) == 10
    assert backoff_ms(0, 20, 1000, Fixed("hi")) == 20
    assert backoff_ms(3, 20, 1000, Fixed("hi")) == 160
    assert backoff_ms(30, 20, 1000, Fixed("lo")) == 500
    assert backoff_ms(30, 20, 1000, Fixed("hi")) == 1000
