"""tests/postgres/pg_terminate.py -- ozd's PostgreSQL connections killed
with pg_terminate_backend under a read and write load, three times: the
calls caught by a kill fail UNAVAILABLE (never another code, never a
hang), then reads and writes work again by themselves (ozd reconnects; it
is never restarted), and every acknowledged create is found afterwards.
Bounded: each wait is at most 30 s, the load at most 3000 calls a
thread."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
from pgfault import (Writers, check_acked, fail, ozclient, say,  # noqa
                     served, wait_for)

KILLS = 3


class Reader:
    """GetUser of the first user, over and over; counts successes."""

    def __init__(self, url, uid):
        self.ok = 0
        self.errors = {}
        self.stopping = threading.Event()
        self.t = threading.Thread(target=self._run, args=(url, uid))
        self.t.start()

    def _run(self, url, uid):
        with ozclient.Client(url, timeout=2.0, retries=0) as c:
            for _ in range(20000):
                if self.stopping.is_set():
                    return
                try:
                    c.users.get(uid)
                    self.ok += 1
                except ozclient.OzError as e:
                    k = e.code.name
                    self.errors[k] = self.errors.get(k, 0) + 1
                    time.sleep(0.02)

    def stop(self):
        self.stopping.set()
        self.t.join(timeout=30)


def main():
    with served() as (cluster, srv):
        pid = srv.proc.pid
        db = srv.database_url.split("?")[0].rsplit("/", 1)[1]
        with srv.client(timeout=5.0) as c:
            first = c.users.create(username="first",
                                   email="first@example.com")
        w = Writers(srv.url, threads=3, max_calls=3000)
        r = Reader(srv.url, first.id)
        wait_for(lambda: len(w.acked) >= 30, 30, "30 creates first")
        for k in range(KILLS):
            killed = cluster.psql(
                "SELECT count(pg_terminate_backend(pid)) FROM "
                "pg_stat_activity WHERE datname = '%s' AND pid <> "
                "pg_backend_pid()" % db)[0][0]
            at = time.monotonic()
            reads = r.ok
            say("kill %d: %s connections terminated" % (k + 1, killed))
            if int(killed) == 0:
                fail("ozd had no connection to terminate")
            wait_for(lambda: w.acks_since(at) >= 20, 30,
                     "creates acknowledged after kill %d" % (k + 1))
            wait_for(lambda: r.ok > reads + 20, 30,
                     "reads answered after kill %d" % (k + 1))
        w.stop()
        r.stop()
        if srv.proc.poll() is not None or srv.proc.pid != pid:
            fail("ozd did not stay up")
        bad = set(w.errors) | set(r.errors)
        bad.discard("UNAVAILABLE")
        if bad:
            fail("calls failed with %r (writes %r, reads %r), only "
                 "UNAVAILABLE is expected" % (bad, w.errors, r.errors))
        n = check_acked(cluster, srv, w.acked)
        say("ok: %d kills; %d creates acknowledged, all found (%d rows); "
            "%d reads; errors: writes %r, reads %r"
            % (KILLS, len(w.acked), n, r.ok, w.errors, r.errors))


main()
