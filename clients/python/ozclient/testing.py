"""ozclient.testing -- start and stop a real ozd process for tests and tools.

Used by the pytest suite and tools/capture_dump.py. It runs the ozd binary
given to it (env OZD in `make test`) on a loopback port or an ipc:// path in
a temporary directory, with a fresh SQLite database (or, when
OZ_TEST_DATABASE_URL names a PostgreSQL database, as in `make
test-postgres`, a fresh database of that cluster, made with psql and
dropped by cleanup); it must never touch a database or address it did not
create.
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import zlib

from .client import Client
from .errors import OzError

_HERE = os.path.dirname(os.path.abspath(__file__))


def find_ozd():
    """The ozd binary: $OZD, else build/ozd of this checkout."""
    path = os.environ.get("OZD")
    if not path:
        path = os.path.normpath(os.path.join(_HERE, "..", "..", "..",
                                             "build", "ozd"))
    if not os.access(path, os.X_OK):
        raise RuntimeError("ozd not found at %s: build it (make) or set OZD"
                           % path)
    return path


def free_port():
    """A loopback TCP port that was free a moment ago, from a range the
    kernel does not hand out for outgoing connections."""
    for _ in range(100):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found")


def postgres_url():
    """OZ_TEST_DATABASE_URL when it names a PostgreSQL database, else
    None (the tests run on SQLite)."""
    url = os.environ.get("OZ_TEST_DATABASE_URL", "")
    if url.startswith(("postgresql://", "postgres://")):
        return url
    return None


def _pg_name(path):
    return "oz_py_%08x" % zlib.crc32(path.encode())


def _psql(sql):
    env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
    subprocess.run(["psql", postgres_url(), "-Atq", "-c", sql],
                   check=True, stdout=subprocess.DEVNULL, env=env)


def database_url_for(path, fresh=True):
    """The --database-url for a test database at path: sqlite:///path, or
    on PostgreSQL a database of OZ_TEST_DATABASE_URL's cluster named after
    path (made anew, empty, when fresh)."""
    base = postgres_url()
    if base is None:
        return "sqlite:///" + path
    name = _pg_name(path)
    if fresh:
        _psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        _psql("CREATE DATABASE %s" % name)
    scheme, rest = base.split("://", 1)
    cut = min([i for i in (rest.find("/"), rest.find("?")) if i >= 0] +
              [len(rest)])
    query = rest.find("?")
    return "%s://%s/%s%s" % (scheme, rest[:cut], name,
                             rest[query:] if query >= 0 else "")


def drop_database_for(path):
    """Drops the PostgreSQL database that database_url_for(path) made."""
    if postgres_url() is not None:
        _psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % _pg_name(path))


def started(**kw):
    """An OzdProcess(**kw), started; cleaned up if it does not start."""
    srv = OzdProcess(**kw)
    try:
        srv.start()
    except Exception:
        srv.cleanup()
        raise
    return srv


class _AddressInUse(RuntimeError):
    """ozd could not listen on the address it was given."""


class OzdProcess:
    """One ozd on a fresh database. extra_listen adds ipc:// (a socket in
    the temp dir) and/or ws:// URLs next to the tcp one; extra_args go to
    ozd as they are.

        with OzdProcess() as srv:
            with srv.client() as oz: ...
    """

    def __init__(self, ozd=None, extra_args=(), ipc=False, ws=False,
                 start_timeout=10.0):
        self.ozd = ozd or find_ozd()
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        self.dir = tempfile.mkdtemp(prefix="ozclient-test.")
        self.db = os.path.join(self.dir, "oz.db")
        self._pg_db = None  # The path a PostgreSQL database was made for,
        self._pg_url = None  # and its URL (database_url).
        self.log_path = os.path.join(self.dir, "ozd.log")
        self.port = free_port()
        self.url = "tcp://127.0.0.1:%d" % self.port
        self.ipc_url = ("ipc://" + os.path.join(self.dir, "oz.sock")
                        if ipc else None)
        self.ws_url = ("ws://127.0.0.1:%d/oz" % free_port() if ws else None)
        self.proc = None
        self._log = None
        self.started_once = False

    @property
    def database_url(self):
        """ozd's --database-url: sqlite:/// and self.db (which a test may
        move before the first start), or the PostgreSQL database made for
        it on first use."""
        if postgres_url() is None:
            return "sqlite:///" + self.db
        if self._pg_db is None:
            self._pg_url = database_url_for(self.db)
            self._pg_db = self.db
        return self._pg_url

    # --- lifecycle ----------------------------------------------------------
    def args(self):
        a = [self.ozd, "--listen", self.url]
        for u in (self.ipc_url, self.ws_url):
            if u:
                a += ["--listen", u]
        a += ["--database-url", self.database_url, "--migrate"]
        return a + self.extra_args

    def start(self):
        """Starts ozd and waits until it answers a health check. On the
        first start, a port taken meanwhile by someone else is replaced by
        a fresh one (up to 3 tries); a restart keeps its address."""
        for attempt in range(3):
            try:
                return self._start_once()
            except _AddressInUse:
                if self.started_once or attempt == 2:
                    raise
                self.port = free_port()
                self.url = "tcp://127.0.0.1:%d" % self.port
                if self.ws_url:
                    self.ws_url = "ws://127.0.0.1:%d/oz" % free_port()

    def _start_once(self):
        if self.proc is not None:
            raise RuntimeError("already running")
        offset = os.path.getsize(self.log_path) if os.path.exists(
            self.log_path) else 0
        self._log = open(self.log_path, "ab")
        # ozd reads OZ_* variables and ./.env: keep the caller's out.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("OZ_") and k != "DATABASE_URL"}
        self.proc = subprocess.Popen(self.args(), stdout=self._log,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir,
                                     env=env)
        deadline = time.monotonic() + self.start_timeout
        with Client(self.url, timeout=1.0, retries=0) as c:
            while True:
                if self.proc.poll() is not None:
                    text = self.log()
                    self._reap()
                    if "cannot listen" in text[-2000:]:
                        raise _AddressInUse(text)
                    raise RuntimeError("ozd exited:\n%s" % text)
                # Ready when OUR ozd says it serves (not just anything on
                # the port) and answers.
                if " serving" in self._log_since(offset):
                    try:
                        if c.health.check(timeout=0.5) == "SERVING":
                            self.started_once = True
                            return self
                    except OzError:
                        pass
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError("ozd did not answer within %.0f s:\n%s"
                                       % (self.start_timeout, self.log()))
                time.sleep(0.02)

    def _log_since(self, offset):
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(offset)
                return fh.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout=10.0):
        """SIGTERM, then wait (SIGKILL after timeout). Returns the exit
        status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self._reap()

    def kill(self):
        """SIGKILL (also works on a stopped process). Returns the status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        return self._reap()

    def pause(self, timeout=5.0):
        """SIGSTOP, and wait until every thread is really stopped (signal
        delivery is asynchronous)."""
        self.proc.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + timeout
        task_dir = "/proc/%d/task" % self.proc.pid
        while time.monotonic() < deadline:
            states = []
            for tid in os.listdir(task_dir):
                try:
                    with open("%s/%s/stat" % (task_dir, tid)) as fh:
                        states.append(fh.read().rsplit(")", 1)[1].split()[0])
                except OSError:
                    pass
            if states and all(s in ("T", "t") for s in states):
                return
            time.sleep(0.005)
        raise RuntimeError("ozd did not stop within %.0f s" % timeout)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def _reap(self):
        rc = self.proc.returncode
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        if self.ipc_url:
            try:  # a killed ozd leaves its socket file behind
                os.unlink(self.ipc_url[len("ipc://"):])
            except OSError:
                pass
        return rc

    def restart(self):
        self.stop()
        return self.start()

    def log(self):
        try:
            with open(self.log_path, "rb") as fh:
                return fh.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def cleanup(self):
        self.kill()
        if self._pg_db is not None:
            drop_database_for(self._pg_db)
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, url=None, **options):
        options.setdefault("timeout", 10.0)
        return Client(url or self.url, **options)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
