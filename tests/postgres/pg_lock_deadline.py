"""tests/postgres/pg_lock_deadline.py -- a write held by a row lock taken
from psql until its deadline: UpdateUser with a 1 s deadline answers
DEADLINE_EXCEEDED (ozd's log says so: the server's answer, not only the
client's timer), the statement is cancelled on the server (no ozd
connection is left waiting on the lock in pg_stat_activity while psql
still holds it), reads of the locked row go on meanwhile, and once psql
lets go the same update succeeds. Bounded: each wait at most 10 s."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
from pgfault import Cluster, fail, ozclient, ozd_on, say, wait_for  # noqa


def main():
    cluster = Cluster()
    srv = None
    holder = None
    try:
        srv = ozd_on(cluster, extra_args=["--log-level", "info"])
        url = srv.database_url
        db = url.split("?")[0].rsplit("/", 1)[1]
        with srv.client(timeout=5.0, retries=0) as c:
            u = c.users.create(username="locked", email="l@example.com")
            holder = subprocess.Popen(
                ["psql", url, "-AtqX", "-v", "ON_ERROR_STOP=1"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            holder.stdin.write("BEGIN;\nSELECT pg_backend_pid() FROM users "
                               "WHERE id = %d FOR UPDATE;\n" % u.id)
            holder.stdin.flush()
            hpid = holder.stdout.readline().strip()
            if not hpid.isdigit():
                fail("psql did not take the lock: %r" % hpid)
            say("psql (pid %s) holds user %d's row" % (hpid, u.id))
            try:
                c.users.update(u.id, username="renamed", timeout=1.0)
                fail("the update ran through a held row lock")
            except ozclient.OzError as e:
                if e.code.name != "DEADLINE_EXCEEDED":
                    fail("update: %s %s, want DEADLINE_EXCEEDED"
                         % (e.code.name, e.message))
            wait_for(lambda: "UpdateUser code=DEADLINE_EXCEEDED"
                     in srv.log(), 10,
                     "ozd's log line of the UpdateUser's DEADLINE_EXCEEDED")
            waiting_sql = (
                "SELECT pid, state, wait_event_type, query FROM "
                "pg_stat_activity WHERE datname = '%s' AND pid <> %s AND "
                "pid <> pg_backend_pid() AND state = 'active' AND "
                "wait_event_type = 'Lock'" % (db, hpid))
            wait_for(lambda: cluster.psql(waiting_sql) == [], 10,
                     "no ozd statement left waiting on the lock")
            # The lock is still held: prove it, and that reads go on.
            if holder.poll() is not None:
                fail("psql exited early")
            if c.users.get(u.id).username != "locked":
                fail("read of the locked row")
            holder.stdin.write("ROLLBACK;\n\\q\n")
            holder.stdin.flush()
            holder.wait(timeout=10)
            holder = None
            v = c.users.update(u.id, username="renamed", timeout=5.0)
            if v.username != "renamed":
                fail("update after the lock went: %r" % v.username)
        say("ok: DEADLINE_EXCEEDED, statement cancelled on the server, "
            "the update went through once the lock was gone")
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
        if srv is not None:
            srv.cleanup()
        cluster.close()


main()
