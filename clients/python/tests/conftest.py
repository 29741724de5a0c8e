"""Fixtures for the ozclient tests: real ozd processes on loopback ports and
temporary databases (never the default port or app.db).

Every test runs with a time limit (the `deadline` marker default below), and
every client call has a timeout, so a hung server fails a test instead of
hanging `make test`.
"""

import itertools
import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))

from ozclient.testing import started  # noqa: E402

_seq = itertools.count(1)
TEST_TIME_LIMIT = int(os.environ.get("OZCLIENT_TEST_TIME_LIMIT", "120"))


@pytest.fixture(autouse=True)
def _time_limit(request):
    """Fails a test that runs longer than TEST_TIME_LIMIT seconds (SIGALRM
    interrupts the main thread wherever it waits)."""
    limit = TEST_TIME_LIMIT
    marker = request.node.get_closest_marker("time_limit")
    if marker:
        limit = marker.args[0]

    def expired(signum, frame):
        raise TimeoutError("test exceeded its %d s time limit" % limit)

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(limit)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def pytest_configure(config):
    config.addinivalue_line("markers", "time_limit(seconds): per-test limit")


def _server(**kw):
    return started(**kw)


@pytest.fixture(scope="session")
def server():
    """One ozd for the whole session, listening on tcp, ipc and ws."""
    srv = _server(ipc=True, ws=True)
    yield srv
    srv.cleanup()


@pytest.fixture
def fresh_server():
    """An ozd of its own (empty database) for tests that count rows or
    stop the server."""
    srv = _server()
    yield srv
    srv.cleanup()


@pytest.fixture
def oz(server):
    alive(server)
    with server.client(timeout=10) as c:
        yield c
    alive(server)


def alive(srv):
    """Fails (with the server's log) if the shared ozd has died."""
    if srv.proc is None or srv.proc.poll() is not None:
        pytest.fail("the session's ozd is not running (exit %s):\n%s"
                    % (srv.proc and srv.proc.returncode, srv.log()))


@pytest.fixture
def unique():
    """unique("ann") -> "ann-<n>-<pid>": names no other test uses."""
    def make(prefix):
        return "%s-%d-%d" % (prefix, os.getpid(), next(_seq))
    return make
