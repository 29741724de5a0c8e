"""What docs/protocol.md section 2 says about ozd's side of the wire,
checked on raw connections."""

import socket
import struct
import time

from ozclient import Code, pb, transport


def test_pipelined_requests_on_one_connection_are_matched_by_id(server):
    """Ten requests sent before reading any reply: each reply carries its
    request's id (they may come back in any order)."""
    conn = transport.Connection(server.url, time.monotonic() + 5)
    try:
        sent = {}
        for i in range(10):
            env = pb.rpc.Request(method="/oz.v1.UserService/GetUser",
                                 payload=pb.users.GetUserRequest(
                                     id=10**9 + i).SerializeToString())
            rid = 0x80000100 + i
            conn.send(rid, env.SerializeToString(), time.monotonic() + 5)
            sent[rid] = i
        got = {}
        for _ in range(10):
            msg = conn._read_message(time.monotonic() + 10)
            rid = struct.unpack(">I", msg[:4])[0]
            resp = pb.rpc.Response.FromString(msg[4:])
            assert resp.status.code == Code.NOT_FOUND
            got[rid] = resp
        assert set(got) == set(sent)
    finally:
        conn.close()


def test_peer_claiming_rep0_is_disconnected(server):
    with socket.create_connection(("127.0.0.1", server.port), 5) as s:
        s.settimeout(5)
        s.sendall(transport.handshake_bytes(transport.PROTO_REP0))
        hdr = b""
        while len(hdr) < 8:
            chunk = s.recv(8 - len(hdr))
            assert chunk
            hdr += chunk
        assert hdr == transport.handshake_bytes(transport.PROTO_REP0)
        try:
            rest = s.recv(16)
        except ConnectionResetError:
            rest = b""
        assert rest == b""  # closed: req0 is the only peer rep0 accepts


def test_ipc_message_type_other_than_1_closes_the_connection(server):
    conn = transport.Connection(server.ipc_url, time.monotonic() + 5)
    try:
        conn._write(b"\x02" + struct.pack(">Q", 4) + b"\x80\x00\x00\x01",
                    time.monotonic() + 5)
        try:
            conn._read_message(time.monotonic() + 5)
            assert False, "got a reply"
        except transport.TransportError as e:
            assert not isinstance(e, transport.TransportTimeout)
    finally:
        conn.close()
    # The listener still serves new connections.
    conn = transport.Connection(server.ipc_url, time.monotonic() + 5)
    try:
        req = pb.rpc.Request(method="/grpc.health.v1.Health/Check")
        body = conn.call(0x80000001, req.SerializeToString(),
                         time.monotonic() + 5)
        assert pb.rpc.Response.FromString(body).status.code == Code.OK
    finally:
        conn.close()
