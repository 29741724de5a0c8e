#!/usr/bin/python3
"""tests/e2e/fault_freeze.py -- ozd frozen (SIGSTOP for FREEZE_S seconds)
under a keyed write load, against a real ozd ($OZD):
- the clients' deadlines fire (DEADLINE_EXCEEDED or UNAVAILABLE) while it
  is stopped; nothing hangs;
- each create is retried under its own request_id until it succeeds, so
  after SIGCONT every one succeeds, and a retry of a create that had run
  returns its first outcome (same id);
- at the end (ozd stopped): every acknowledged create is there exactly
  once (none lost, none doubled), integrity_check ok.
Bounded: the load stops RUN_S seconds after SIGCONT; retries stop after
60 s."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
from faults import (Ledger, OzdProcess, count_tasks, fail, health,  # noqa
                    keyed_create, ozclient, say, wait_for)

FREEZE_S = 5
RUN_S = 2
WORKERS = 4
CALL_TIMEOUT = 1.0
CALLS_MAX = 3000  # per worker


def worker(url, wid, owner, ledger, stop):
    with ozclient.connect(url, timeout=CALL_TIMEOUT, retries=0) as c:
        for n in range(CALLS_MAX):
            if stop.is_set():
                return
            keyed_create(c, ledger, owner, "f%d_%d" % (wid, n), stop)


def main():
    ledger = Ledger()
    stop = threading.Event()
    with OzdProcess() as srv:
        with srv.client(retries=0, timeout=5) as c:
            owner = c.users.create("owner", "owner@example.com").id
            threads = [threading.Thread(target=worker,
                                        args=(srv.url, i, owner, ledger,
                                              stop))
                       for i in range(WORKERS)]
            for t in threads:
                t.start()
            time.sleep(1)
            srv.pause()
            frozen_at = dict(ledger.errors)
            time.sleep(FREEZE_S)
            during = {k: v - frozen_at.get(k, 0)
                      for k, v in ledger.errors.items()}
            srv.resume()
            say("frozen %d s: errors meanwhile %s" % (FREEZE_S, during))
            if not (during.get("DEADLINE_EXCEEDED", 0) +
                    during.get("UNAVAILABLE", 0)):
                fail("no client deadline fired while ozd was stopped")
            wait_for(lambda: health(c) == "SERVING", 10,
                     "Health SERVING after SIGCONT")
            acked = len(ledger.acked)
            wait_for(lambda: len(ledger.acked) > acked + 50, 30,
                     "writes after SIGCONT")
            time.sleep(RUN_S)
            stop.set()
            for t in threads:
                t.join(90)
                if t.is_alive():
                    fail("a client is stuck")
        if srv.stop() != 0:
            fail("ozd did not exit cleanly")
        unfinished = ledger.tried - set(ledger.acked)
        if unfinished:
            fail("%d creates never succeeded, e.g. %s" %
                 (len(unfinished), sorted(unfinished)[:3]))
        if ledger.replays_differ:
            fail("a retry returned another outcome: %s" %
                 ledger.replays_differ[:3])
        lost, doubled, made_up = count_tasks(srv, ledger)
        say("calls %d, errors %s, acknowledged %d, lost %d, doubled %d" %
            (ledger.calls, dict(ledger.errors), len(ledger.acked),
             len(lost), len(doubled)))
        if lost or doubled or made_up:
            fail("lost %s doubled %s made up %s" %
                 (lost[:3], doubled[:3], made_up[:3]))
    say("ok")


if __name__ == "__main__":
    main()
