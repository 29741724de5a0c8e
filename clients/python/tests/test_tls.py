"""tls+tcp://: the tcp framing inside TLS, with a certificate made at test
time by Debian's openssl."""

import os
import shutil
import subprocess
import tempfile

import pytest

from ozclient import Code, OzError, connect
from ozclient.testing import OzdProcess, free_port

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl missing")


@pytest.fixture(scope="module")
def tls_server():
    d = tempfile.mkdtemp(prefix="oztls.")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)
    url = "tls+tcp://127.0.0.1:%d" % free_port()
    srv = OzdProcess(extra_args=["--listen", url, "--tls-cert", cert,
                                 "--tls-key", key])
    try:
        srv.start()
        yield srv, url, cert
    finally:
        srv.cleanup()
        shutil.rmtree(d, ignore_errors=True)


def test_verified_tls_call(tls_server):
    srv, url, cert = tls_server
    with connect(url, timeout=10, tls_ca=cert) as oz:
        u = oz.users.create(username="tls", email="tls@example.com")
        assert oz.users.get(u.id).username == "tls"
        assert oz.health.check() == "SERVING"
    host = url.replace("127.0.0.1", "localhost")
    with connect(host, timeout=10, tls_ca=cert) as oz:
        assert oz.health.check() == "SERVING"


def test_wrong_name_is_refused(tls_server):
    srv, url, cert = tls_server
    with connect(url, timeout=5, tls_ca=cert, tls_server_name="example.org",
                 retries=0) as oz:
        with pytest.raises(OzError) as ei:
            oz.health.check()
        assert ei.value.code == Code.UNAVAILABLE
        assert "TLS" in ei.value.message


def test_unverified_tls_still_speaks_the_protocol(tls_server):
    srv, url, cert = tls_server
    with connect(url, timeout=10) as oz:  # no tls_ca: not verified
        assert oz.health.check() == "SERVING"
