#!/usr/bin/env python3
"""Quickstart for the gryadka Python client (docs/clients.md, "Python").

Run against a local cluster (deploy/local/up.sh prints its proposer addresses):

    python3 client/python/examples/quickstart.py 127.0.0.1:8080 127.0.0.1:8081

Targets may also be one "dns:///name:port" (every address of the name is used).
"""

import sys

import grpc

from gryadka import Client, GryadkaError, pb


def main(targets):
    with Client(targets, default_deadline_ms=5000) as kv:
        key = "quickstart:greeting"
        kv.delete(key)  # start from an absent key

        put = kv.put(key, b"hello")
        print("put     ", put.record)                     # Record(value=b'hello', version=1)

        got = kv.get(key)
        print("get     ", got.found, got.record)

        # Optimistic concurrency: CAS against the version we read.
        cas = kv.compare_and_set(key, got.record.version, b"hello, world")
        print("cas     ", cas.applied, cas.record)
        stale = kv.compare_and_set(key, got.record.version, b"lost update")
        print("stale   ", stale.applied, stale.record)    # a decline is a result, not an error

        counter = kv.increment("quickstart:visits", 1)
        print("counter ", counter.value)

        first = kv.put_if_absent("quickstart:owner", b"me")
        print("claim   ", first.applied, first.decline_reason or "")

        version = kv.change_query(key, pb.ChangeOp(read=pb.ReadOp()),
                                  pb.QueryOp(version=pb.VersionQuery()))
        print("version ", version.result)

        declined = kv.delete(key, expected_version=1)
        print("delete@1", declined.applied, declined.record)
        print("delete  ", kv.delete(key).applied)

        try:
            kv.get("")
        except GryadkaError as e:
            assert e.code == grpc.StatusCode.INVALID_ARGUMENT
            print("error   ", e)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: quickstart.py HOST:PORT [HOST:PORT...] | dns:///NAME:PORT")
    main(sys.argv[1:])
