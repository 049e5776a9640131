"""TlsOptions: the Python client speaks mutual TLS to a proposer started with --tls_* flags.

Certificates are made at run time by the openssl command-line tool (a CA, a server
certificate for the name gryadka.test, a client certificate), as tests/integration does.
"""

import os
import subprocess
import tempfile

import grpc
import pytest

from cluster import Cluster
from gryadka import Client, GryadkaError, Record, TlsOptions

SERVER_NAME = "gryadka.test"
OPENSSL_TIMEOUT_S = 30


def openssl(directory, *args):
    done = subprocess.run(["openssl", *args], cwd=directory, capture_output=True, text=True,
                          timeout=OPENSSL_TIMEOUT_S)
    assert done.returncode == 0, f"openssl {' '.join(args)}: {done.stderr}"


def make_leaf(directory, name, serial, ext_lines):
    with open(os.path.join(directory, f"{name}.ext"), "w") as f:
        f.write("\n".join(["basicConstraints=critical,CA:FALSE",
                           "keyUsage=critical,digitalSignature,keyEncipherment", *ext_lines]) + "\n")
    openssl(directory, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
    openssl(directory, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-set_serial", str(serial), "-days", "2",
            "-extfile", f"{name}.ext", "-out", f"{name}.crt")


@pytest.fixture(scope="module")
def certs():
    with tempfile.TemporaryDirectory(prefix="gryadka-pytest-tls-") as d:
        openssl(d, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
                "-subj", "/CN=gryadka test CA",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        make_leaf(d, "server", 2, ["extendedKeyUsage=serverAuth", f"subjectAltName=DNS:{SERVER_NAME}"])
        make_leaf(d, "client", 3, ["extendedKeyUsage=clientAuth"])
        yield {n: os.path.join(d, n) for n in
               ("ca.crt", "server.crt", "server.key", "client.crt", "client.key")}


def test_mutual_tls_client_reads_and_writes_and_a_client_without_certificate_is_refused(certs):
    tls = TlsOptions(ca_file=certs["ca.crt"], cert_file=certs["client.crt"],
                     key_file=certs["client.key"], server_name=SERVER_NAME)
    credentials = grpc.ssl_channel_credentials(
        open(certs["ca.crt"], "rb").read(), open(certs["client.key"], "rb").read(),
        open(certs["client.crt"], "rb").read())
    c = Cluster(acceptors=3, proposers=1,
                proposer_flags=[f"--tls_cert_file={certs['server.crt']}",
                                f"--tls_key_file={certs['server.key']}",
                                f"--tls_client_ca_file={certs['ca.crt']}"],
                channel=lambda t: grpc.secure_channel(
                    t, credentials, options=[("grpc.ssl_target_name_override", SERVER_NAME)]))
    try:
        with Client(c.targets, tls=tls) as kv:
            assert kv.put("tls:key", b"secret").record == Record(b"secret", 1)
            assert kv.get("tls:key").record == Record(b"secret", 1)
        no_cert = TlsOptions(ca_file=certs["ca.crt"], server_name=SERVER_NAME)
        with Client(c.targets, tls=no_cert, retry_attempts_max=0,
                    default_deadline_ms=3000) as stranger:
            with pytest.raises(GryadkaError) as e:
                stranger.get("tls:key")
            assert e.value.code == grpc.StatusCode.UNAVAILABLE
    finally:
        c.close()


def test_tls_options_name_the_file_that_cannot_be_read():
    with pytest.raises(ValueError, match="TlsOptions.ca_file"):
        Client("127.0.0.1:1", tls=TlsOptions(ca_file="/nonexistent/ca.pem"))
    with pytest.raises(ValueError, match="both or neither"):
        Client("127.0.0.1:1", tls=TlsOptions(cert_file="client.crt"))
