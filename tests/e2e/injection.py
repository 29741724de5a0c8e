#!/usr/bin/python3
"""tests/e2e/injection.py -- no SQL is built from request text, proven over
a real ozd ($OZD) on a temporary file database (or, under make
test-postgres, a PostgreSQL database of its own) with the Python client.

SQL-injection strings go through every string field of every request:
username, email (as the local part of an otherwise valid address, and whole
in GetUserByEmail), title, description, page_token and order_by of both
lists, update_mask paths, etag, request_id and metadata values. Each is
either stored and read back verbatim or refused with INVALID_ARGUMENT
(an etag may also be ABORTED: a stale etag); lookups by them find
nothing. Afterwards the schema (sqlite_master; PostgreSQL's columns and
indexes) is unchanged, the row counts are what was written and PRAGMA
integrity_check says ok (SQLite). Run by
tests/e2e/injection.sh; servers only on 127.0.0.1."""
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
import ozclient  # noqa: E402
from ozclient import Code  # noqa: E402
from ozclient.testing import (database_url_for, drop_database_for,  # noqa
                              postgres_url)

PAYLOADS = [
    "'; DROP TABLE users; --",
    "\" OR 1=1 --",
    "' OR '1'='1",
    "Robert'); DROP TABLE tasks;--",
    "1; DELETE FROM users WHERE 1=1",
    "' UNION SELECT sql, name FROM sqlite_master --",
    "*/ SELECT 1; /*",
    "?1 ?2 :name @x $y",
    "' || (SELECT count(*) FROM users) || '",
    "ユーザー'); DROP TABLE users; -- ☃",
    "\\'; ATTACH DATABASE '/tmp/x' AS x; --",
    "%_' ESCAPE '\\",
]
# Email local parts may hold no space: the same attacks without spaces.
LOCALS = [
    "o'neil'--", "\"OR\"1\"=\"1\"--", "';DROP/**/TABLE/**/users;--",
    "x'||(SELECT/**/1)||'", "a%_'--", "ü'--",
]


def fail(msg):
    print("injection: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def refused(fn, codes=(Code.INVALID_ARGUMENT,), what=""):
    """fn() must fail with one of codes; returns the error."""
    try:
        fn()
    except ozclient.OzError as e:
        if e.code not in codes:
            fail("%s: %s %s, want %s" % (what, e.code.name, e.message,
                                         [c.name for c in codes]))
        return e
    fail("%s: accepted" % what)


def stored_or_refused(fn, check, what):
    """fn() either succeeds (then check(result)) or is INVALID_ARGUMENT.
    Returns the result or None."""
    try:
        r = fn()
    except ozclient.OzError as e:
        if e.code != Code.INVALID_ARGUMENT:
            fail("%s: %s %s" % (what, e.code.name, e.message))
        return None
    check(r)
    return r


def psql(db, sql):
    """Rows of sql on the PostgreSQL database made for db."""
    out = subprocess.run(["psql", database_url_for(db, fresh=False),
                          "-AtqX", "-c", sql], check=True,
                         capture_output=True, text=True).stdout
    return out.splitlines()


def schema(db):
    """The schema: sqlite_master, or PostgreSQL's columns and indexes."""
    if postgres_url() is not None:
        return psql(db, "SELECT table_name || ' ' || column_name || ' ' || "
                    "data_type FROM information_schema.columns WHERE "
                    "table_schema = 'public' ORDER BY 1") + psql(
            db, "SELECT indexdef FROM pg_indexes WHERE schemaname = "
            "'public' ORDER BY 1")
    con = sqlite3.connect(db)
    rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                       "ORDER BY type, name").fetchall()
    con.close()
    return rows


def counts(db):
    """(users, tasks, integrity_check rows; PostgreSQL: [("ok",)])."""
    if postgres_url() is not None:
        n = psql(db, "SELECT (SELECT count(*) FROM users) || ' ' || "
                 "(SELECT count(*) FROM tasks)")[0].split()
        return int(n[0]), int(n[1]), [("ok",)]
    con = sqlite3.connect(db)
    n_users = con.execute("SELECT count(*) FROM users").fetchone()[0]
    n_tasks = con.execute("SELECT count(*) FROM tasks").fetchone()[0]
    ok = con.execute("PRAGMA integrity_check").fetchall()
    con.close()
    return n_users, n_tasks, ok


def run(c, db):
    before = schema(db)
    users, tasks = {}, {}
    for i, p in enumerate(PAYLOADS):
        name = p[:50]
        email = LOCALS[i % len(LOCALS)] + str(i) + "@example.com"

        def check_user(u, name=name, email=email):
            if u.username != name or u.email != email:
                fail("user stored as %r/%r, sent %r/%r" %
                     (u.username, u.email, name, email))
        u = stored_or_refused(
            lambda: c.users.create(name, email, request_id=p[:64]),
            check_user, "create user %r" % p)
        if u is None:
            fail("a username of printable text was refused: %r" % p)
        users[u.id] = (name, email)
        check_user(c.users.get(u.id))
        check_user(c.users.get_by_email(email))
        refused(lambda: c.users.get_by_email(p),
                (Code.INVALID_ARGUMENT, Code.NOT_FOUND), "get_by_email")
        t = c.tasks.create(u.id, p[:100], description=p * 3)
        if t.title != p[:100] or t.description != p * 3:
            fail("task stored as %r/%r" % (t.title, t.description))
        tasks[t.id] = (p[:100], p * 3)
        # Update every string field with another payload, read back.
        q = PAYLOADS[(i + 1) % len(PAYLOADS)]
        t2 = c.tasks.update(t.id, title=q[:100], description=q)
        if c.tasks.get(t.id).title != q[:100] or t2.description != q:
            fail("task update stored %r" % (t2.title,))
        tasks[t.id] = (q[:100], q)
        u2 = c.users.update(u.id, username=q[:40] + str(i))
        if c.users.get(u.id).username != q[:40] + str(i):
            fail("user update stored %r" % u2.username)
        users[u.id] = (q[:40] + str(i), email)
        # Refused: order_by, page_token, update_mask paths, etag.
        refused(lambda: c.users.list_page(order_by=p), what="users order_by")
        refused(lambda: c.users.list_page(order_by="username, " + p),
                what="users order_by list")
        refused(lambda: c.tasks.list_page(order_by=p), what="tasks order_by")
        refused(lambda: c.users.list_page(page_token=p), what="users token")
        refused(lambda: c.tasks.list_page(page_token=p), what="tasks token")
        refused(lambda: c.call(
            "/oz.v1.UserService/UpdateUser",
            ozclient.pb.users.UpdateUserRequest(
                user=ozclient.pb.resources.User(id=u.id, username="x"),
                update_mask={"paths": [p]}),
            ozclient.pb.resources.User), what="update_mask path")
        refused(lambda: c.tasks.delete(t.id, etag=p),
                (Code.INVALID_ARGUMENT, Code.ABORTED), "task etag")
        refused(lambda: c.users.update(u.id, is_active=False, etag=p),
                (Code.INVALID_ARGUMENT, Code.ABORTED), "user etag")
        # Metadata values carry payloads too.
        c.call("/grpc.health.v1.Health/Check",
               ozclient.pb.health.HealthCheckRequest(),
               ozclient.pb.health.HealthCheckResponse,
               metadata={"request-id": p, "x-note": p})
    # Lists return every payload intact, in every order.
    for order in ("username desc", "email", "create_time desc, username"):
        got = {u.id: (u.username, u.email)
               for u in c.users.list(page_size=3, order_by=order)}
        if got != users:
            fail("users list (%s) differs from what was written" % order)
    got = {t.id: (t.title, t.description)
           for t in c.tasks.list(page_size=4, order_by="title desc")}
    if got != tasks:
        fail("tasks list differs from what was written")
    after = schema(db)
    if after != before:
        fail("schema changed")
    n_users, n_tasks, ok = counts(db)
    if (n_users, n_tasks) != (len(users), len(tasks)):
        fail("row counts %d/%d, want %d/%d" %
             (n_users, n_tasks, len(users), len(tasks)))
    if ok != [("ok",)]:
        fail("integrity_check: %r" % (ok,))
    return len(users), len(tasks)


def main():
    ozd = os.environ.get("OZD", "build/ozd")
    tmp = tempfile.mkdtemp(prefix="oz-inject-")
    db = os.path.join(tmp, "inject.db")
    url = "tcp://127.0.0.1:%d" % free_port()
    log = open(os.path.join(tmp, "ozd.log"), "wb")
    proc = subprocess.Popen([ozd, "--database-url", database_url_for(db),
                             "--migrate", "--listen", url, "--log-level",
                             "warn"],
                            stdout=log, stderr=log, cwd=tmp)
    try:
        with ozclient.connect(url, timeout=5) as c:
            deadline = time.monotonic() + 15
            while True:
                try:
                    c.health.check(timeout=0.5)
                    break
                except ozclient.OzError:
                    if time.monotonic() > deadline or proc.poll():
                        fail("ozd did not start")
                    time.sleep(0.05)
            nu, nt = run(c, db)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()
    print("injection: ok: %d payloads through every string field; %d users,"
          " %d tasks stored verbatim; schema unchanged%s"
          % (len(PAYLOADS), nu, nt,
             "" if postgres_url() else "; integrity_check ok"))
    drop_database_for(db)
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
