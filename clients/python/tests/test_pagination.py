"""ListUsers/ListTasks over more than 1,000 rows: the iterator follows page
tokens and sees every row exactly once, in order."""

import concurrent.futures

import pytest

from ozclient import Code, OzError

N_USERS = 1050


@pytest.fixture(scope="module")
def big():
    """A server of its own holding exactly N_USERS users (created by 8
    threads) and 1,010 tasks of the first user."""
    from conftest import _server
    srv = _server()
    try:
        with srv.client(timeout=30) as oz:
            def make(i):
                return oz.users.create(username="u%04d" % i,
                                       email="u%04d@example.com" % i).id
            with concurrent.futures.ThreadPoolExecutor(8) as ex:
                ids = sorted(ex.map(make, range(N_USERS), timeout=120))
            for i in range(1010):
                oz.tasks.create(ids[0], "task %04d" % i)
        yield srv, ids
    finally:
        srv.cleanup()


@pytest.mark.time_limit(240)
def test_iterator_sees_every_user_once_in_id_order(big):
    srv, ids = big
    with srv.client(timeout=30) as oz:
        for page_size in (0, 7, 100, 1000):
            got = [u.id for u in oz.users.list(page_size=page_size)]
            assert got == ids, "page_size %d" % page_size


def test_pages_and_total_size(big):
    srv, ids = big
    with srv.client(timeout=30) as oz:
        token, pages, seen = "", 0, []
        while True:
            page = oz.users.list_page(page_size=100, page_token=token)
            assert page.total_size == N_USERS
            seen += [u.id for u in page.users]
            pages += 1
            token = page.next_page_token
            if not token:
                break
        assert pages == 11 and seen == ids
        first = oz.users.list_page()
        assert len(first.users) == 50  # page_size 0 means 50
        assert len(oz.users.list_page(page_size=1000).users) == 1000


def test_order_by_and_skip(big):
    srv, ids = big
    with srv.client(timeout=30) as oz:
        names = [u.username for u in oz.users.list(order_by="username desc",
                                                   page_size=300)]
        assert names == sorted(names, reverse=True)
        assert len(names) == N_USERS
        assert [u.id for u in oz.users.list(skip=1000, page_size=20)] \
            == ids[1000:]
        page = oz.users.list_page(skip=10, page_size=5)
        assert [u.id for u in page.users] == ids[10:15]


def test_page_size_over_1000_is_rejected_or_capped(big):
    srv, _ = big
    with srv.client(timeout=30) as oz:
        try:
            page = oz.users.list_page(page_size=5000)
        except OzError as e:
            assert e.code == Code.INVALID_ARGUMENT
        else:
            assert len(page.users) == 1000


def test_tasks_iterator_over_1010_rows(big):
    srv, ids = big
    with srv.client(timeout=30) as oz:
        titles = [t.title for t in oz.tasks.list(user_id=ids[0],
                                                 page_size=100)]
        assert titles == ["task %04d" % i for i in range(1010)]
        assert oz.tasks.list_page(user_id=ids[1]).total_size == 0
