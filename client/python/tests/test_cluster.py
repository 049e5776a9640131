"""The Python client against a real local cluster (redis-server acceptors, gryadka-proposer)."""

import uuid

import grpc
import pytest

from cluster import Cluster
from gryadka import Client, GryadkaError, Record, pb
from gryadka._gen import reflection_pb2, reflection_pb2_grpc


def fresh_key(prefix: str) -> str:
    return f"{prefix}:{uuid.uuid4().hex}"


def test_put_then_get_returns_the_value_and_version_one(kv):
    key = fresh_key("put")
    put = kv.put(key, b"hello")
    assert put.applied and put.record == Record(b"hello", 1)
    got = kv.get(key)
    assert got.found and got.record == Record(b"hello", 1)


def test_get_of_an_absent_key_is_not_found_with_version_zero(kv):
    got = kv.get(fresh_key("absent"))
    assert not got.found and got.record.version == 0


def test_compare_and_set_with_a_stale_version_declines_and_returns_the_current_record(kv):
    key = fresh_key("cas")
    kv.put(key, "v1")
    first = kv.compare_and_set(key, 1, b"v2")
    assert first.applied and first.record == Record(b"v2", 2)
    conflict = kv.compare_and_set(key, 1, b"lost")  # another writer already moved it to 2
    assert not conflict.applied
    assert conflict.record == Record(b"v2", 2)
    assert conflict.decline_reason == "version is 2, expected 1"
    assert first.decline_reason == ""
    assert kv.get(key).record == Record(b"v2", 2)


def test_increment_counts_from_absent_and_declines_on_a_non_integer(kv):
    key = fresh_key("counter")
    assert kv.increment(key, 5).value == 5
    second = kv.increment(key, -2)
    assert second.applied and second.value == 3 and second.record == Record(b"3", 2)
    text = fresh_key("text")
    kv.put(text, b"not a number")
    declined = kv.increment(text, 1)
    assert not declined.applied and declined.record == Record(b"not a number", 1)
    assert declined.decline_reason == "value is not a decimal int64"


def test_delete_with_a_stale_expected_version_declines_and_keeps_the_key(kv):
    key = fresh_key("delete")
    kv.put(key, b"a")
    kv.put(key, b"b")
    stale = kv.delete(key, expected_version=1)
    assert not stale.applied and stale.record == Record(b"b", 2)
    assert stale.decline_reason == "version is 2, expected 1"
    assert kv.get(key).found
    done = kv.delete(key, expected_version=2)
    assert done.applied and done.record.version == 0
    assert not kv.get(key).found


def test_put_if_absent_append_and_change_query_go_through_the_generic_call(kv):
    key = fresh_key("generic")
    assert kv.put_if_absent(key, b"x").applied
    again = kv.put_if_absent(key, b"y")
    assert not again.applied and again.record == Record(b"x", 1)
    assert again.decline_reason  # ChangeQueryResponse carries the reason
    assert kv.append(key, b"yz").record == Record(b"xyz", 2)
    version = kv.change_query(key, pb.ChangeOp(read=pb.ReadOp()),
                              pb.QueryOp(version=pb.VersionQuery()))
    assert version.applied and version.result == 2


def test_an_empty_key_is_invalid_argument_before_anything_is_sent(kv):
    with pytest.raises(GryadkaError) as e:
        kv.get("")
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_health_reports_serving_for_ready_and_liveness_services(cluster, kv):
    target = cluster.targets[0]
    for service in ("", "gryadka.v1.KV", "gryadka.v1.KV.liveness"):
        assert kv.health(target, service) == "SERVING"


def test_reflection_lists_the_kv_and_health_services(cluster):
    with grpc.insecure_channel(cluster.targets[0]) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        responses = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
    names = {s.name for s in responses[0].list_services_response.service}
    assert "gryadka.v1.KV" in names
    assert "grpc.health.v1.Health" in names


def test_two_of_three_redis_stopped_is_unavailable_after_bounded_retries():
    c = Cluster(acceptors=3, proposers=1)
    try:
        with Client(c.targets, retry_attempts_max=2, default_deadline_ms=5000) as client:
            key = fresh_key("quorum")
            client.put(key, b"before")
            c.stop_redis(0)
            c.stop_redis(1)
            for call in (lambda: client.put(key, b"after"), lambda: client.get(key)):
                with pytest.raises(GryadkaError) as e:
                    call()
                assert e.value.code == grpc.StatusCode.UNAVAILABLE, str(e.value)
                assert e.value.attempts == 3  # nothing written: the change was retried too
    finally:
        c.close()


def test_keys_go_to_their_rendezvous_proposer_and_fail_over_when_it_stops():
    c = Cluster(acceptors=3, proposers=2)
    try:
        keys = [f"affinity:{i}" for i in range(40)]
        with Client(c.targets) as client:
            served_by = {k: client.target_for(k) for k in keys}
            assert set(served_by.values()) == set(c.targets)  # both proposers get keys
            for k in keys:
                client.put(k, k)
        c.stop_proposer(0)
        stopped = c.targets[0]
        # Without retries a call reaches only the key's first choice: exactly the keys of the
        # stopped proposer fail, which shows the routing the client computed is the one used.
        with Client(c.targets, retry_attempts_max=0, default_deadline_ms=3000) as pinned:
            for k in keys:
                if served_by[k] == stopped:
                    with pytest.raises(GryadkaError) as e:
                        pinned.get(k)
                    assert e.value.code == grpc.StatusCode.UNAVAILABLE
                    assert e.value.target == stopped
                else:
                    assert pinned.get(k).record.value == k.encode()
        # With retries the stopped proposer's keys fail over to the other one.
        with Client(c.targets, default_deadline_ms=5000) as client:
            for k in keys:
                assert client.put(k, b"moved").applied
    finally:
        c.close()


def test_quickstart_example_runs_against_the_cluster(cluster):
    import os
    import pathlib
    import subprocess
    import sys

    script = pathlib.Path(__file__).resolve().parent.parent / "examples" / "quickstart.py"
    root = str(script.parent.parent)
    done = subprocess.run([sys.executable, str(script), *cluster.targets], capture_output=True,
                          text=True, timeout=30, env={**os.environ, "PYTHONPATH": root})
    assert done.returncode == 0, done.stderr
    assert "stale    False Record(value=b'hello, world', version=2)" in done.stdout
    assert "INVALID_ARGUMENT" in done.stdout
