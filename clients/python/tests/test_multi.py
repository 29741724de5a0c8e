"""One Client over three real ozd, each on its own SQLite file: calls are
spread over every server, a server SIGKILLed under a stream of reads costs
the caller nothing, an unkeyed write in flight on a killed server is
UNAVAILABLE and reaches no other server, a keyed one is finished by another
server once, and a killed server started again is used again.

"In flight" is made deterministic with SIGSTOP: three calls made at once go
to the three servers (round-robin); the one on the stopped server is the
one still waiting once the other two returned; the SIGKILL that follows
breaks its connection. Every wait is bounded; nothing measures time."""

import threading
import time

import pytest

from ozclient import Code, OzError, connect
from ozclient.client import pb, split_urls
from ozclient.testing import OzdProcess

LIST_USERS = "/oz.v1.UserService/ListUsers"


@pytest.fixture
def three():
    servers = []
    try:
        for _ in range(3):
            srv = OzdProcess()
            servers.append(srv)
            srv.start()
        yield servers
    finally:
        for srv in servers:
            srv.cleanup()


def multi(servers, **options):
    options.setdefault("timeout", 60)  # calls end by the test, not time
    return connect(",".join(s.url for s in servers), **options)


def method_calls(srv, method):
    with srv.client() as c:
        for m in c.admin.stats().methods:
            if m.method == method:
                return m.calls
    return 0


def has_email(srv, email):
    with srv.client() as c:
        try:
            c.users.get_by_email(email)
            return True
        except OzError as e:
            assert e.code == Code.NOT_FOUND, e
            return False


def wait_until(pred, what, rounds=3000):
    for _ in range(rounds):
        if pred():
            return
        time.sleep(0.01)
    pytest.fail("%s: not reached" % what)


def test_url_list_forms():
    assert split_urls("tcp://a:1, tcp://b:2") == ["tcp://a:1", "tcp://b:2"]
    assert split_urls(["tcp://a:1"]) == ["tcp://a:1"]
    with pytest.raises(ValueError):
        split_urls("tcp://a:1,,tcp://b:2")
    with pytest.raises(ValueError):
        connect("tcp://127.0.0.1:1,bogus")


def test_calls_are_spread_over_every_server(three):
    with multi(three) as oz:
        for _ in range(30):
            oz.users.list_page()
    # Round-robin over three servers that answer: ten each.
    assert [method_calls(s, LIST_USERS) for s in three] == [10, 10, 10]


def test_killed_server_costs_a_stream_of_reads_nothing(three):
    done = []
    errors = []

    def reads():
        for _ in range(300):
            try:
                oz.users.list_page()
            except OzError as e:
                errors.append(e)
            done.append(1)

    with multi(three) as oz:
        t = threading.Thread(target=reads, daemon=True)
        t.start()
        wait_until(lambda: len(done) >= 75, "reads before the kill")
        three[1].kill()
        t.join(120)
        assert not t.is_alive()
    assert errors == []
    assert len(done) == 300


def test_restarted_server_is_used_again(three):
    with multi(three) as oz:
        three[2].kill()
        for _ in range(20):
            oz.users.list_page()
        three[2].start()  # same port, same database

        def reached():
            oz.users.list_page()
            return method_calls(three[2], LIST_USERS) > 0
        wait_until(reached, "a call on the restarted server", rounds=500)


def writes_with_server_0_killed(three, keyed):
    """Stops server 0, makes three creates at once, kills server 0 once two
    were answered, starts it again. Returns [(email, error or None)] and
    the emails that no running server has."""
    results = {}
    with multi(three, retry_writes=keyed) as oz:
        for _ in range(3):  # a pooled connection to each server
            oz.users.list_page()
        three[0].pause()

        def create(i):
            email = "w%d-%s@example.com" % (i, "keyed" if keyed else "no")
            req = pb.users.CreateUserRequest(
                username=email, email=email,
                request_id="key-%d" % i if keyed else "")
            try:
                oz.call("/oz.v1.UserService/CreateUser", req,
                        pb.resources.User)
                results[email] = None
            except OzError as e:
                results[email] = e
        threads = [threading.Thread(target=create, args=(i,), daemon=True)
                   for i in range(3)]
        for t in threads:
            t.start()
        wait_until(lambda: len(results) >= 2, "two writes answered")
        three[0].kill()
        for t in threads:
            t.join(120)
            assert not t.is_alive()
    nowhere = [e for e in results
               if not has_email(three[1], e) and not has_email(three[2], e)]
    three[0].start()
    for email in results:
        # Stopped before it read the request: it never ran it.
        assert not has_email(three[0], email)
    return results, nowhere


def test_unkeyed_write_on_a_killed_server_is_unavailable_and_not_resent(
        three):
    results, nowhere = writes_with_server_0_killed(three, keyed=False)
    assert len(nowhere) == 1
    err = results[nowhere[0]]
    assert err is not None and err.code == Code.UNAVAILABLE
    assert "may or may not have run" in err.message
    assert [e for e, r in results.items() if r is not None] == nowhere


def test_keyed_write_on_a_killed_server_is_finished_by_another(three):
    results, nowhere = writes_with_server_0_killed(three, keyed=True)
    assert nowhere == []
    assert all(r is None for r in results.values()), results
    for email in results:
        assert has_email(three[1], email) != has_email(three[2], email)
