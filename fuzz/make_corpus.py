#!/usr/bin/python3
"""fuzz/make_corpus.py -- writes the committed seed corpus fuzz/corpus/NAME/.

Run from the repository root: /usr/bin/python3 fuzz/make_corpus.py. Uses the
Python client's generated protobuf modules; touches nothing but
fuzz/corpus/. The method indexes match oz_method_at() of the C client (the
order of the services and methods in proto/)."""
import base64
import os
import struct
import sys

sys.path.insert(0, "clients/python")
from ozclient._pb.oz.rpc.v1 import rpc_pb2  # noqa: E402
from ozclient._pb.oz.v1 import resources_pb2 as res  # noqa: E402
from ozclient._pb.oz.v1 import task_service_pb2 as ts  # noqa: E402
from ozclient._pb.oz.v1 import user_service_pb2 as us  # noqa: E402

ROOT = "fuzz/corpus"


def put(name, i, data):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-%02d" % i), "wb") as f:
        f.write(data)


def request(method, payload=b"", md=(), timeout=0):
    r = rpc_pb2.Request(method=method, payload=payload, timeout_ms=timeout)
    for k, v in md:
        r.metadata.add(key=k, value=v)
    return r.SerializeToString()


def requests():
    u = "/oz.v1.UserService/"
    t = "/oz.v1.TaskService/"
    user = res.User(id=1, username="ada", email="ada@example.com",
                    is_active=True)
    return [
        request("/grpc.health.v1.Health/Check"),
        request("/oz.rpc.v1.Reflection/ListServices"),
        request(u + "CreateUser", us.CreateUserRequest(
            username="ada", email="ada@example.com").SerializeToString(),
            [("request-id", "seed-1")]),
        request(u + "CreateUser", us.CreateUserRequest(
            username="bob", email="bob@example.com",
            request_id="k-1").SerializeToString()),
        request(u + "GetUser", us.GetUserRequest(id=1).SerializeToString()),
        request(u + "GetUserByEmail", us.GetUserByEmailRequest(
            email="ADA@example.com").SerializeToString()),
        request(u + "ListUsers", us.ListUsersRequest(
            page_size=2, order_by="email desc, username").SerializeToString()),
        request(u + "UpdateUser", us.UpdateUserRequest(
            user=user).SerializeToString(), timeout=5000),
        request(u + "DeleteUser", us.DeleteUserRequest(
            id=1, force=True).SerializeToString()),
        request(t + "CreateTask", ts.CreateTaskRequest(
            user_id=1, title="write", description="d").SerializeToString()),
        request(t + "GetTask", ts.GetTaskRequest(id=1).SerializeToString()),
        request(t + "ListTasks", ts.ListTasksRequest(
            page_size=5, order_by="create_time desc").SerializeToString()),
        request(t + "UpdateTask", ts.UpdateTaskRequest(task=res.Task(
            id=1, title="t2", status=2)).SerializeToString()),
        request(t + "DeleteTask", ts.DeleteTaskRequest(
            id=1).SerializeToString()),
    ]


def raw_field(num, data):
    """A length-delimited field holding any bytes (a proto3 encoder would
    refuse invalid UTF-8 in a string; a hostile client need not)."""
    assert len(data) < 128
    return bytes([num << 3 | 2, len(data)]) + data


def hostile_requests():
    """Strings that are not valid UTF-8 or hold a NUL, at every level."""
    u = b"/oz.v1.UserService/"

    def env(method, payload=b"", md=()):
        b = raw_field(1, method) + raw_field(2, payload)
        for k, v in md:
            b += raw_field(3, raw_field(1, k) + raw_field(2, v))
        return b
    return [
        env(u + b"GetUser\0x", b"\x08\x01"),
        env(u + b"Get\xff\xfe"),
        env(u + b"CreateUser", raw_field(1, b"a" * 50 + b"\0" + b"b" * 20) +
            raw_field(2, b"a@example.com")),
        env(u + b"GetUserByEmail", raw_field(1, b"alice@example.com\0zzz")),
        env(u + b"UpdateUser", raw_field(1, b"\x08\x01" + raw_field(
            3, b"a@\xed\xa0\x80.io")) + raw_field(2, raw_field(1, b"e\0"))),
        env(u + b"GetUser", b"", [(b"request-id", b"x\n\x1b[2J\xc3")]),
        env(b"/grpc.health.v1.Health/Check", raw_field(1, b"\x1b]0;\x07")),
    ]


def responses():
    def resp(idx, code, payload=b"", msg="", details=()):
        r = rpc_pb2.Response(payload=payload)
        r.status.code = code
        r.status.message = msg
        for f, d in details:
            r.status.details.add(field=f, description=d)
        return bytes([idx]) + r.SerializeToString()
    user = res.User(id=7, username="ada", email="ada@example.com",
                    is_active=True, etag="W/\"1\"")
    user.create_time.seconds = 1700000000
    lst = us.ListUsersResponse(users=[user, user], next_page_token="AQ",
                               total_size=2)
    task = res.Task(id=3, title="t", user_id=7, status=1)
    return [
        resp(0, 0, user.SerializeToString()),
        resp(3, 0, lst.SerializeToString()),
        resp(6, 0, task.SerializeToString()),
        resp(5, 0),
        resp(0, 3, msg="invalid request",
             details=[("email", "not an email"), ("username", "empty")]),
        resp(1, 5, msg="User not found"),
        resp(11, 0, b"\x08\x01"),
        resp(0, 99, msg="from the future"),
    ]


def jsons():
    return [
        bytes([0]) + b'{"username":"ada","email":"ada@example.com",'
        b'"requestId":"k"}',
        bytes([1]) + b'{"id":"7","username":"ada","isActive":true,'
        b'"createTime":"2024-01-02T03:04:05.120Z","etag":"W/\\"1\\"",'
        b'"tasks":[{"id":"1","title":"t","status":"TASK_STATUS_DONE"}]}',
        bytes([7]) + b'{"pageSize":10,"pageToken":"AQ","skip":2,'
        b'"orderBy":"email desc","isActive":false}',
        bytes([8]) + b'{"user":{"id":"1","email":"b@x.io"},'
        b'"updateMask":"email,isActive"}',
        bytes([16]) + b'{"userId":"5","pageSize":3}',
        bytes([10]) + b'{"id":1,"force":true,"etag":"e"}',
        bytes([25]) + b'{"services":[{"name":"s","methods":[{"name":"m",'
        b'"idempotent":true}]}],"fileDescriptorSet":"AAEC"}',
        bytes([22]) + b'{"service":""}',
        bytes([11]) + b'{}',
    ]


def pagings():
    def raw_token(keys):
        b = bytes([1]) + b"\0" * 8 + bytes([len(keys)])
        for k in keys:
            if isinstance(k, int):
                b += b"\x01" + struct.pack(">q", k)
            else:
                s = k.encode()
                b += b"\x02" + struct.pack(">H", len(s)) + s
        return b
    # flags: 1 tasks, 2 raw token part, 4 patch in the true hash.
    tok = base64.urlsafe_b64encode(raw_token([5])).rstrip(b"=")
    return [
        bytes([0]) + b"",
        bytes([0]) + b"email desc, username" + b"\0" + tok,
        bytes([1]) + b"create_time desc,id asc",
        bytes([6]) + b"" + b"\0" + raw_token([42]),
        bytes([6]) + b"username" + b"\0" + raw_token(["ada", 3]),
        bytes([7]) + b"title desc" + b"\0" + raw_token(["x", 9]),
        bytes([0]) + b"nope" + b"\0" + b"!!",
    ]


def main():
    for name, seeds in (("request_fuzz", requests() + hostile_requests()),
                        ("response_fuzz", responses()),
                        ("json_fuzz", jsons()),
                        ("paging_fuzz", pagings())):
        for i, s in enumerate(seeds):
            put(name, i, s)


if __name__ == "__main__":
    main()
