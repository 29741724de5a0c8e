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
