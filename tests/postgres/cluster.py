"""tests/postgres/cluster.py -- the real processes of the several-server
tests: a PostgreSQL primary with a synchronous standby (scripts/pg.sh) and
any number of ozd ($OZD) on one database URL, each on a random 127.0.0.1
port. Used by two_servers.py and failover.py; nothing here checks oz's
behaviour, it only starts, kills and stops things, bounded in time."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
import ozclient  # noqa: E402

PG_SH = os.path.join(ROOT, "scripts", "pg.sh")


def fail(name, msg):
    print("%s: FAIL: %s" % (name, msg), file=sys.stderr)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


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


class Ozd:
    """One ozd process on a random port. start() waits until it is
    SERVING (at most 20 s)."""

    def __init__(self, name, db_url, log, migrate=False):
        self.name = name
        self.db_url = db_url
        self.url = "tcp://127.0.0.1:%d" % free_port()
        self.log = log
        self.migrate = migrate
        self.proc = None

    def start(self):
        args = [os.environ.get("OZD", "build/ozd"), "--database-url",
                self.db_url, "--listen", self.url, "--log-level",
                os.environ.get("OZ_TEST_LOG_LEVEL", "info")]
        if self.migrate:
            args.append("--migrate")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=log)
        deadline = time.monotonic() + 20
        with ozclient.connect(self.url, timeout=0.5, retries=0) as c:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError("%s exited %d at start; see %s" %
                                       (self.name, self.proc.returncode,
                                        self.log))
                try:
                    if c.health.check(timeout=0.5) == "SERVING":
                        return
                except ozclient.OzError:
                    pass
                time.sleep(0.05)
        raise RuntimeError("%s not SERVING within 20 s; see %s" %
                           (self.name, self.log))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if not self.alive():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
