#!/usr/bin/python3
"""tests/e2e/hostile_strings.py -- the wire is hostile (STYLE.md §10),
proven over a real ozd ($OZD) with Python's strict protobuf parser.

Requests are encoded by hand, so their string fields can hold what a
proto3 encoder never sends: invalid UTF-8 and embedded NUL bytes, in the
envelope (method, metadata keys and values) and at any depth of the
payload. Each must be INVALID_ARGUMENT with a FieldViolation naming the
field; nothing may run on a cut string (issue 13: `GetUser\\0x` ran
GetUser, `alice\\0x` collided with alice). Every reply of the run, thousands
of random hostile requests included, must parse with Python's protobuf
(which rejects a reply whose strings are not valid UTF-8). Caller text in
the log (request-id metadata) cannot forge a line. Run by
tests/e2e/hostile_strings.sh; servers only on 127.0.0.1."""
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
import ozclient  # noqa: E402
from ozclient import Code, testing, transport  # noqa: E402

pb = ozclient.pb
GET_USER = b"/oz.v1.UserService/GetUser"
CREATE_USER = b"/oz.v1.UserService/CreateUser"
BY_EMAIL = b"/oz.v1.UserService/GetUserByEmail"
HEALTH = b"/grpc.health.v1.Health/Check"
calls = 0


def fail(msg):
    print("hostile_strings: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def fld(num, data):
    """A length-delimited field, whatever its bytes."""
    return varint(num << 3 | 2) + varint(len(data)) + data


def envelope(method, payload=b"", metadata=()):
    body = fld(1, method) + fld(2, payload)
    for k, v in metadata:
        body += fld(3, fld(1, k) + fld(2, v))
    return body


def send(conn, body):
    """Sends raw envelope bytes; returns the strictly parsed Response."""
    global calls
    calls += 1
    rid = transport.HIGH_BIT | calls
    raw = conn.call(rid, body, time.monotonic() + 10)
    try:
        return pb.rpc.Response.FromString(raw)
    except Exception as e:  # DecodeError: the reply broke proto3
        fail("reply %d does not parse (%s): %r" % (calls, e, raw[:200]))


def bad_field(conn, body, field, what):
    r = send(conn, body)
    got = [d.field for d in r.status.details]
    if r.status.code != Code.INVALID_ARGUMENT or got != [field]:
        fail("%s: %s %r %r, want INVALID_ARGUMENT naming %s"
             % (what, Code.of(r.status.code).name, r.status.message, got,
                field))


def exact_cases(conn, c):
    """The cases of issue 13, one by one."""
    get1 = pb.users.GetUserRequest(id=1).SerializeToString()
    bad_field(conn, envelope(GET_USER + b"\0x", get1), "method",
              "method with NUL")
    bad_field(conn, envelope(b"/oz.v1.UserService/Get\xff\xfe", get1),
              "method", "method not UTF-8")
    bad_field(conn, envelope(GET_USER, get1, [(b"request-id", b"\xc3(")]),
              "metadata.value", "metadata value not UTF-8")
    bad_field(conn, envelope(GET_USER, get1, [(b"x\0y", b"v")]),
              "metadata.key", "metadata key with NUL")
    long_name = b"a" * 50 + b"\0" + b"b" * 100
    bad_field(conn, envelope(CREATE_USER, fld(1, long_name) +
                             fld(2, b"long@example.com")),
              "username", "50 a + NUL + 100 b")
    alice = c.users.create("alice", "alice@example.com")
    bad_field(conn, envelope(CREATE_USER, fld(1, b"alice\0x") +
                             fld(2, b"other@example.com")),
              "username", "alice NUL x")
    bad_field(conn, envelope(BY_EMAIL, fld(1, b"alice@example.com\0zzz")),
              "email", "GetUserByEmail with NUL")
    user = varint(1 << 3) + varint(alice.id) + fld(3, b"a@\xed\xa0\x80.com")
    bad_field(conn, envelope(b"/oz.v1.UserService/UpdateUser",
                             fld(1, user) + fld(2, fld(1, b"email"))),
              "user.email", "nested surrogate")
    bad_field(conn, envelope(b"/oz.v1.UserService/UpdateUser",
                             fld(2, fld(1, b"email") + fld(1, b"e\0"))),
              "update_mask.paths", "FieldMask path with NUL")
    bad_field(conn, envelope(HEALTH, fld(1, b"oz.v1\xff")), "service",
              "Health service not UTF-8")
    # Backup's path: refused by field, or (if the admin service is closed
    # to this caller) refused before; either way the reply parses.
    backup = b"/oz.v1.AdminService/Backup"
    r = send(conn, envelope(backup, fld(1, b"b\xff.db")))
    if r.status.code == Code.INVALID_ARGUMENT:
        if [d.field for d in r.status.details] != ["path"]:
            fail("backup path not named: %r" % r.status.details)
    elif r.status.code not in (Code.PERMISSION_DENIED, Code.UNAUTHENTICATED):
        fail("backup path not UTF-8: %s" % Code.of(r.status.code).name)
    for _ in range(2):  # OK (or refused), then ALREADY_EXISTS (or refused)
        r = send(conn, envelope(backup, fld(1, b"b\x1b[2J\n.db")))
        if "\x1b" in r.status.message or "\n" in r.status.message:
            fail("backup reply quotes raw control bytes: %r"
                 % r.status.message)
    # Valid UTF-8 with control characters is quoted, escaped.
    r = send(conn, envelope(HEALTH, fld(1, b"x\n\x1b[31m")))
    if (r.status.code != Code.NOT_FOUND or
            r.status.message != "unknown service x\\x0A\\x1B[31m"):
        fail("health service quoted as %r" % r.status.message)
    r = send(conn, envelope(b"/nope\x1b]0;pwned\x07"))
    if r.status.message != "unknown method /nope\\x1B]0;pwned\\x07":
        fail("unknown method quoted as %r" % r.status.message)
    key = b"k\x1b[2J\xe2\x98\x83"
    for name in (b"ann", b"bob"):
        r = send(conn, envelope(CREATE_USER, fld(1, name) + fld(
            2, name + b"@example.com") + fld(3, key)))
    if (r.status.code != Code.INVALID_ARGUMENT or
            "\x1b" in r.status.message or "\u2603" not in r.status.message):
        fail("reused request_id quoted as %r" % r.status.message)
    # Nothing hostile was stored: alice and ann, by their exact names.
    names = sorted(u.username for u in c.users.list())
    if names != ["alice", "ann"]:
        fail("users after the hostile cases: %r" % names)


def replay_keeps_violations(c):
    errs = []
    for _ in range(2):
        try:
            c.users.create("", "not-an-email", request_id="replay-1")
            fail("a bad CreateUser was accepted")
        except ozclient.OzError as e:
            errs.append(e)
    first, again = ([(v.field, v.description) for v in e.details]
                    for e in errs)
    if len(first) != 2 or again != first:
        fail("replayed violations %r, first %r" % (again, first))


def random_hostile(conn, n):
    """n requests with random bytes in random string fields: every reply
    parses, and one whose strings are not clean is INVALID_ARGUMENT."""
    rng = random.Random(13)
    alphabet = [b"\0", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\n", b"\x1b",
                b"\xe2\x98\x83", b"a", b"/", b"\\", b"\xc2\x9b"]
    methods = [CREATE_USER, GET_USER, BY_EMAIL, HEALTH,
               b"/oz.v1.TaskService/CreateTask", b"/oz.v1.AdminService/Stats"]

    def junk():
        return b"".join(rng.choice(alphabet)
                        for _ in range(rng.randint(0, 12)))
    for _ in range(n):
        m = rng.choice(methods)
        if rng.random() < 0.3:
            m = m[:rng.randint(1, len(m))] + junk()
        payload = fld(1, junk()) + fld(2, junk() + b"@example.com")
        send(conn, envelope(m, payload, [(b"request-id", junk())]))


def log_is_one_line_per_call(path):
    with open(path, "rb") as f:
        text = f.read()
    if b"\x1b" in text:
        fail("an ESC byte reached the log")
    for line in text.splitlines():
        if not line[:4].isdigit():
            fail("forged log line: %r" % line[:120])
    if b"request-id=x\\x0AFORGED" not in text:
        fail("the escaped request-id is not in the log")


def main():
    with testing.OzdProcess(extra_args=["--log-level", "info"]) as srv:
        with srv.client() as c:
            conn = transport.Connection(srv.url, time.monotonic() + 5)
            exact_cases(conn, c)
            replay_keeps_violations(c)
            send(conn, envelope(GET_USER, b"", [
                (b"request-id", b"x\nFORGED 2026 ERROR\x1b[2J")]))
            random_hostile(conn, 3000)
            conn.close()
            c.health.check()
        srv.stop()
        log_is_one_line_per_call(srv.log_path)
    print("hostile_strings: ok: %d hostile calls, every reply parsed; "
          "bad strings refused by field; log one line per call" % calls)


if __name__ == "__main__":
    main()
