#!/usr/bin/python3
"""tests/postgres/failover.py -- the end-to-end failover proof of issue 15:
a PostgreSQL primary with a synchronous standby, three ozd on the libpq
multi-host URL (target_session_attrs=read-write), and a mixed load through
ONE client that dials all three servers.

Sequence (every wait bounded in time, the load bounded in count):
  1. load on three ozd: the calls per second are measured, and the CPU
     each party used (client, ozd, primary PostgreSQL);
  2. SIGKILL one ozd: the load goes on; the only errors allowed are
     unkeyed writes broken on it (UNAVAILABLE "may or may not have run"),
     at most one per load thread;
  3. the killed ozd is started again: it must serve calls again;
  4. SIGKILL the PostgreSQL primary (postmaster and children), promote the
     standby: service returns by itself, no ozd is restarted. "Seconds
     without service" runs from the kill to the moment a write and a read
     sent after it have both succeeded. UNAVAILABLE and DEADLINE_EXCEEDED
     are allowed only for calls started before then (or before every ozd
     is SERVING again, if later), and UNKNOWN for an unkeyed write whose
     COMMIT the primary's death cut off (clients never re-send those);
  5. more load, then stop.
Everywhere: a write PostgreSQL rolled back for a serialization conflict
(ABORTED "transaction conflict, retry", after ozd's own re-runs) is
counted apart, and checked absent from the database.
Afterwards, against the promoted database: every acknowledged write is
there exactly once (keyed retries never doubled, unkeyed creates never
sent twice), every unacknowledged one at most once, a task's title and
description always come from the same update (nothing half-applied), no
read missed an acknowledged user, and no call took longer than its
deadline (plus LATE_SLACK seconds for a loaded machine's scheduling). A
summary line gives the figures.

Environment: OZD (build/ozd), FAILOVER_SERVERS (3), FAILOVER_THREADS (4),
FAILOVER_PHASE (seconds per load phase, 3), FAILOVER_KILLS (ozd,pg: what
to kill; empty for a throughput run), FAILOVER_SEED, FAILOVER_JSON (the
figures as JSON too), FAILOVER_KEEP (keep the logs in /tmp/oz-failover.*).
Run by make test-postgres (tests/postgres/failover.sh)."""
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time

import cluster  # puts clients/python on sys.path
import ozclient  # noqa: E402

NAME = "failover"
Code = ozclient.Code
CALL_TIMEOUT = 2.0       # seconds, every call's deadline
LATE_SLACK = 1.0         # seconds a call may overrun it (scheduling)
MAX_CALLS = 200000       # per run, whatever the time
RETURN_BUDGET = 60.0     # seconds the service has to come back


def fail(msg):
    cluster.fail(NAME, msg)


def multi_client(urls):
    """ONE client over every server (ozclient with a list of URLs: calls
    spread round-robin, a dead server skipped and tried again later, reads
    and keyed writes retried on another server, unkeyed writes that may
    have run never sent again)."""
    return ozclient.connect(urls, timeout=CALL_TIMEOUT)


class Ledger:
    """What the load tried and what was acknowledged, under one lock.
    Names and titles carry the identity (unique per run)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.users = {}        # username -> (keyed, acked id or None)
        self.tasks = {}        # title -> (keyed, owner id, acked id or None)
        self.acked_users = []  # usernames, for reads and new tasks
        self.versions = {}     # task id -> (last acked k, last tried k)
        self.calls = 0
        self.acked = 0
        self.errors = []  # (end, start, op, keyed, code, local, message,
        #                   tag)
        self.started = {}  # tag -> when its call started
        self.late = []         # (op, seconds over the deadline)
        self.max_over = 0.0
        self.ok_writes = []    # (start, end) of acknowledged writes
        self.ok_reads = []     # (start, end) of successful reads
        self.missed_reads = []
        self.rolled_back = set()  # tags of writes answered ABORTED by a
        # serialization conflict: their transaction rolled back


class Load:
    """THREADS threads of a mixed load through one client."""

    OPS = (("get_user", 25), ("list_users", 10), ("create_user_keyed", 15),
           ("create_user_unkeyed", 10), ("create_task_keyed", 15),
           ("create_task_unkeyed", 10), ("update_task_keyed", 15))

    def __init__(self, client, threads, seed):
        self.client = client
        self.ledger = Ledger()
        self.stop = threading.Event()
        self.seed = seed
        self.threads = [threading.Thread(target=self.worker, args=(i,))
                        for i in range(threads)]
        self.weights = [w for _, w in self.OPS]

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=CALL_TIMEOUT * 4)
            if t.is_alive():
                fail("a load thread did not stop")

    def worker(self, wid):
        rnd = random.Random(self.seed * 100 + wid)
        mine = []  # (task id, title base) this thread created: it alone
        n = 0      # updates them, so versions are ordered
        L = self.ledger
        while not self.stop.is_set():
            with L.lock:
                if L.calls >= MAX_CALLS:
                    return
                L.calls += 1
            n += 1
            op = rnd.choices(self.OPS, self.weights)[0][0]
            t0 = time.monotonic()
            with L.lock:
                L.started["w%d_%d_%d" % (self.seed, wid, n)] = t0
            try:
                done = self.one(op, wid, n, rnd, mine)
            except ozclient.OzError as e:
                with L.lock:
                    L.errors.append((time.monotonic(), t0, op,
                                     op.endswith("_keyed"), e.code.name,
                                     e.local, e.message,
                                     "w%d_%d_%d" % (self.seed, wid, n)))
                    if conflict(e):
                        L.rolled_back.add("w%d_%d_%d" % (self.seed, wid, n))
                done = None
                time.sleep(0.01)
            t1 = time.monotonic()
            with L.lock:
                over = (t1 - t0) - CALL_TIMEOUT
                L.max_over = max(L.max_over, over)
                if over > LATE_SLACK:
                    L.late.append((op, over))
                if done == "write":
                    L.ok_writes.append((t0, t1))
                elif done == "read":
                    L.ok_reads.append((t0, t1))

    def one(self, op, wid, n, rnd, mine):
        """Runs one call of kind op: "write" when it was an acknowledged
        write, "read" when a read succeeded, None when there was nothing
        to do yet. Raises OzError."""
        c, L = self.client, self.ledger
        tag = "w%d_%d_%d" % (self.seed, wid, n)
        if op in ("get_user", "list_users"):
            with L.lock:
                if not L.acked_users:
                    return None
                name = rnd.choice(L.acked_users)
                uid = L.users[name][1]
            if op == "get_user":
                u = c.users.get(uid)
                if u.username != name:
                    with L.lock:
                        L.missed_reads.append((uid, name, u.username))
                return "read"
            page = c.users.list_page(page_size=5)
            if page.next_page_token:  # likely served by another server
                c.users.list_page(page_size=5,
                                  page_token=page.next_page_token)
            return "read"
        if op.startswith("create_user"):
            keyed = op.endswith("_keyed")
            with L.lock:
                L.users[tag] = (keyed, None)
            u = self.create(c.users.create, keyed, tag, tag + "@x.test")
            with L.lock:
                L.users[tag] = (keyed, u.id)
                L.acked_users.append(tag)
                L.acked += 1
            return "write"
        if op.startswith("create_task"):
            keyed = op.endswith("_keyed")
            with L.lock:
                if not L.acked_users:
                    return None
                uid = L.users[rnd.choice(L.acked_users)][1]
                L.tasks[tag] = (keyed, uid, None)
            t = self.create(c.tasks.create, keyed, uid, tag + "_v0",
                            description="d0")
            with L.lock:
                L.tasks[tag] = (keyed, uid, t.id)
                L.versions[t.id] = (0, 0)
                L.acked += 1
            mine.append((t.id, tag))
            return "write"
        # update_task_keyed: title and description change together.
        if not mine:
            return None
        tid, base = rnd.choice(mine)
        with L.lock:
            acked_k, tried_k = L.versions[tid]
            k = tried_k + 1
            L.versions[tid] = (acked_k, k)
        c.tasks.update(tid, title="%s_v%d" % (base, k),
                       description="d%d" % k, request_id=_key())
        with L.lock:
            L.versions[tid] = (k, k)
            L.acked += 1
        return "write"

    def create(self, fn, keyed, *args, **kwargs):
        """A create with a fresh idempotency key, or with none at all."""
        if keyed:
            return fn(*args, request_id=_key(), **kwargs)
        return fn(*args, request_id=UNKEYED, **kwargs)


def conflict(err):
    """A write PostgreSQL rolled back for a serialization failure or a
    deadlock, after ozd's own re-runs (store/postgres/pg_error.c)."""
    return err.code == Code.ABORTED and \
        err.message == "transaction conflict, retry"


def _key():
    return "%032x" % random.getrandbits(128)


class _Unkeyed(str):
    """An empty request_id that is still truthy: ozclient's create methods
    put a fresh key in unless given a truthy one, and this one is empty on
    the wire (the client reads "" back from the request, so it treats the
    call as not safe to send twice)."""

    def __bool__(self):
        return True


UNKEYED = _Unkeyed("")


# --- The run -----------------------------------------------------------------

def serving(url):
    try:
        with ozclient.connect(url, timeout=0.5, retries=0) as c:
            return c.health.check(timeout=0.5) == "SERVING"
    except ozclient.OzError:
        return False


def wait_for(what, cond, budget):
    """Polls cond() every 50 ms for at most budget seconds; returns the
    moment it held."""
    end = time.monotonic() + budget
    while time.monotonic() < end:
        if cond():
            return time.monotonic()
        time.sleep(0.05)
    fail("%s: not within %.0f s" % (what, budget))


def first_after(ledger, t):
    """When both a write and a read sent after t had succeeded, or None."""
    with ledger.lock:
        w = [t1 for t0, t1 in ledger.ok_writes if t0 >= t]
        r = [t1 for t0, t1 in ledger.ok_reads if t0 >= t]
    return max(min(w), min(r)) if w and r else None


class Run:
    def __init__(self):
        self.servers_n = int(os.environ.get("FAILOVER_SERVERS", "3"))
        self.threads = int(os.environ.get("FAILOVER_THREADS", "4"))
        self.phase = float(os.environ.get("FAILOVER_PHASE", "3"))
        kills = os.environ.get("FAILOVER_KILLS", "ozd,pg").split(",")
        self.kill_ozd = "ozd" in kills and self.servers_n > 1
        self.kill_pg = "pg" in kills
        self.seed = int(os.environ.get("FAILOVER_SEED", str(os.getpid())))
        self.tmp = tempfile.mkdtemp(prefix="oz-failover.")
        self.pg = None
        self.servers = []
        self.fig = {"servers": self.servers_n, "threads": self.threads,
                    "ozd_kills": 0, "pg_kills": 0, "promotions": 0}
        self.ozd_kill_at = None
        self.ozd_back_at = None
        self.pg_window = None  # (start, end): errors allowed inside

    def setup(self):
        self.pg = cluster.Postgres(standby=True)
        url = self.pg.url()
        for i in range(self.servers_n):
            s = cluster.Ozd(url, migrate=(i == 0))
            s.start()
            self.servers.append(s)

    def cpu(self):
        """CPU seconds so far of the load's client, the ozd processes and
        the primary PostgreSQL (the standby runs apart: its share is what
        the machine has left)."""
        ozd = [s.proc.pid for s in self.servers if s.alive()]
        return (time.process_time(), cluster.cpu_seconds(ozd),
                cluster.cpu_seconds(self.pg.pids()))

    def measure(self, load):
        """One phase of load with nothing killed: its calls per second,
        and where the CPU went (seconds per second of load)."""
        n0, t0, c0 = load.ledger.calls, time.monotonic(), self.cpu()
        time.sleep(self.phase)
        n1, t1, c1 = load.ledger.calls, time.monotonic(), self.cpu()
        self.fig["cpu_per_s"] = {
            k: round((b - a) / (t1 - t0), 2)
            for k, a, b in zip(("client", "ozd", "postgres"), c0, c1)}
        return (n1 - n0) / (t1 - t0)

    def kill_one_ozd(self):
        victim = self.servers[1]
        self.ozd_kill_at = time.monotonic()
        victim.kill()
        self.fig["ozd_kills"] += 1
        time.sleep(self.phase)
        victim.start()  # the same port: the client takes it back
        self.ozd_back_at = time.monotonic()

    def fail_over_pg(self, load):
        t_send = time.monotonic()
        self.pg.kill_primary()
        t_kill = time.monotonic()  # every process of the primary is gone
        self.fig["pg_kills"] += 1
        self.pg.promote()
        self.fig["promotions"] += 1
        t_promoted = time.monotonic()
        wait_for("a write and a read served after the promotion",
                 lambda: first_after(load.ledger, t_kill), RETURN_BUDGET)
        t_back = first_after(load.ledger, t_kill)
        t_all = wait_for("every ozd SERVING again",
                         lambda: all(serving(s.url) for s in self.servers),
                         RETURN_BUDGET)
        self.pg_window = (t_send, max(t_back, t_all))
        self.fig["promote_s"] = round(t_promoted - t_kill, 2)
        self.fig["no_service_s"] = round(t_back - t_kill, 2)
        self.fig["all_serving_s"] = round(t_all - t_kill, 2)

    def go(self):
        self.setup()
        client = multi_client([s.url for s in self.servers])
        load = Load(client, self.threads, self.seed)
        t_start = time.monotonic()
        load.start()
        try:
            self.fig["calls_per_s"] = round(self.measure(load), 1)
            if self.kill_ozd:
                self.kill_one_ozd()
                time.sleep(self.phase)
            if self.kill_pg:
                self.fail_over_pg(load)
                time.sleep(self.phase)
        finally:
            load.finish()
            client.close()
        self.fig["seconds"] = round(time.monotonic() - t_start, 1)
        self.check_spread()
        self.check_errors(load.ledger)
        self.check_database(load.ledger)
        return load.ledger

    def check_spread(self):
        """Every ozd served calls (counted in its log), and the killed one
        served calls again after its restart."""
        per = []
        for s in self.servers:
            with open(s.log_path) as f:
                lives = f.read().split(" serving\n")
            per.append([life.count(" rpc method=/oz.v1.") for life in
                        lives[1:]])
        self.fig["calls_per_ozd"] = per
        if not all(p and p[0] > 0 for p in per):
            fail("an ozd served no call: %r" % per)
        if self.kill_ozd and not (len(per[1]) == 2 and per[1][1] > 0):
            fail("the restarted ozd served no call: %r" % per)

    def allowed(self, err):
        """Whether one error the caller saw is one the design allows."""
        _t1, t0, op, keyed, code, local, msg, tag = err
        if code == "ABORTED" and msg == "transaction conflict, retry" and \
                op != "get_user" and op != "list_users":
            return True  # counted apart, and checked rolled back
        if self.pg_window and self.pg_window[0] <= _t1 and \
                t0 <= self.pg_window[1] and \
                code in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
            return True
        if self.pg_window and self.pg_window[0] <= _t1 and \
                t0 <= self.pg_window[1] and code == "UNKNOWN" and \
                not keyed and not op.startswith(("get", "list")):
            # ozd lost the primary during this write's COMMIT: it may or
            # may not have been applied, and no client re-sends it.
            return True
        return (self.at_ozd_kill(err) and not keyed and
                op.startswith("create") and code == "UNAVAILABLE" and
                local and "may or may not have run" in msg)

    def at_ozd_kill(self, err):
        """Whether err ended while the killed ozd was down: a call sent on
        a connection to it just before its end, or just after (the client
        learns of the death when the connection breaks)."""
        return self.ozd_kill_at is not None and \
            self.ozd_kill_at <= err[0] <= self.ozd_back_at

    def check_errors(self, L):
        by_code = {}
        for e in L.errors:
            by_code[e[4]] = by_code.get(e[4], 0) + 1
        self.fig["aborted_conflicts"] = len(L.rolled_back)
        self.fig["errors"] = by_code
        bad = [e for e in L.errors if not self.allowed(e)]
        if bad:
            fail("%d errors outside what failover allows (ozd killed at %s,"
                 " back at %s; PostgreSQL window %r), e.g. %r" %
                 (len(bad), self.ozd_kill_at, self.ozd_back_at,
                  self.pg_window, bad[:4]))
        at_kill = [e for e in L.errors if self.at_ozd_kill(e) and
                   e[4] == "UNAVAILABLE"]
        if len(at_kill) > self.threads:
            fail("%d errors at the ozd kill, more than the %d calls that "
                 "can be in flight" % (len(at_kill), self.threads))
        self.fig["unkeyed_lost_at_ozd_kill"] = len(at_kill)
        if L.late:
            fail("%d calls waited past their deadline by more than %.1f s,"
                 " e.g. %r" % (len(L.late), LATE_SLACK, L.late[:3]))
        self.fig["max_over_deadline_s"] = round(max(L.max_over, 0), 3)
        if L.missed_reads:
            fail("reads missed acknowledged users: %r" % L.missed_reads[:3])

    def check_database(self, L):
        url = self.pg.url()
        users = {}
        for uid, name in cluster.psql(url, "SELECT id, username FROM users"):
            users.setdefault(name, []).append(int(uid))
        tasks = {}
        for tid, uid, title, desc in cluster.psql(
                url, "SELECT id, user_id, title, description FROM tasks"):
            base, _, k = title.rpartition("_v")
            tasks.setdefault(base, []).append((int(tid), int(uid), int(k),
                                               desc))
        lost = doubled = 0
        problems = []
        for name, (keyed, uid) in L.users.items():
            rows = users.pop(name, [])
            doubled += len(rows) > 1
            if name in L.rolled_back and rows:
                problems.append("user %s rolled back, yet present" % name)
            if uid is not None and rows != [uid]:
                lost += 1
                problems.append("user %s acked id %d, found %r" %
                                (name, uid, rows))
        for base, (keyed, owner, tid) in L.tasks.items():
            rows = tasks.pop(base, [])
            if base in L.rolled_back and rows:
                problems.append("task %s rolled back, yet present" % base)
            if len(rows) > 1:
                doubled += 1
                problems.append("task %s (%s) %d times" %
                                (base, "keyed" if keyed else "unkeyed",
                                 len(rows)))
            ids = [r[0] for r in rows]
            if tid is not None and ids != [tid]:
                lost += 1
                problems.append("task %s acked id %d, found %r" %
                                (base, tid, rows))
            for rid, uid, k, desc in rows:
                acked_k, tried_k = L.versions.get(rid, (0, 0))
                if uid != owner or desc != "d%d" % k or \
                        not acked_k <= k <= max(tried_k, acked_k):
                    problems.append("task %s row %r half-applied or stale "
                                    "(acked v%d, tried v%d)" %
                                    (base, (rid, uid, k, desc), acked_k,
                                     tried_k))
        if users or tasks:
            problems.append("rows the load never wrote: %r %r" %
                            (list(users)[:3], list(tasks)[:3]))
        self.fig.update(lost=lost, doubled=doubled,
                        users=sum(1 for v in L.users.values() if v[1]),
                        tasks=sum(1 for v in L.tasks.values() if v[2]))
        if problems:
            fail("database check: %d problems: %s" %
                 (len(problems), "; ".join(problems[:5])))

    def close(self, keep):
        """Stops everything; keep leaves the logs (the ozd ones and both
        PostgreSQL server logs) in self.tmp."""
        for i, s in enumerate(self.servers):
            s.stop()
            if keep:
                shutil.copy(s.log_path,
                            os.path.join(self.tmp, "ozd%d.log" % i))
            s.cleanup()
        if self.pg:
            if keep:
                self.pg.save_logs(self.tmp)
            self.pg.close()
        if keep:
            print("failover: logs kept in %s" % self.tmp, file=sys.stderr)
            return
        for f in os.listdir(self.tmp):
            os.unlink(os.path.join(self.tmp, f))
        os.rmdir(self.tmp)


def main():
    run = Run()
    try:
        L = run.go()
    finally:
        run.close(bool(os.environ.get("FAILOVER_KEEP")))
    f = run.fig
    print("failover: ok: %d calls (%d acknowledged writes) in %.1f s "
          "through one ozclient over %d ozd, %d threads; %.1f calls/s "
          "before any kill; ozd kills %d, PostgreSQL primary kills %d, "
          "promotions %d; errors by code %s (unkeyed in flight at the "
          "ozd kill: %d, "
          "serialization conflicts %d, each checked rolled back; unkeyed "
          "writes of unknown outcome at the failover, never re-sent: %d); "
          "lost = %d, doubled = %d; seconds without service %s (promote "
          "%s, every ozd SERVING %s); max over deadline %.3f s; CPU "
          "seconds per second %s; calls per ozd life %s" %
          (L.calls, L.acked, f["seconds"], f["servers"],
           f["threads"], f["calls_per_s"], f["ozd_kills"], f["pg_kills"],
           f["promotions"], json.dumps(f["errors"], sort_keys=True),
           f["unkeyed_lost_at_ozd_kill"], f["aborted_conflicts"],
           f["errors"].get("UNKNOWN", 0),
           f["lost"], f["doubled"],
           f.get("no_service_s", "-"), f.get("promote_s", "-"),
           f.get("all_serving_s", "-"), f["max_over_deadline_s"],
           json.dumps(f["cpu_per_s"], sort_keys=True),
           f["calls_per_ozd"]))
    if os.environ.get("FAILOVER_JSON"):
        print(json.dumps(dict(f, calls=L.calls, acked=L.acked),
                         sort_keys=True))


if __name__ == "__main__":
    main()
