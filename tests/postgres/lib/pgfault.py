"""tests/postgres/lib/pgfault.py -- helpers of the PostgreSQL fault tests
(tests/postgres/pg_*.py), not a test itself: a throwaway cluster of the
test's own (scripts/pg.sh) that can be stopped and started under ozd,
psql on it, ozd serving a fresh database of it, and a writer load whose
acknowledged creates are kept to be looked for afterwards."""
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e", "lib"))
from faults import fail, health, ozclient, say, wait_for  # noqa: E402,F401
from ozclient import testing  # noqa: E402

PG_SH = os.path.join(ROOT, "scripts", "pg.sh")


class Cluster:
    """A PostgreSQL cluster in a temporary directory (scripts/pg.sh)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ozpg-fault.")
        os.chmod(self.dir, 0o711)
        self.pg = os.path.join(self.dir, "pg")
        self.start()
        out = subprocess.run(["sh", PG_SH, "env", self.pg], check=True,
                             capture_output=True, text=True).stdout
        self.url = out.strip().split("=", 1)[1]
        # OzdProcess makes its databases on this cluster.
        os.environ["OZ_TEST_DATABASE_URL"] = self.url

    def start(self):
        subprocess.run(["sh", PG_SH, "start", self.pg], check=True,
                       stdout=subprocess.DEVNULL)

    def stop(self):
        subprocess.run(["sh", PG_SH, "stop", self.pg], check=True,
                       stdout=subprocess.DEVNULL)

    def psql(self, sql, url=None):
        """Rows of sql as lists of strings."""
        out = subprocess.run(
            ["psql", url or self.url, "-AtqX", "-F", "\t", "-v",
             "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def close(self):
        try:
            self.stop()
        finally:
            subprocess.run(["rm", "-rf", self.dir])


@contextlib.contextmanager
def served(**kw):
    """(cluster, srv): a Cluster of the test's own and ozd (an OzdProcess
    with **kw, started) on a fresh database of it (srv.database_url);
    both cleaned up at the end."""
    cluster = Cluster()
    srv = None
    try:
        srv = testing.started(**kw)
        yield cluster, srv
    finally:
        if srv is not None:
            srv.cleanup()
        cluster.close()


class Writers:
    """threads clients creating users (unkeyed, one name each) until
    stop() or max_calls each; every acknowledged create is kept in acked
    {id: username}, every error counted by code name."""

    def __init__(self, url, threads=4, max_calls=5000, prefix="w"):
        self.url = url
        self.acked = {}
        self.errors = {}
        self.acked_at = []  # monotonic time of each ack
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run,
                                         args=(prefix, i, max_calls))
                        for i in range(threads)]
        for t in self.threads:
            t.start()

    def _run(self, prefix, i, max_calls):
        with ozclient.Client(self.url, timeout=2.0, retries=0) as c:
            for n in range(max_calls):
                if self.stopping.is_set():
                    return
                name = "%s%d-%d" % (prefix, i, n)
                try:
                    u = c.users.create(username=name,
                                       email=name + "@example.com")
                except ozclient.OzError as e:
                    with self.lock:
                        k = e.code.name
                        self.errors[k] = self.errors.get(k, 0) + 1
                    time.sleep(0.02)
                    continue
                with self.lock:
                    self.acked[u.id] = name
                    self.acked_at.append(time.monotonic())

    def acks_since(self, t):
        with self.lock:
            return sum(1 for a in self.acked_at if a > t)

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=30)
            if t.is_alive():
                fail("a writer thread did not stop")


def check_acked(cluster, srv, acked):
    """Every acknowledged create is in the database with its name."""
    rows = dict((int(i), n) for i, n in cluster.psql(
        "SELECT id, username FROM users", url=srv.database_url))
    lost = [(i, n) for i, n in acked.items() if rows.get(i) != n]
    if lost:
        fail("%d acknowledged creates not found, first %r"
             % (len(lost), lost[:3]))
    return len(rows)
