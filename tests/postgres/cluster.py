"""tests/postgres/cluster.py -- the real processes of the several-server
tests: a PostgreSQL primary with a synchronous standby (scripts/pg.sh) and
any number of ozd ($OZD) on one database URL, each on a random 127.0.0.1
port. Used by two_servers.py and failover.py; nothing here checks oz's
behaviour, it only starts, kills and stops things, bounded in time."""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from ozclient.testing import OzdProcess  # noqa: E402

PG_SH = os.path.join(ROOT, "scripts", "pg.sh")


def fail(name, msg):
    print("%s: FAIL: %s" % (name, msg), file=sys.stderr)
    sys.exit(1)


def pg(*args):
    """Runs scripts/pg.sh ARGS and returns its standard output."""
    out = subprocess.run(["sh", PG_SH] + list(args), check=True,
                         stdout=subprocess.PIPE, text=True, timeout=120)
    return out.stdout


def pg_url(*dirs):
    for line in pg("env", *dirs).splitlines():
        if line.startswith("DATABASE_URL="):
            return line[len("DATABASE_URL="):]
    raise RuntimeError("pg.sh env printed no DATABASE_URL")


def psql(url, sql):
    """Rows of one query as tuples of strings (tab-separated output; the
    tests write no tabs or newlines into the columns they read)."""
    out = subprocess.run(["psql", url, "-XAtq", "-F", "\t", "-c", sql],
                         check=True, stdout=subprocess.PIPE, text=True,
                         timeout=60)
    return [tuple(line.split("\t")) for line in out.stdout.splitlines()]


def cpu_seconds(pids):
    """User + system CPU seconds used so far by the processes pids (those
    that have exited count nothing)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def children(pid):
    """The pids of pid's child processes."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


class Postgres:
    """A primary and, with standby=True, a synchronous streaming standby,
    each in its own temporary directory (unix sockets only)."""

    def __init__(self, standby=True):
        tmp = os.environ.get("TMPDIR", "/tmp")
        self.primary = tempfile.mkdtemp(prefix="ozpgp.", dir=tmp)
        self.standby = tempfile.mkdtemp(prefix="ozpgs.", dir=tmp) \
            if standby else None
        pg("start", self.primary)
        if standby:
            pg("standby", self.standby, self.primary)

    def url(self):
        """The URL every ozd uses: with a standby, the libpq host list of
        both with target_session_attrs=read-write."""
        dirs = [self.primary] + ([self.standby] if self.standby else [])
        return pg_url(*dirs)

    def pids(self):
        """The primary's postmaster and its children."""
        try:
            with open(os.path.join(self.primary, "data",
                                   "postmaster.pid")) as f:
                pid = int(f.readline())
        except (OSError, ValueError):
            return []
        return [pid] + children(pid)

    def kill_primary(self):
        pg("kill", self.primary)

    def promote(self):
        pg("promote", self.standby)

    def save_logs(self, into):
        """Copies the server logs of both into the directory into."""
        for role, d in (("primary", self.primary), ("standby", self.standby)):
            if d and os.path.exists(os.path.join(d, "server.log")):
                shutil.copy(os.path.join(d, "server.log"),
                            os.path.join(into, "pg-%s.log" % role))

    def close(self):
        for d in (self.standby, self.primary):
            if d:
                try:
                    pg("stop", d)
                except subprocess.SubprocessError:
                    pass
                subprocess.run(["rm", "-rf", d], check=False)


class Ozd(OzdProcess):
    """One ozd on db_url (an ozclient.testing.OzdProcess: a random port,
    its log in its own temporary directory, start() waits until it
    serves, kill() is SIGKILL, start() again keeps the address)."""

    def __init__(self, db_url, migrate=False):
        ozd = os.environ.get("OZD", os.path.join(ROOT, "build", "ozd"))
        super().__init__(ozd=os.path.abspath(ozd), start_timeout=20.0)
        self.db_url = db_url
        self.migrate = migrate

    def args(self):
        level = os.environ.get("OZ_TEST_LOG_LEVEL", "info")
        a = [self.ozd, "--listen", self.url, "--database-url", self.db_url,
             "--log-level", level]
        return a + (["--migrate"] if self.migrate else [])

    def alive(self):
        return self.proc is not None and self.proc.poll() is None
