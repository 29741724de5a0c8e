"""tests/postgres/pg_restart.py -- the PostgreSQL server stopped and
started again under a write load, ozd left running: no acknowledged
create is lost (each is found afterwards with its name), calls during the
outage fail with a status (no hang past their deadline), Health answers
NOT_SERVING while the server is down, and service returns by itself:
Health SERVING again and new creates acknowledged, by the same ozd
process. Bounded: the load stops after its calls or about 12 s; each wait
is at most 30 s."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
from pgfault import (Writers, check_acked, fail, health, say,  # noqa
                     served, wait_for)


def main():
    with served() as (cluster, srv):
        pid = srv.proc.pid
        with srv.client(timeout=2.0, retries=0) as c:
            w = Writers(srv.url, threads=4, max_calls=3000)
            wait_for(lambda: len(w.acked) >= 50, 30, "50 creates before")
            say("stopping PostgreSQL after %d creates" % len(w.acked))
            cluster.stop()
            down = time.monotonic()
            wait_for(lambda: health(c) == "NOT_SERVING", 30,
                     "Health NOT_SERVING while PostgreSQL is down")
            time.sleep(1.0)
            cluster.start()
            up = time.monotonic()
            say("PostgreSQL started again after %.1f s" % (up - down))
            wait_for(lambda: health(c) == "SERVING", 30,
                     "Health SERVING after PostgreSQL came back")
            wait_for(lambda: w.acks_since(up) >= 50, 30,
                     "50 creates acknowledged after the restart")
            w.stop()
            if srv.proc.poll() is not None or srv.proc.pid != pid:
                fail("ozd did not stay up: %s" % srv.log()[-2000:])
        n = check_acked(cluster, srv, w.acked)
        say("ok: %d acknowledged creates all found (%d rows), errors "
            "during the outage %r" % (len(w.acked), n, w.errors))


main()
