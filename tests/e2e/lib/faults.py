"""tests/e2e/lib/faults.py -- helpers shared by the fault tests
(tests/e2e/fault_*.py, tests/soak/soak.py), not a test itself: the Python
client on the path, a real ozd (ozclient.testing.OzdProcess), bounded
polling, a size-limited tmpfs, and a check of a database file."""
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "clients", "python"))
import ozclient  # noqa: E402,F401
from ozclient.testing import OzdProcess  # noqa: E402,F401

NAME = os.path.basename(sys.argv[0])


def fail(msg):
    print("%s: FAIL: %s" % (NAME, msg), file=sys.stderr)
    sys.exit(1)


def skip(msg):
    print("%s: SKIP: %s" % (NAME, msg))
    sys.exit(0)


def say(msg):
    print("%s: %s" % (NAME, msg), flush=True)


def wait_for(pred, timeout, what, step=0.05):
    """Polls pred() until true, at most timeout seconds; fails naming
    what otherwise. Returns pred's last value."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            fail("%s: not within %.0f s" % (what, timeout))
        time.sleep(step)


def health(client):
    """The server's Health/Check answer, or the error code's name."""
    try:
        return client.health.check(timeout=2)
    except ozclient.OzError as e:
        return e.code.name


def run_root(args):
    """Runs a command that needs root (mount); True if it worked."""
    r = subprocess.run(args, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    return r.returncode == 0


class Tmpfs:
    """A tmpfs of size bytes on a fresh directory (root only; CI runs as
    root). ok is False, with why set, when mounting is impossible."""

    def __init__(self, size):
        self.dir = tempfile.mkdtemp(prefix="oz-fault-fs.")
        self.ok = (os.geteuid() == 0 and run_root(
            ["mount", "-t", "tmpfs", "-o", "size=%d,mode=0700" % size,
             "oz-fault", self.dir]))
        self.why = ("not root" if os.geteuid() != 0
                    else "mount -t tmpfs failed")

    def close(self):
        if self.ok:
            run_root(["umount", "-l", self.dir])
        try:
            os.rmdir(self.dir)
        except OSError:
            pass


def check_db(path):
    """integrity_check and foreign_key_check of a database file (ozd
    stopped); fails the test on any problem. Returns the connection."""
    con = sqlite3.connect(path)
    ok = con.execute("PRAGMA integrity_check").fetchall()
    if ok != [("ok",)]:
        fail("integrity_check: %r" % (ok[:5],))
    fk = con.execute("PRAGMA foreign_key_check").fetchall()
    if fk:
        fail("foreign_key_check: %r" % (fk[:5],))
    return con


RETRY_CODES = ("DEADLINE_EXCEEDED", "UNAVAILABLE", "RESOURCE_EXHAUSTED")


class Ledger:
    """Keyed task creates and what came of them, for the lost/doubled
    check. Every create carries its own request_id and is retried with it
    until it succeeds (or retry_budget seconds pass), so each title must
    end up in the database exactly once, with the id its first
    acknowledgement gave."""

    def __init__(self):
        import collections
        import threading
        self.lock = threading.Lock()
        self.acked = {}        # title -> task id
        self.tried = set()     # titles
        self.calls = 0
        self.errors = collections.Counter()
        self.replays_differ = []

    def error(self, e):
        with self.lock:
            self.calls += 1
            self.errors[e.code.name] += 1

    def ok(self, title=None, tid=None):
        with self.lock:
            self.calls += 1
            if title is not None:
                if title in self.acked and self.acked[title] != tid:
                    self.replays_differ.append(title)
                self.acked[title] = tid


# Set, each retry carries a new request_id: the lost/doubled check must
# then find doubles (a way to see that it can fail).
FRESH_KEYS = bool(os.environ.get("OZ_FAULT_FRESH_KEYS"))


def keyed_create(c, ledger, user_id, title, stop, retry_budget=60.0):
    """Creates task title for user_id under one request_id, retried with
    it on DEADLINE_EXCEEDED/UNAVAILABLE/RESOURCE_EXHAUSTED for at most
    retry_budget seconds. Returns the id, or None if it never succeeded."""
    key = "key-" + title
    attempt = 0
    with ledger.lock:
        ledger.tried.add(title)
    end = time.monotonic() + retry_budget
    while time.monotonic() < end:
        attempt += 1
        if FRESH_KEYS:
            key = "key-%s-%d" % (title, attempt)
        try:
            t = c.tasks.create(user_id, title, request_id=key)
            ledger.ok(title, t.id)
            return t.id
        except ozclient.OzError as e:
            ledger.error(e)
            if e.code.name not in RETRY_CODES:
                return None
            time.sleep(0.05)
    return None


def task_rows(srv):
    """(id, title) of every task in srv's database (ozd stopped): the
    SQLite file after check_db, or through psql on PostgreSQL (whose
    foreign keys and pages are the server's to keep)."""
    if srv.database_url.startswith("sqlite:"):
        con = check_db(srv.db)
        rows = con.execute("SELECT id, title FROM tasks").fetchall()
        con.close()
        return rows
    out = subprocess.run(["psql", srv.database_url, "-AtqX", "-F", "\t",
                          "-c", "SELECT id, title FROM tasks"], check=True,
                         capture_output=True, text=True).stdout
    return [(int(i), t) for i, t in
            (line.split("\t", 1) for line in out.splitlines())]


def count_tasks(srv, ledger):
    """(lost, doubled, made up) for the ledger's tasks in srv's database
    (ozd stopped); on SQLite fails on integrity or foreign keys."""
    rows = {}
    for tid, title in task_rows(srv):
        rows.setdefault(title, []).append(tid)
    lost = [t for t, i in ledger.acked.items() if rows.get(t) != [i]]
    doubled = [t for t, ids in rows.items() if len(ids) > 1]
    made_up = [t for t in rows if t not in ledger.tried]
    return lost, doubled, made_up
