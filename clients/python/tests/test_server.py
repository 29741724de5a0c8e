"""Health, reflection, metadata and every transport of a real ozd."""

import time

import pytest
from google.protobuf import descriptor_pb2

from ozclient import Code, OzError, connect, pb


def test_health_serving_and_unknown_service(oz):
    assert oz.health.check() == "SERVING"
    assert oz.health.check("oz.v1.UserService") == "SERVING"
    with pytest.raises(OzError) as ei:
        oz.health.check("no.such.Service")
    assert ei.value.code == Code.NOT_FOUND


def test_reflection_lists_every_method_of_proto(oz):
    resp = oz.reflection.list_services()
    got = {m.full_name: m for s in resp.services for m in s.methods}
    want = {"/%s/%s" % (svc.full_name, m.name) for svc in pb.services()
            for m in svc.methods}
    assert set(got) == want
    assert got["/oz.v1.UserService/GetUser"].idempotent
    assert not got["/oz.v1.UserService/CreateUser"].idempotent
    assert got["/oz.v1.UserService/CreateUser"].input_type == \
        "oz.v1.CreateUserRequest"
    fds = descriptor_pb2.FileDescriptorSet.FromString(
        resp.file_descriptor_set)
    names = {f.name for f in fds.file}
    assert {"oz/v1/user_service.proto", "oz/rpc/v1/rpc.proto",
            "google/protobuf/timestamp.proto"} <= names


def test_read_only_rule_matches_reflection(oz):
    from ozclient.client import is_read_only
    for s in oz.reflection.list_services().services:
        for m in s.methods:
            assert is_read_only(m.full_name) == m.idempotent, m.full_name


@pytest.mark.parametrize("which", ["url", "ipc_url", "ws_url"])
def test_every_transport_reaches_the_server(server, which, unique):
    url = getattr(server, which)
    with connect(url, timeout=10) as oz:
        name = unique(which)
        u = oz.users.create(username=name, email=name + "@example.com")
        assert oz.users.get(u.id).username == name
        big = oz.users.list_page(page_size=1000)  # a reply of many frames
        assert big.total_size >= 1


def test_request_id_metadata_reaches_the_log(server, oz):
    marker = "trace-%d" % time.monotonic_ns()
    oz.call(
        "/grpc.health.v1.Health/Check", pb.health.HealthCheckRequest(),
        pb.health.HealthCheckResponse, metadata={"request-id": marker})
    deadline = time.monotonic() + 5
    while marker not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    line = [ln for ln in server.log().splitlines() if marker in ln]
    assert line and "Health/Check" in line[0] and "OK" in line[0]


def test_every_call_gets_a_request_id(server, oz):
    oz.health.check()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        last = [ln for ln in server.log().splitlines() if "Health/Check"
                in ln]
        if last and "request-id=-" not in last[-1]:
            return
        time.sleep(0.05)
    pytest.fail("no request-id in the log: %r" % last[-1:])


def test_closed_client_refuses_calls(server):
    oz = connect(server.url, timeout=5)
    oz.health.check()
    oz.close()
    with pytest.raises(OzError) as ei:
        oz.health.check()
    assert ei.value.code == Code.CANCELLED


def test_harness_moves_off_a_port_taken_by_someone_else(monkeypatch):
    """OzdProcess must never mistake another server for its own: a port
    taken between choosing and binding is replaced by a fresh one."""
    import socket
    from ozclient import testing
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    real = testing.free_port
    ports = [taken.getsockname()[1]]
    monkeypatch.setattr(testing, "free_port",
                        lambda: ports.pop() if ports else real())
    try:
        with testing.OzdProcess() as srv:
            assert srv.port != taken.getsockname()[1]
            with srv.client(timeout=5) as oz:
                assert oz.health.check() == "SERVING"
    finally:
        taken.close()
