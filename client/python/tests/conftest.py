"""Fixtures: one shared cluster (3 Redis, 1 proposer) for tests that do not break it."""

import pytest

from cluster import Cluster
from gryadka import Client


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(acceptors=3, proposers=1)
    yield c
    c.close()


@pytest.fixture
def kv(cluster):
    with Client(cluster.targets, default_deadline_ms=5000) as client:
        yield client
