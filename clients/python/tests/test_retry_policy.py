"""The retry table of docs/protocol.md 7.2, row by row, against a scripted
rep0 server (written from the document) that decides exactly what happens
to each request. No timing games: each case is deterministic."""

import socket
import struct
import threading

import pytest

from ozclient import Client, Code, OzError, pb, transport


class ScriptedServer:
    """tcp rep0 on a loopback port. script is a list of actions, one per
    request received, across connections: "ok" (reply OK with an empty
    User), a Code (reply with that status), or "hangup" (close the
    connection without replying). Records every request's method and
    request_id."""

    def __init__(self, script):
        self.script = list(script)
        self.seen = []
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.lsock.settimeout(10)
        self.url = "tcp://127.0.0.1:%d" % self.lsock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.script:
            try:
                s, _ = self.lsock.accept()
            except OSError:
                return
            with s:
                s.settimeout(10)
                try:
                    self._connection(s)
                except (OSError, struct.error):
                    pass

    def _recv(self, s, n):
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk:
                raise OSError("peer closed")
            data += chunk
        return data

    def _connection(self, s):
        s.sendall(transport.handshake_bytes(transport.PROTO_REP0))
        self._recv(s, 8)
        while self.script:
            n = struct.unpack(">Q", self._recv(s, 8))[0]
            msg = self._recv(s, n)
            req = pb.rpc.Request.FromString(msg[4:])
            key = ""
            if req.method.endswith("/CreateUser"):
                key = pb.users.CreateUserRequest.FromString(
                    req.payload).request_id
            self.seen.append((req.method, key))
            action = self.script.pop(0)
            if action == "hangup":
                return
            resp = pb.rpc.Response()
            resp.status.code = 0 if action == "ok" else int(action)
            if action == "ok":
                resp.payload = pb.resources.User(id=7).SerializeToString()
            else:
                resp.status.message = "scripted"
            body = msg[:4] + resp.SerializeToString()
            s.sendall(struct.pack(">Q", len(body)) + body)

    def close(self):
        try:  # wakes the accept() of the serving thread
            self.lsock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.lsock.close()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def scripted():
    servers = []

    def make(*script):
        srv = ScriptedServer(script)
        servers.append(srv)
        return srv
    yield make
    for srv in servers:
        srv.close()


def client(srv, **kw):
    kw.setdefault("timeout", 10)
    return Client(srv.url, **kw)


def create(oz):
    return oz.users.create(username="x", email="x@example.com")


def test_read_after_hangup_is_retried(scripted):
    srv = scripted("hangup", "ok")
    with client(srv) as oz:
        assert oz.users.get(7).id == 7
    assert [m for m, _ in srv.seen] == ["/oz.v1.UserService/GetUser"] * 2


def test_write_after_hangup_is_not_retried(scripted):
    """Unless the client relies on request_id deduplication."""
    srv = scripted("hangup", "ok")
    with client(srv, retry_writes=False) as oz:
        with pytest.raises(OzError) as ei:
            create(oz)
    assert ei.value.code == Code.UNAVAILABLE and ei.value.local
    assert "may or may not have run" in ei.value.message
    assert len(srv.seen) == 1


def test_write_after_hangup_is_retried_with_the_same_key_when_allowed(
        scripted):
    srv = scripted("hangup", "ok")
    with client(srv, retry_writes=True) as oz:
        assert create(oz).id == 7
    assert len(srv.seen) == 2
    assert srv.seen[0][1] and srv.seen[0][1] == srv.seen[1][1]


def test_server_unavailable_is_retried_even_for_writes(scripted):
    """A Response with UNAVAILABLE means the call did not run."""
    srv = scripted(Code.UNAVAILABLE, Code.UNAVAILABLE, "ok")
    with client(srv) as oz:
        assert create(oz).id == 7
    assert len(srv.seen) == 3
    assert len({k for _, k in srv.seen}) == 1  # one key for all attempts


def test_server_unknown_write_is_never_resent_without_deduplication(
        scripted):
    """UNKNOWN from ozd: the COMMIT's outcome is unknown (it may have
    applied the write), so only a write the server deduplicates (its
    request_id, retry_writes) is sent again; reads are."""
    srv = scripted(Code.UNKNOWN, Code.UNKNOWN, "ok")
    with client(srv, retry_writes=False) as oz:
        with pytest.raises(OzError) as ei:
            create(oz)
        assert ei.value.code == Code.UNKNOWN and not ei.value.local
        assert len(srv.seen) == 1
        assert oz.users.get(7).id == 7
    assert len(srv.seen) == 3
    srv2 = scripted(Code.UNKNOWN, "ok")
    with client(srv2, retry_writes=True) as oz:
        assert create(oz).id == 7
    assert len(srv2.seen) == 2
    assert srv2.seen[0][1] and srv2.seen[0][1] == srv2.seen[1][1]


def test_resource_exhausted_retried_for_reads_only(scripted):
    """(and for keyed writes when retry_writes relies on deduplication)"""
    srv = scripted(Code.RESOURCE_EXHAUSTED, "ok", Code.RESOURCE_EXHAUSTED)
    with client(srv, retry_writes=False) as oz:
        assert oz.users.list_page().total_size == 0
        with pytest.raises(OzError) as ei:
            create(oz)
    assert ei.value.code == Code.RESOURCE_EXHAUSTED and not ei.value.local
    assert len(srv.seen) == 3


@pytest.mark.parametrize("code", [Code.INVALID_ARGUMENT, Code.NOT_FOUND,
                                  Code.ABORTED, Code.INTERNAL,
                                  Code.DEADLINE_EXCEEDED])
def test_other_codes_are_never_retried(scripted, code):
    srv = scripted(code, "ok")
    with client(srv) as oz:
        with pytest.raises(OzError) as ei:
            oz.users.get(1)
    assert ei.value.code == code and ei.value.message == "scripted"
    assert len(srv.seen) == 1


def test_retries_stop_at_the_limit(scripted):
    srv = scripted(*([Code.UNAVAILABLE] * 5))
    with client(srv, retries=2) as oz:
        with pytest.raises(OzError) as ei:
            oz.users.get(1)
    assert ei.value.code == Code.UNAVAILABLE and not ei.value.local
    assert len(srv.seen) == 3


def test_metadata_and_deadline_on_the_wire(scripted):
    seen = []

    class Recording(ScriptedServer):
        def _connection(self, s):
            s.sendall(transport.handshake_bytes(transport.PROTO_REP0))
            self._recv(s, 8)
            n = struct.unpack(">Q", self._recv(s, 8))[0]
            msg = self._recv(s, n)
            seen.append(pb.rpc.Request.FromString(msg[4:]))
            self.script.pop(0)
            resp = pb.rpc.Response(payload=b"")
            body = msg[:4] + resp.SerializeToString()
            s.sendall(struct.pack(">Q", len(body)) + body)

    srv = Recording(["ok"])
    try:
        with Client(srv.url, timeout=7, token="t0k",
                    metadata={"x-app": "tests"}) as oz:
            oz.health.check()
    finally:
        srv.close()
    req = seen[0]
    md = {m.key: m.value for m in req.metadata}
    assert md["authorization"] == "Bearer t0k" and md["x-app"] == "tests"
    assert len(md["request-id"]) == 32
    assert 6000 < req.timeout_ms <= 7000
    assert req.method == "/grpc.health.v1.Health/Check"
