#!/usr/bin/python3
"""tests/e2e/fault_disk_full.py -- a full disk under write load, against a
real ozd ($OZD) whose database lives on a small tmpfs made by the test
(root only; CI runs as root; skipped with a message otherwise).

A filler file takes most of the filesystem, then writer threads create
users and tasks (2 KB descriptions) until writes fail. Checked:
- writes fail only with RESOURCE_EXHAUSTED or UNAVAILABLE (never INTERNAL,
  never a crash), and Health says NOT_SERVING while they do;
- reads keep working on the full disk;
- once the filler is removed, writes succeed again by themselves (no
  restart) and Health says SERVING;
- at the end (ozd stopped): every acknowledged write is there, exactly
  once, nothing unacknowledged-and-impossible, and integrity_check is ok.
Bounded: at most WRITES_MAX calls and BUDGET seconds per phase."""
import collections
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
from faults import (OzdProcess, Tmpfs, check_db, fail, health,  # noqa
                    ozclient, say, skip, wait_for)

FS_BYTES = 8 << 20
FREE_BYTES = 1536 << 10      # left free by the filler
BUDGET = 60                  # seconds, at most, per phase
WRITES_MAX = 20000           # calls, at most, per phase
WRITERS = 3
ALLOWED = ("RESOURCE_EXHAUSTED", "UNAVAILABLE")


class Load:
    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}          # title or username -> id
        self.errors = collections.Counter()
        self.calls = 0
        self.stop = threading.Event()
        self.failing = threading.Event()

    def note(self, key, value=None, err=None):
        with self.lock:
            self.calls += 1
            if err is not None:
                self.errors[err.code.name] += 1
                if err.code.name not in ALLOWED:
                    say("unexpected %s: %s" % (err.code.name, err.message))
                self.failing.set()
            else:
                self.acked[key] = value


def writer(url, wid, load, phase):
    with ozclient.connect(url, timeout=5, retries=0) as c:
        for n in range(WRITES_MAX // WRITERS):
            if load.stop.is_set():
                return
            name = "p%d_w%d_u%d" % (phase, wid, n)
            try:
                u = c.users.create(name, name + "@example.com")
                load.note(name, u.id)
                title = name + "_t"
                t = c.tasks.create(u.id, title, description="x" * 2048)
                load.note(title, t.id)
            except ozclient.OzError as e:
                load.note(None, err=e)
                time.sleep(0.02)


def run_phase(url, load, phase, until):
    load.stop.clear()
    threads = [threading.Thread(target=writer, args=(url, i, load, phase))
               for i in range(WRITERS)]
    for t in threads:
        t.start()
    end = time.monotonic() + BUDGET
    while time.monotonic() < end and not until():
        time.sleep(0.05)
    load.stop.set()
    for t in threads:
        t.join(30)
    return until()


def main():
    fs = Tmpfs(FS_BYTES)
    if not fs.ok:
        skip("needs a tmpfs (%s); CI runs as root" % fs.why)
    srv = OzdProcess()
    srv.db = os.path.join(fs.dir, "oz.db")
    filler = os.path.join(fs.dir, "filler")
    try:
        srv.start()
        st = os.statvfs(fs.dir)
        with open(filler, "wb") as fh:
            fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - FREE_BYTES))
        load = Load()
        with srv.client(retries=0, timeout=5) as c:
            # Keep writing into the full disk for a while: every failed
            # COMMIT must leave the writer able to go on.
            if not run_phase(srv.url, load, 1,
                             lambda: sum(load.errors.values()) >= 100):
                fail("writes never failed on a full disk")
            say("full: %d calls, errors %s" % (load.calls,
                                               dict(load.errors)))
            bad = set(load.errors) - set(ALLOWED)
            if bad:
                fail("writes on a full disk failed with %s" % sorted(bad))
            if srv.proc.poll() is not None:
                fail("ozd died on a full disk")
            wait_for(lambda: health(c) == "NOT_SERVING", 10,
                     "Health NOT_SERVING on a full disk")
            some = next(k for k in load.acked if not k.endswith("_t"))
            if c.users.get_by_email(some + "@example.com").username != some:
                fail("read on a full disk returned the wrong user")
            say("full: reads work, Health NOT_SERVING")
            os.unlink(filler)
            wait_for(lambda: health(c) == "SERVING", 10,
                     "Health SERVING once space is free")
            before = len(load.acked)
            load.errors.clear()
            ok = run_phase(srv.url, load, 2,
                           lambda: len(load.acked) >= before + 200)
            if not ok:
                fail("writes did not resume once space was freed "
                     "(errors %s)" % dict(load.errors))
            say("space freed: writes resumed, errors meanwhile %s" %
                dict(load.errors))
        if srv.stop() != 0:
            fail("ozd did not exit cleanly")
        con = check_db(srv.db)
        users = dict(con.execute("SELECT username, id FROM users"))
        tasks = dict(con.execute("SELECT title, id FROM tasks"))
        n = con.execute("SELECT count(*), count(DISTINCT username) "
                        "FROM users").fetchone()
        if n[0] != n[1]:
            fail("a user is doubled")
        lost = [k for k, v in load.acked.items()
                if (tasks if k.endswith("_t") else users).get(k) != v]
        if lost:
            fail("%d acknowledged writes lost, e.g. %s" % (len(lost),
                                                           lost[:3]))
        say("ok: %d calls, %d acknowledged, lost 0, doubled 0" %
            (load.calls, len(load.acked)))
    finally:
        srv.cleanup()
        fs.close()


if __name__ == "__main__":
    main()
