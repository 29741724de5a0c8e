"""A server restart in the middle: the client reconnects by itself, a read
cut off by the restart is retried and succeeds, and a write cut off by it is
never silently sent again."""

import threading
import time

import pytest

from ozclient import Code, OzError


def in_thread(fn):
    """Runs fn in a thread; returns a function that joins it (bounded) and
    returns fn's result or raises its exception."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the caller
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()

    def join(timeout=30):
        t.join(timeout)
        assert not t.is_alive(), "call did not return"
        if "error" in box:
            raise box["error"]
        return box["value"]
    return join


def cut_off(srv, call_started):
    """Freezes the server, lets the call be sent into it, then kills it
    (so the request is never executed) and starts a new server on the same
    address and database."""
    srv.pause()
    join = call_started()
    time.sleep(0.3)  # the request is now in the frozen server's socket
    srv.kill()
    srv.start()
    return join


def test_client_reconnects_after_restart(fresh_server):
    srv = fresh_server
    with srv.client(timeout=10) as oz:
        u = oz.users.create(username="before", email="before@example.com")
        dials = oz._pool.dials
        srv.restart()  # SIGTERM, drain, start again: pooled conn is dead
        assert oz.users.get(u.id).username == "before"
        v = oz.users.create(username="after", email="after@example.com")
        assert v.id != u.id
        assert oz._pool.dials > dials


def test_read_cut_off_by_restart_is_retried_and_succeeds(fresh_server):
    srv = fresh_server
    with srv.client(timeout=20, retries=10) as oz:
        u = oz.users.create(username="reader", email="reader@example.com")
        before = oz.attempts
        join = cut_off(srv, lambda: in_thread(lambda: oz.users.get(u.id)))
        assert join().username == "reader"
        assert oz.attempts - before >= 2  # the first attempt was lost


def test_write_cut_off_by_restart_is_not_repeated(fresh_server):
    """Without retry_writes a write whose fate is unknown is never re-sent
    (with it, the request_id makes the re-send safe: test_idempotency)."""
    srv = fresh_server
    with srv.client(timeout=20, retries=10, retry_writes=False) as oz:
        oz.health.check()
        before = oz.attempts
        join = cut_off(srv, lambda: in_thread(lambda: oz.users.create(
            username="once", email="once@example.com")))
        with pytest.raises(OzError) as ei:
            join()
        e = ei.value
        assert e.code == Code.UNAVAILABLE and e.local
        assert "may or may not have run" in e.message
        assert oz.attempts - before == 1  # sent once, never again
        # The killed server never ran it and the client did not resend it.
        with pytest.raises(OzError) as ei:
            oz.users.get_by_email("once@example.com")
        assert ei.value.code == Code.NOT_FOUND
        # The caller decides: sending it again now works.
        assert oz.users.create(username="once",
                               email="once@example.com").id > 0


def test_write_that_never_left_is_retried(fresh_server):
    """Connection refused means nothing was sent: safe for writes too."""
    srv = fresh_server
    with srv.client(timeout=20, retries=20) as oz:
        oz.health.check()
        srv.stop()
        join = in_thread(lambda: oz.users.create(username="later",
                                                 email="later@example.com"))
        time.sleep(0.3)
        srv.start()
        assert join().username == "later"
        assert [u.username for u in oz.users.list()] == ["later"]

