#!/usr/bin/python3
"""tests/e2e/crash_kill.py -- crashes lose nothing: a write load against a
real ozd ($OZD) on a temporary file database (under make test-postgres a
PostgreSQL database of its own), SIGKILLed at random moments
(at least KILLS times, within BUDGET seconds) and restarted each time.

Writer threads create users with unique names, then tasks for them, and
force-delete every other user (one call deleting a user and its tasks). Each
write is recorded before it is sent ("tried") and when acknowledged
("acked"); a write that fails is in flight at a kill: its outcome is unknown.
At the end, with ozd stopped, the database is read (sqlite3 or psql):
- every acknowledged create is present (same id), unless acknowledged deleted;
- every acknowledged delete is absent, with its tasks;
- every row is one the load tried to write (nothing made up);
- an unacknowledged force delete is all or nothing: the user is either
  present with all its acknowledged tasks or gone with all of them;
- no task without its user; PRAGMA integrity_check says ok (SQLite).
Run by tests/e2e/crash_kill.sh. Servers only on 127.0.0.1."""
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
import ozclient  # noqa: E402
from ozclient.testing import (database_url_for, drop_database_for,  # noqa
                              postgres_url)

KILLS = int(os.environ.get("CRASH_KILLS", "25"))
SYNC = os.environ.get("CRASH_SYNC", "full")  # ozd --synchronous
BUDGET = float(os.environ.get("CRASH_BUDGET", "60"))  # seconds, at most
WRITERS = 3
TASKS_PER_USER = 2


def fail(msg):
    print("crash_kill: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Ledger:
    """What the load tried and what was acknowledged (under one lock).
    Keys are names and titles, never ids: SQLite may give a deleted row's
    id to the next insert."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tried_users = set()      # usernames
        self.acked_users = {}         # username -> id
        self.tried_tasks = {}         # title -> username
        self.acked_tasks = {}         # title -> task id
        self.tried_deletes = set()    # usernames
        self.acked_deletes = set()    # usernames
        self.acked_count = 0
        self.failed = 0


class Server:
    def __init__(self, ozd, db, url, log):
        self.args = [ozd, "--database-url", database_url_for(db),
                     "--migrate", "--listen", url, "--log-level", "warn",
                     "--synchronous", SYNC]
        self.url = url
        self.log = log
        self.proc = None

    def start(self):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.args, stdout=log, stderr=log)
        deadline = time.monotonic() + 15
        with ozclient.connect(self.url, timeout=0.5, retries=0) as c:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    fail("ozd exited %d at start; see %s" %
                         (self.proc.returncode, self.log))
                try:
                    if c.health.check(timeout=0.5) == "SERVING":
                        return
                except ozclient.OzError:
                    time.sleep(0.02)
        fail("ozd did not become SERVING within 15 s")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def writer(url, wid, ledger, stop):
    n = 0
    with ozclient.connect(url, timeout=2, retries=0) as c:
        while not stop.is_set() and n < 100000:
            n += 1
            name = "w%d_u%d" % (wid, n)
            with ledger.lock:
                ledger.tried_users.add(name)
            try:
                u = c.users.create(name, name + "@example.com")
            except ozclient.OzError:
                with ledger.lock:
                    ledger.failed += 1
                time.sleep(0.01)
                continue
            with ledger.lock:
                ledger.acked_users[name] = u.id
                ledger.acked_count += 1
            for k in range(TASKS_PER_USER):
                title = "%s_t%d" % (name, k)
                with ledger.lock:
                    ledger.tried_tasks[title] = name
                try:
                    t = c.tasks.create(u.id, title)
                except ozclient.OzError:
                    with ledger.lock:
                        ledger.failed += 1
                    continue
                with ledger.lock:
                    ledger.acked_tasks[title] = t.id
                    ledger.acked_count += 1
            if n % 2 == 0:
                with ledger.lock:
                    ledger.tried_deletes.add(name)
                try:
                    c.users.delete(u.id, force=True)
                except ozclient.OzError:
                    with ledger.lock:
                        ledger.failed += 1
                    continue
                with ledger.lock:
                    ledger.acked_deletes.add(name)
                    ledger.acked_count += 1


def rows(db):
    """(users, tasks) rows of the database: the SQLite file after its
    integrity and foreign key checks, or through psql on PostgreSQL
    (whose pages and foreign keys are the server's to keep)."""
    users_sql = "SELECT id, username FROM users"
    tasks_sql = "SELECT id, user_id, title FROM tasks"
    if postgres_url() is not None:
        def q(sql):
            out = subprocess.run(
                ["psql", database_url_for(db, fresh=False), "-AtqX", "-F",
                 "\t", "-c", sql], check=True, capture_output=True,
                text=True).stdout
            return [[int(v) if v.isdigit() else v for v in line.split("\t")]
                    for line in out.splitlines()]
        return q(users_sql), q(tasks_sql)
    con = sqlite3.connect(db)
    ok = con.execute("PRAGMA integrity_check").fetchall()
    if ok != [("ok",)]:
        fail("integrity_check: %r" % (ok,))
    fk = con.execute("PRAGMA foreign_key_check").fetchall()
    if fk:
        fail("foreign_key_check: %r" % (fk[:5],))
    out = (con.execute(users_sql).fetchall(),
           con.execute(tasks_sql).fetchall())
    con.close()
    return out


def check(db, ledger):
    user_rows, task_rows = rows(db)
    users = {name: uid for uid, name in user_rows}
    by_id = {uid: name for name, uid in users.items()}
    tasks = {}  # title -> (task id, owner's username or None)
    for tid, uid, title in task_rows:
        tasks[title] = (tid, by_id.get(uid))

    for name, uid in ledger.acked_users.items():
        if name in ledger.acked_deletes:
            if name in users:
                fail("acknowledged delete of %s undone" % name)
        elif name in ledger.tried_deletes and name not in users:
            pass  # its delete was in flight at a kill
        elif users.get(name) != uid:
            fail("acknowledged user %s id %d lost (found %r)" %
                 (name, uid, users.get(name)))
    for title, tid in ledger.acked_tasks.items():
        owner = ledger.tried_tasks[title]
        if owner in ledger.tried_deletes and owner not in users:
            if title in tasks:
                fail("task %s outlives the delete of %s" % (title, owner))
            continue
        if tasks.get(title) != (tid, owner):
            fail("acknowledged task %s id %d of %s lost (found %r)" %
                 (title, tid, owner, tasks.get(title)))
    for name in users:
        if name not in ledger.tried_users:
            fail("user %s was never written" % name)
    for title, (tid, owner) in tasks.items():
        if title not in ledger.tried_tasks:
            fail("task %s was never written" % title)
        if owner != ledger.tried_tasks[title]:
            fail("task %s belongs to %r, not %s" %
                 (title, owner, ledger.tried_tasks[title]))
    # A force delete is one transaction: all of the user's rows or none.
    for name in ledger.tried_deletes - ledger.acked_deletes:
        mine = [t for t, o in ledger.tried_tasks.items() if o == name]
        if name in users:
            gone = [t for t in mine if t in ledger.acked_tasks and
                    t not in tasks]
            if gone:
                fail("%s present but its tasks %r gone" % (name, gone))
        elif any(t in tasks for t in mine):
            fail("%s deleted without its tasks" % name)
    return len(users), len(tasks)


def main():
    ozd = os.environ.get("OZD", "build/ozd")
    tmp = tempfile.mkdtemp(prefix="oz-crash-")
    db = os.path.join(tmp, "crash.db")
    log = os.path.join(tmp, "ozd.log")
    url = "tcp://127.0.0.1:%d" % free_port()
    server = Server(ozd, db, url, log)
    ledger = Ledger()
    rnd = random.Random(int(os.environ.get("CRASH_SEED", str(os.getpid()))))
    start = time.monotonic()
    server.start()
    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(url, i, ledger, stop))
               for i in range(WRITERS)]
    for t in threads:
        t.start()
    kills = 0
    try:
        while kills < KILLS and time.monotonic() - start < BUDGET - 10:
            time.sleep(rnd.uniform(0.05, 0.6))
            server.kill()
            kills += 1
            time.sleep(rnd.uniform(0, 0.1))
            server.start()
    finally:
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join(timeout=15)
        server.stop()
    if kills < KILLS:
        fail("only %d kills within the %.0f s budget" % (kills, BUDGET))
    if len(ledger.acked_users) < KILLS:
        fail("too few acknowledged writes (%d) to mean anything" %
             len(ledger.acked_users))
    n_users, n_tasks = check(db, ledger)
    on = "postgres" if postgres_url() else "synchronous=%s" % SYNC
    print("crash_kill: ok (%s): %d SIGKILLs in %.1f s; "
          "%d writes acknowledged, "
          "%d failed (in flight at a kill or sent while ozd was down); "
          "%d users and %d tasks in the database%s" %
          (on, kills, time.monotonic() - start, ledger.acked_count,
           ledger.failed, n_users, n_tasks,
           "" if postgres_url() else "; integrity_check ok"))
    drop_database_for(db)
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
