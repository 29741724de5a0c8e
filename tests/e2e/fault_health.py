#!/usr/bin/python3
"""tests/e2e/fault_health.py -- Health/Check tells whether the database can
serve, against a real ozd ($OZD):
- tables missing (a table renamed away under ozd): data calls fail and
  Health says NOT_SERVING; renamed back, SERVING again;
- schema behind this build (a revision's row removed): NOT_SERVING, and
  SERVING once it is back;
- the database's directory made read-only (a read-only bind mount as root,
  chmod 0555 otherwise): NOT_SERVING, no crash; writable again: SERVING;
- the database file deleted under ozd (SQLite keeps writing to the unlinked
  inode, whose writes would vanish at the next start): NOT_SERVING, writes
  fail UNAVAILABLE instead of being acknowledged into a file no one will
  open again, and ozd does not crash.
Every wait is bounded (a few seconds)."""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
from faults import (OzdProcess, fail, health, ozclient, run_root,  # noqa
                    say, wait_for)

WAIT = 10  # seconds, at most, for Health to notice (its cache is 0.5 s)


def expect_health(c, want, what):
    wait_for(lambda: health(c) == want, WAIT, "%s: Health %s" % (what, want))
    say("%s: Health %s" % (what, want))


def sql(db, stmt):
    con = sqlite3.connect(db, timeout=10)
    con.execute(stmt)
    con.commit()
    con.close()


def tables_missing(srv, c):
    c.users.create("before", "before@example.com")
    sql(srv.db, "ALTER TABLE tasks RENAME TO tasks_gone")
    try:
        list(c.tasks.list())
        fail("ListTasks worked without its table")
    except ozclient.OzError as e:
        say("tables missing: ListTasks -> %s" % e.code.name)
    expect_health(c, "NOT_SERVING", "tables missing")
    sql(srv.db, "ALTER TABLE tasks_gone RENAME TO tasks")
    expect_health(c, "SERVING", "table back")


def schema_behind(srv, c):
    con = sqlite3.connect(srv.db, timeout=10)
    row = con.execute("SELECT revision, applied_at FROM oz_migrations "
                      "ORDER BY revision DESC LIMIT 1").fetchone()
    con.execute("DELETE FROM oz_migrations WHERE revision = ?", (row[0],))
    con.commit()
    expect_health(c, "NOT_SERVING", "schema behind")
    con.execute("INSERT INTO oz_migrations VALUES (?, ?)", row)
    con.commit()
    con.close()
    expect_health(c, "SERVING", "schema at head again")


def dir_read_only(srv, c):
    d = os.path.dirname(srv.db)
    if os.geteuid() == 0:
        # chmod does not stop root: make the path read-only by a bind
        # mount (ozd's open files keep their writable mount).
        if not (run_root(["mount", "--bind", d, d]) and
                run_root(["mount", "-o", "remount,bind,ro", d])):
            say("read-only directory: cannot bind-mount, part skipped")
            run_root(["umount", d])
            return
        undo = ["umount", "-l", d]
    else:
        os.chmod(d, 0o555)
        undo = None
    try:
        expect_health(c, "NOT_SERVING", "directory read-only")
        c.users.get_by_email("before@example.com")  # reads still work
        if srv.proc.poll() is not None:
            fail("ozd died with its directory read-only")
    finally:
        if undo:
            run_root(undo)
        else:
            os.chmod(d, 0o700)
    expect_health(c, "SERVING", "directory writable again")


def file_deleted(srv, c):
    os.unlink(srv.db)
    expect_health(c, "NOT_SERVING", "file deleted")
    try:
        c.users.create("into_the_void", "void@example.com")
        fail("a write was acknowledged into a deleted database file")
    except ozclient.OzError as e:
        if e.code != ozclient.Code.UNAVAILABLE:
            fail("write after delete: %s %s, want UNAVAILABLE" %
                 (e.code.name, e.message))
        say("file deleted: CreateUser -> UNAVAILABLE (%s)" % e.message)
    if srv.proc.poll() is not None:
        fail("ozd died after its file was deleted")


def main():
    with OzdProcess() as srv:
        with srv.client(retries=0) as c:
            if health(c) != "SERVING":
                fail("a fresh ozd is not SERVING")
            tables_missing(srv, c)
            schema_behind(srv, c)
            dir_read_only(srv, c)
            file_deleted(srv, c)
    say("ok")


if __name__ == "__main__":
    main()
