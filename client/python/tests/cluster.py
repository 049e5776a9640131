"""A real local Gryadka cluster for the tests: redis-server acceptors and gryadka-proposer
processes on free loopback ports, each Redis with its own temp dir.

Every process is started here and stopped here by its own PID (Popen), never by name. The
proposer binary comes from $GRYADKA_PROPOSER_BIN (set by client/python/CMakeLists.txt);
redis-server from $PATH.

Bounds: SERVING_TIMEOUT_MS for a proposer to report SERVING; STOP_TIMEOUT_MS for a process to
exit after SIGTERM before it is sent SIGKILL.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Callable, List, Optional, Sequence

import grpc

from gryadka._gen import health_pb2, health_pb2_grpc

SERVING_TIMEOUT_MS = 15000
STOP_TIMEOUT_MS = 5000
PORT_PROBE_ATTEMPTS_MAX = 5


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: Optional[subprocess.Popen]) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_MS / 1000.0)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Cluster:
    """``acceptors`` Redis servers and ``proposers`` proposers over all of them."""

    def __init__(self, acceptors: int = 3, proposers: int = 1,
                 proposer_flags: Sequence[str] = (),
                 channel: Callable[[str], grpc.Channel] = grpc.insecure_channel) -> None:
        """proposer_flags: extra flags of every proposer; channel: how the SERVING wait
        connects to a proposer target (e.g. a TLS channel)."""
        binary = os.environ.get("GRYADKA_PROPOSER_BIN")
        if not binary or not os.access(binary, os.X_OK):
            raise RuntimeError(f"GRYADKA_PROPOSER_BIN={binary!r} is not an executable proposer")
        self._binary = binary
        self._proposer_flags = list(proposer_flags)
        self._channel = channel
        self._dir = tempfile.mkdtemp(prefix="gryadka-pytest-")
        self.redis: List[Optional[subprocess.Popen]] = []
        self.redis_ports: List[int] = []
        self.proposers: List[Optional[subprocess.Popen]] = []
        self.targets: List[str] = []
        try:
            for i in range(acceptors):
                self._start_redis(i)
            for i in range(proposers):
                self._start_proposer(i)
            for t in self.targets:
                self.wait_serving(t)
        except BaseException:
            self.close()
            raise

    def _log(self, name: str):
        return open(os.path.join(self._dir, f"{name}.log"), "wb")

    def _start_redis(self, i: int) -> None:
        data = os.path.join(self._dir, f"redis{i}")
        os.mkdir(data)
        for _ in range(PORT_PROBE_ATTEMPTS_MAX):
            port = free_loopback_port()
            with self._log(f"redis{i}") as log:
                p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                      "--dir", data, "--save", "", "--appendonly", "no",
                                      "--daemonize", "no"], stdout=log, stderr=log)
            if self._wait_port(port, p):
                self.redis.append(p)
                self.redis_ports.append(port)
                return
            _stop(p)
        raise RuntimeError(f"redis{i} did not start; see {self._dir}")

    def _start_proposer(self, i: int) -> None:
        acceptors = ",".join(f"127.0.0.1:{p}" for p in self.redis_ports)
        for _ in range(PORT_PROBE_ATTEMPTS_MAX):
            port = free_loopback_port()
            with self._log(f"proposer{i}") as log:
                p = subprocess.Popen([self._binary, f"--listen=127.0.0.1:{port}",
                                      f"--acceptors={acceptors}", "--acceptor_timeout_ms=300",
                                      *self._proposer_flags],
                                     stdout=log, stderr=log)
            if self._wait_port(port, p):
                self.proposers.append(p)
                self.targets.append(f"127.0.0.1:{port}")
                return
            _stop(p)
        raise RuntimeError(f"proposer{i} did not start; see {self._dir}")

    @staticmethod
    def _wait_port(port: int, p: subprocess.Popen, timeout_ms: int = 5000) -> bool:
        end = time.monotonic() + timeout_ms / 1000.0
        while time.monotonic() < end:
            if p.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    pass
                # Someone else may hold the port (probed free, then taken): then our process
                # exits at once, failing to bind.
                time.sleep(0.1)
                return p.poll() is None
            except OSError:
                time.sleep(0.05)
        return False

    def wait_serving(self, target: str) -> None:
        end = time.monotonic() + SERVING_TIMEOUT_MS / 1000.0
        with self._channel(target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < end:
                try:
                    r = stub.Check(health_pb2.HealthCheckRequest(service="gryadka.v1.KV"),
                                   timeout=1.0)
                    if r.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"proposer {target} not SERVING after {SERVING_TIMEOUT_MS} ms; "
                           f"logs in {self._dir}")

    @property
    def dir(self) -> str:
        """The cluster's temp dir (removed by close())."""
        return self._dir

    def stop_redis(self, i: int) -> None:
        _stop(self.redis[i])

    def stop_proposer(self, i: int) -> None:
        _stop(self.proposers[i])

    def close(self) -> None:
        for p in self.proposers + self.redis:
            _stop(p)
        shutil.rmtree(self._dir, ignore_errors=True)
