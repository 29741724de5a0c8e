#!/usr/bin/python3
"""tests/soak/soak.py -- a soak: bounded mixed load against a real ozd with
a fault every few seconds, then a check of everything it was told.

Usage: soak.py [--seconds N] [--fault-every S] [--workers W] [--seed X]
               [--rss-tail-kib K] [--rss-life S]
               [--faults sigstop,backup,checkpoint_storm,sigkill]
(or SOAK_SECONDS, SOAK_SEED). ozd is $OZD, else build/ozd. Without
sigkill in --faults one ozd lives the whole run, which is what shows
whether its RSS stays flat.

Load (each worker owns its tasks): reads (GetTask of its own tasks,
ListTasks pages), keyed creates, keyed updates (description "vK" with
status 1 + K % 3, both in one call), keyed deletes, each retried under its
request_id until it succeeds, and unkeyed creates (a fresh request_id, one
attempt: their outcome is unknown when they fail).
Faults, in turn, every --fault-every seconds: SIGKILL and restart,
SIGSTOP for 2 s then SIGCONT, an online backup (AdminService/Backup, a
plain file name: it lands beside the database, or in backups/ there), a checkpoint storm (a
second process running wal_checkpoint(TRUNCATE) in a loop for 2 s while a
burst of 16 KB writes passes).
Checked at the end, with ozd stopped: integrity_check and
foreign_key_check; every acknowledged create there exactly once with its
id, unless its delete was acknowledged (then gone); no row the load did
not try; every task's description and status from the same update, at
least the last acknowledged one; RSS flat: ozd's RssAnon sampled every
second, and over the second half it may grow by at most --rss-tail-kib
(SOAK_RSS_TAIL_KIB, default 8192 KiB, as scripts/mem_flat.sh's rule):
within each run of ozd that lived --rss-life seconds (default 60), the
peak of its second half against the peak of its first, and against the
value at a quarter of the run at most twice that (a growth that levels
off before the middle, as glibc's arenas per thread did, is caught there
too: 37 -> 85 MB over a 2-minute run of backups); and across runs
(when each half of the soak saw some), the highest peak of the runs that
started in the soak's second half against the highest of the first half.
A run too short for either says so. Prints the figures: calls, faults,
errors by code, acknowledged writes, lost, doubled, half-applied, and
RssAnon first/peak/last of each run of ozd."""
import argparse
import collections
import os
import random
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e", "lib"))
from faults import OzdProcess, fail, ozclient, say  # noqa: E402

RETRY = ("DEADLINE_EXCEEDED", "UNAVAILABLE", "RESOURCE_EXHAUSTED")
RETRY_BUDGET = 60.0  # seconds a keyed write is retried, at most
CALL_TIMEOUT = 2.0


class Task:
    def __init__(self, title):
        self.title = title
        self.id = None
        self.acked_v = 0          # last acknowledged update version
        self.tried_v = set()      # every version sent
        self.delete_tried = False
        self.deleted = False      # delete acknowledged


class Figures:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls = 0
        self.errors = collections.Counter()
        self.faults = collections.Counter()
        self.fault_errors = collections.Counter()
        self.acked_writes = 0

    def call(self, err=None, write=False):
        with self.lock:
            self.calls += 1
            if err is not None:
                self.errors[err.code.name] += 1
            elif write:
                self.acked_writes += 1


def retried(fig, fn, stop_at):
    """Runs fn() (a keyed write) until it succeeds or fails for good.
    Returns (ok, result, error)."""
    while time.monotonic() < stop_at:
        try:
            r = fn()
            fig.call(write=True)
            return True, r, None
        except ozclient.OzError as e:
            fig.call(e)
            if e.code.name not in RETRY:
                return False, None, e
            time.sleep(0.05)
    return False, None, None


class Worker(threading.Thread):
    def __init__(self, url, wid, user_id, fig, stop, seed):
        super().__init__(daemon=True)
        self.url, self.wid, self.user_id = url, wid, user_id
        self.fig, self.stop, self.rng = fig, stop, random.Random(seed)
        self.tasks = {}       # title -> Task (keyed creates that succeeded)
        self.tried = set()    # every title sent
        self.unkeyed = {}     # title -> id, acknowledged unkeyed creates
        self.live = []        # acknowledged, not deleted
        self.n = 0

    def run(self):
        with ozclient.connect(self.url, timeout=CALL_TIMEOUT,
                              retries=3) as c, \
                ozclient.connect(self.url, timeout=CALL_TIMEOUT,
                                 retries=0) as once:
            for _ in range(10 ** 6):
                if self.stop.is_set():
                    return
                self.n += 1
                self.step(c, once, self.rng.random())

    def step(self, c, once, r):
        end = time.monotonic() + RETRY_BUDGET
        if r < 0.35:
            self.read(c)
        elif r < 0.60 or not self.live:
            title = "w%d_c%d" % (self.wid, self.n)
            self.tried.add(title)
            t = Task(title)
            ok, res, _ = retried(self.fig, lambda: c.tasks.create(
                self.user_id, title, request_id="c-" + title), end)
            if ok:
                t.id = res.id
                self.tasks[title] = t
                self.live.append(t)
        elif r < 0.75:
            t = self.rng.choice(self.live)
            v = max(t.tried_v | {0}) + 1
            t.tried_v.add(v)
            ok, _, _ = retried(self.fig, lambda: c.tasks.update(
                t.id, description="v%d" % v, status=1 + v % 3,
                request_id="u-%s-%d" % (t.title, v)), end)
            if ok:
                t.acked_v = v
        elif r < 0.85:
            t = self.rng.choice(self.live)
            t.delete_tried = True
            self.live.remove(t)
            ok, _, _ = retried(self.fig, lambda: c.tasks.delete(
                t.id, request_id="d-" + t.title), end)
            t.deleted = ok
        else:
            title = "w%d_u%d" % (self.wid, self.n)
            self.tried.add(title)
            try:
                self.unkeyed[title] = once.tasks.create(self.user_id,
                                                        title).id
                self.fig.call(write=True)
            except ozclient.OzError as e:
                self.fig.call(e)

    def read(self, c):
        try:
            if self.live and self.rng.random() < 0.7:
                t = self.rng.choice(self.live)
                got = c.tasks.get(t.id)
                if got.title != t.title:
                    fail("GetTask %d: title %r, want %r" %
                         (t.id, got.title, t.title))
            else:
                c.tasks.list_page(user_id=self.user_id, page_size=20)
            self.fig.call()
        except ozclient.OzError as e:
            self.fig.call(e)


class Faults(threading.Thread):
    KINDS = ("sigstop", "backup", "checkpoint_storm", "sigkill")

    def __init__(self, srv, every, fig, stop, rss, kinds):
        super().__init__(daemon=True)
        self.kinds = kinds
        self.srv, self.every, self.fig, self.stop = srv, every, fig, stop
        self.rss = rss
        self.lock = threading.Lock()  # held while ozd is being replaced

    def run(self):
        i = 0
        while not self.stop.wait(self.every):
            kind = self.kinds[i % len(self.kinds)]
            i += 1
            try:
                getattr(self, kind)(i)
                self.fig.faults[kind] += 1
            except Exception as e:  # a fault that could not be made
                self.fig.fault_errors["%s: %s" % (kind, type(e).__name__)] \
                    += 1

    def sigkill(self, i):
        with self.lock:
            self.srv.kill()
            self.srv.start()
            self.rss.new_run(self.srv.proc.pid)

    def sigstop(self, i):
        self.srv.pause()
        time.sleep(2)
        self.srv.resume()

    def backup(self, i):
        with ozclient.connect(self.srv.url, timeout=30, retries=3) as c:
            try:
                c.admin.backup("soak-backup-%d.db" % i, overwrite=True)
            except ozclient.OzError as e:
                self.fig.fault_errors["backup: " + e.code.name] += 1
        # Beside the database, or in its backups/ directory (--backup-dir's
        # default where ozd has one).
        name = "soak-backup-%d.db" % i
        found = [p for p in (os.path.join(self.srv.dir, name),
                             os.path.join(self.srv.dir, "backups", name))
                 if os.path.exists(p)]
        if not found:
            self.fig.fault_errors["backup: no file"] += 1
        for path in found:
            con = sqlite3.connect(path)
            ok = con.execute("PRAGMA integrity_check").fetchall()
            con.close()
            os.unlink(path)
            if ok != [("ok",)]:
                fail("backup %d: integrity_check %r" % (i, ok[:3]))

    def checkpoint_storm(self, i):
        con = sqlite3.connect(self.srv.db, timeout=0.1)
        burst = threading.Thread(target=self.burst, args=(i,))
        burst.start()
        end = time.monotonic() + 2
        n = 0
        while time.monotonic() < end and n < 10000:
            n += 1
            try:
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error:
                pass
        con.close()
        burst.join(60)

    def burst(self, i):
        with ozclient.connect(self.srv.url, timeout=CALL_TIMEOUT,
                              retries=0) as c:
            for k in range(100):
                try:
                    u = c.users.list_page(page_size=1).users
                    c.tasks.create(u[0].id, "storm_%d_%d" % (i, k),
                                   description="s" * 16000)
                    self.fig.call(write=True)
                except (ozclient.OzError, IndexError):
                    pass


class Rss(threading.Thread):
    def __init__(self, stop):
        super().__init__(daemon=True)
        self.stop = stop
        self.runs = []  # [pid, [kB samples]]
        self.lock = threading.Lock()

    def new_run(self, pid):
        with self.lock:
            self.runs.append([pid, [], time.monotonic()])

    def run(self):
        while not self.stop.wait(1.0):
            with self.lock:
                if not self.runs:
                    continue
                pid, samples, _ = self.runs[-1]
            try:
                with open("/proc/%d/status" % pid) as fh:
                    for line in fh:
                        if line.startswith("RssAnon:"):
                            samples.append(int(line.split()[1]))
            except OSError:
                pass


def check(srv, workers, fig):
    con = sqlite3.connect(srv.db)
    ok = con.execute("PRAGMA integrity_check").fetchall()
    if ok != [("ok",)]:
        fail("integrity_check %r" % (ok[:3],))
    if con.execute("PRAGMA foreign_key_check").fetchall():
        fail("foreign_key_check found orphans")
    rows = collections.defaultdict(list)
    for tid, title, desc, status in con.execute(
            "SELECT id, title, description, status FROM tasks"):
        rows[title].append((tid, desc, status))
    con.close()
    lost, doubled, half, made_up = [], [], [], []
    tried = set()
    for w in workers:
        tried |= w.tried
        for title, t in w.tasks.items():
            got = rows.get(title, [])
            if t.deleted:
                if got:
                    lost.append(title + " (delete undone)")
                continue
            if t.delete_tried and not got:
                continue  # its delete never got an answer
            if len(got) != 1 or got[0][0] != t.id:
                (doubled if len(got) > 1 else lost).append(title)
                continue
            desc, status = got[0][1], got[0][2]
            v = int(desc[1:]) if desc.startswith("v") else 0
            if (v < t.acked_v or (v and v not in t.tried_v) or
                    (v and status != 1 + v % 3)):
                half.append("%s: %r/%d, acked v%d" %
                            (title, desc, status, t.acked_v))
        for title, tid in w.unkeyed.items():
            got = rows.get(title, [])
            if [g[0] for g in got] != [tid]:
                (doubled if len(got) > 1 else lost).append(title)
    for title, got in rows.items():
        if title.startswith("storm_"):
            if len(got) > 1:
                doubled.append(title)
        elif title not in tried:
            made_up.append(title)
        elif len(got) > 1 and title not in doubled:
            doubled.append(title)
    return lost, doubled, half, made_up


def rss_figures(rss, t0, t1, tail_kib, life_s):
    """(lines, failures): RssAnon first/peak/last per run of ozd, and the
    growth over the second half within long runs and across runs."""
    runs = [(s, at) for _, s, at in rss.runs if s]
    if not runs:
        return ["RssAnon: no samples"], ["no RssAnon samples"]
    lines = ["RssAnon KiB per run of ozd (first/peak/last, seconds): " +
             ", ".join("%d/%d/%d %ds" % (s[0], max(s), s[-1], len(s))
                       for s, _ in runs)]
    bad = []
    long_runs = [s for s, _ in runs if len(s) >= life_s]
    for s in long_runs:
        half, late = len(s) // 2, max(s[len(s) // 2:])
        grew, since = late - max(s[:half]), late - s[len(s) // 4]
        lines.append("run of %d s: peak %d KiB in the first half, %d in "
                     "the second: %+d KiB (at most %d); %+d KiB since a "
                     "quarter of the run (at most %d)" %
                     (len(s), max(s[:half]), late, grew, tail_kib, since,
                      2 * tail_kib))
        if grew > tail_kib:
            bad.append("RssAnon grew %d KiB over the second half of a run "
                       "of %d s" % (grew, len(s)))
        if since > 2 * tail_kib:
            bad.append("RssAnon grew %d KiB after a quarter of a run of "
                       "%d s" % (since, len(s)))
    mid = (t0 + t1) / 2
    early = [max(s) for s, at in runs if at < mid and len(s) >= 5]
    late = [max(s) for s, at in runs if at >= mid and len(s) >= 5]
    if early and late:
        grew = max(late) - max(early)
        lines.append("across %d runs: highest peak %d KiB of runs started "
                     "in the first half, %d in the second: %+d KiB (at "
                     "most %d)" % (len(runs), max(early), max(late), grew,
                                   tail_kib))
        if grew > tail_kib:
            bad.append("RssAnon peaks grew %d KiB from the runs of the "
                       "first half to those of the second" % grew)
    if not long_runs and not (early and late):
        lines.append("no run of ozd lived %d s, and not both halves had "
                     "runs: RSS flatness not checked" % life_s)
    return lines, bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float,
                    default=float(os.environ.get("SOAK_SECONDS", "75")))
    ap.add_argument("--fault-every", type=float, default=4.0)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--faults", default=",".join(Faults.KINDS))
    ap.add_argument("--rss-tail-kib", type=int,
                    default=int(os.environ.get("SOAK_RSS_TAIL_KIB", "8192")))
    ap.add_argument("--rss-life", type=int, default=60)
    ap.add_argument("--seed", type=int,
                    default=int(os.environ.get("SOAK_SEED", "0")) or
                    random.randrange(1, 10 ** 9))
    a = ap.parse_args()
    kinds = [k for k in a.faults.split(",") if k]
    if not kinds or set(kinds) - set(Faults.KINDS):
        fail("--faults takes a list of %s" % ",".join(Faults.KINDS))
    say("seed %d, %.0f s, a fault every %.0f s, %d workers" %
        (a.seed, a.seconds, a.fault_every, a.workers))
    fig = Figures()
    stop = threading.Event()
    srv = OzdProcess()
    rss = Rss(stop)
    try:
        srv.start()
        rss.new_run(srv.proc.pid)
        with srv.client(timeout=10, retries=3) as c:
            users = [c.users.create("soak%d" % i, "soak%d@example.com" % i)
                     for i in range(a.workers)]
        workers = [Worker(srv.url, i, users[i].id, fig, stop, a.seed + i)
                   for i in range(a.workers)]
        faults = Faults(srv, a.fault_every, fig, stop, rss, kinds)
        for t in workers + [faults, rss]:
            t.start()
        t0 = time.monotonic()
        while time.monotonic() - t0 < a.seconds:
            time.sleep(1)
            if srv.proc is None or srv.proc.poll() is not None:
                with faults.lock:
                    if srv.proc is None or srv.proc.poll() is not None:
                        fail("ozd died on its own (see %s)" % srv.log_path)
        stop.set()
        for t in workers + [faults, rss]:
            t.join(RETRY_BUDGET + 30)
            if t.is_alive():
                fail("%s did not finish" % t.name)
        if srv.stop() != 0:
            fail("ozd did not exit cleanly at the end")
        lost, doubled, half, made_up = check(srv, workers, fig)
        t1 = time.monotonic()
        rss_lines, rss_bad = rss_figures(rss, t0, t1, a.rss_tail_kib,
                                         a.rss_life)
        say("calls %d (acknowledged writes %d) in %.0f s" %
            (fig.calls, fig.acked_writes, time.monotonic() - t0))
        say("faults %s; could not make %s" %
            (dict(fig.faults), dict(fig.fault_errors)))
        say("errors by code %s" % dict(fig.errors))
        say("lost %d, doubled %d, half-applied %d, made up %d" %
            (len(lost), len(doubled), len(half), len(made_up)))
        for line in rss_lines:
            say(line)
        if lost or doubled or half or made_up:
            fail("lost %s doubled %s half %s made up %s" %
                 (lost[:3], doubled[:3], half[:3], made_up[:3]))
        if rss_bad:
            fail("RSS not flat: " + "; ".join(rss_bad))
        say("ok")
    finally:
        stop.set()
        srv.cleanup()


if __name__ == "__main__":
    main()
