"""The SP transport against nng's own implementation: Debian's nngcat as the
rep0 peer on tcp://, ipc:// and ws://. No ozd involved, so these prove the
framing of docs/protocol.md independently of oz's server."""

import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

import pytest

from ozclient import transport
from ozclient.testing import free_port

NNGCAT = shutil.which("nngcat")
pytestmark = pytest.mark.skipif(NNGCAT is None,
                                reason="nngcat (Debian nng-utils) missing")


class Rep:
    """nngcat --rep answering every request with `reply`; what it received
    goes to a file (raw bytes, message after message)."""

    def __init__(self, url, reply):
        self.url = url
        self.out = tempfile.NamedTemporaryFile(prefix="nngcat.", delete=False)
        self.proc = subprocess.Popen(
            [NNGCAT, "--rep", "--listen", url, "--data", reply, "--raw"],
            stdout=self.out, stderr=subprocess.STDOUT)

    def connect(self, timeout=5.0):
        """Dials until the listener is up (nngcat starts asynchronously)."""
        end = time.monotonic() + timeout
        while True:
            try:
                return transport.Connection(self.url, time.monotonic() + 1)
            except transport.TransportError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)

    def received(self):
        with open(self.out.name, "rb") as fh:
            return fh.read()

    def close(self):
        self.proc.kill()
        self.proc.wait(5)
        os.unlink(self.out.name)


@pytest.fixture
def tmpdir_short():
    d = tempfile.mkdtemp(prefix="ozt.")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def urls(tmp):
    return {"tcp": "tcp://127.0.0.1:%d" % free_port(),
            "ipc": "ipc://%s/rep.sock" % tmp,
            "ws": "ws://127.0.0.1:%d/sp" % free_port()}


@pytest.mark.parametrize("scheme", ["tcp", "ipc", "ws"])
def test_request_reply_with_nngcat(scheme, tmpdir_short):
    rep = Rep(urls(tmpdir_short)[scheme], "pong")
    try:
        conn = rep.connect()
        for i, body in enumerate([b"hello", b"", b"x" * 70000]):
            rid = transport.HIGH_BIT | (12345 + i)
            got = conn.call(rid, body, time.monotonic() + 5)
            assert got == b"pong"
        conn.close()
        # nngcat printed each body without the 4-byte request id.
        deadline = time.monotonic() + 5
        while len(rep.received()) < 70005 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rep.received() == b"hello" + b"x" * 70000
    finally:
        rep.close()


def test_request_id_must_have_high_bit(tmpdir_short):
    rep = Rep(urls(tmpdir_short)["tcp"], "pong")
    try:
        conn = rep.connect()
        with pytest.raises(ValueError):
            conn.send(0x1234, b"x", time.monotonic() + 1)
        conn.close()
    finally:
        rep.close()


def test_peer_that_is_not_rep0_is_refused(tmpdir_short):
    """A req0 listener answers the handshake with 0x0030: not our peer."""
    url = urls(tmpdir_short)["tcp"]
    proc = subprocess.Popen([NNGCAT, "--req", "--listen", url, "--data", "x",
                             "--interval", "1"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 5
        while True:
            try:
                transport.Connection(url, time.monotonic() + 1)
                pytest.fail("connected to a req0 peer")
            except transport.TransportError as e:
                if "not rep0" in str(e):
                    break
                assert time.monotonic() < end, str(e)
                time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait(5)


def fake_rep(handler):
    """A one-connection tcp rep0 written from the document, for cases nngcat
    cannot produce (stale replies, a peer that hangs up). handler(sock,
    request_id, body) does the replying."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(5)

    def run():
        try:
            s, _ = lsock.accept()
        except OSError:
            return
        with s:
            s.settimeout(5)
            s.sendall(transport.handshake_bytes(transport.PROTO_REP0))
            assert s.recv(8) == transport.handshake_bytes(
                transport.PROTO_REQ0)
            head = s.recv(8, socket.MSG_WAITALL)
            n = struct.unpack(">Q", head)[0]
            msg = s.recv(n, socket.MSG_WAITALL)
            rid = struct.unpack(">I", msg[:4])[0]
            handler(s, rid, msg[4:])
        lsock.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return "tcp://127.0.0.1:%d" % lsock.getsockname()[1], t


def frame(rid, body):
    m = struct.pack(">I", rid) + body
    return struct.pack(">Q", len(m)) + m


def test_replies_to_other_request_ids_are_skipped():
    def handler(s, rid, body):
        s.sendall(frame(rid ^ 1, b"stale") + frame(rid, b"mine"))

    url, t = fake_rep(handler)
    conn = transport.Connection(url, time.monotonic() + 5)
    assert conn.call(0x80000010, b"q", time.monotonic() + 5) == b"mine"
    conn.close()
    t.join(5)


def test_hang_up_after_request_is_reported_as_sent():
    url, t = fake_rep(lambda s, rid, body: None)  # closes without a reply
    conn = transport.Connection(url, time.monotonic() + 5)
    with pytest.raises(transport.TransportError) as ei:
        conn.call(0x80000011, b"q", time.monotonic() + 5)
    assert ei.value.sent
    conn.close()
    t.join(5)


def test_no_reply_times_out():
    done = threading.Event()
    url, t = fake_rep(lambda s, rid, body: done.wait(5))
    conn = transport.Connection(url, time.monotonic() + 5)
    start = time.monotonic()
    with pytest.raises(transport.TransportTimeout):
        conn.call(0x80000012, b"q", time.monotonic() + 0.3)
    assert time.monotonic() - start < 3
    done.set()
    conn.close()
    t.join(5)


def test_connection_refused_is_not_sent():
    url = "tcp://127.0.0.1:%d" % free_port()
    with pytest.raises(transport.TransportError) as ei:
        transport.Connection(url, time.monotonic() + 2)
    assert not ei.value.sent


@pytest.mark.parametrize("url", ["http://x", "tcp://nohost", "tcp://:1",
                                 "inproc://x", "ipc://"])
def test_bad_urls(url):
    with pytest.raises(ValueError):
        transport.parse_url(url)
