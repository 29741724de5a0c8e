#!/usr/bin/python3
"""tests/postgres/two_servers.py -- ozd holds nothing another ozd needs:
two ozd ($OZD) on one PostgreSQL, each test asking one server and then
the other, through a client per server (so nothing is retried behind the
test's back):
- a keyed write retried on the other server returns the first outcome
  (creates, updates, and a failure, which is replayed too);
- a page token from one server is valid on the other and continues the
  same listing;
- etags agree, and one from one server is checked by the other.
Run by make test-postgres (tests/postgres/two_servers.sh)."""
import cluster  # puts clients/python on sys.path
import ozclient  # noqa: E402

NAME = "two_servers"
Code = ozclient.Code


def check(cond, msg):
    if not cond:
        cluster.fail(NAME, msg)


def same_user(a, b):
    return (a.id, a.username, a.email, a.etag, a.create_time) == \
        (b.id, b.username, b.email, b.etag, b.create_time)


def keyed_create_retried_on_other_server_returns_first_outcome(a, b, url):
    u1 = a.users.create("kc", "kc@x.test", request_id="key-create-1")
    u2 = b.users.create("kc", "kc@x.test", request_id="key-create-1")
    check(same_user(u1, u2), "replayed create differs: %r vs %r" % (u1, u2))
    rows = cluster.psql(url, "SELECT count(*) FROM users "
                        "WHERE username = 'kc'")
    check(rows == [("1",)], "the replayed create ran again: %r" % rows)


def keyed_failure_retried_on_other_server_returns_first_outcome(a, b, url):
    del url
    a.users.create("kf", "kf@x.test")
    errs = []
    for c in (a, b):
        try:
            c.users.create("kf", "kf2@x.test", request_id="key-fail-1")
            errs.append(None)
        except ozclient.OzError as e:
            errs.append((e.code, e.message, e.details))
    check(errs[0] is not None and errs[0][0] == Code.ALREADY_EXISTS,
          "duplicate username: %r" % (errs[0],))
    check(errs[0] == errs[1], "replayed failure differs: %r" % errs)


def keyed_update_retried_on_other_server_returns_first_outcome(a, b, url):
    del url
    u = a.users.create("ku", "ku@x.test")
    r1 = a.users.update(u.id, email="ku2@x.test", request_id="key-upd-1")
    # Another update in between: a re-run would now give another etag.
    b.users.update(u.id, is_active=False)
    r2 = b.users.update(u.id, email="ku2@x.test", request_id="key-upd-1")
    check(same_user(r1, r2) and r1.is_active == r2.is_active,
          "replayed update differs: %r vs %r" % (r1, r2))
    now = a.users.get(u.id)
    check(not now.is_active and now.etag != r1.etag,
          "the replayed update ran again: %r" % now)


def page_token_from_one_server_is_valid_on_the_other(a, b, url):
    del url
    for i in range(7):
        a.users.create("pt%d" % i, "pt%d@x.test" % i)
    want = [u.id for u in a.users.list(page_size=3, order_by="username")]
    got, token, servers = [], "", (a, b)
    for k in range(20):
        page = servers[k % 2].users.list_page(page_size=3,
                                              page_token=token,
                                              order_by="username")
        got += [u.id for u in page.users]
        token = page.next_page_token
        if not token:
            break
    check(got == want, "pages alternating servers %r != one server's %r" %
          (got, want))
    check(len(want) >= 7, "too few users listed: %r" % want)


def etags_agree_and_are_checked_by_either_server(a, b, url):
    del url
    u = a.users.create("et", "et@x.test")
    ea, eb = a.users.get(u.id).etag, b.users.get(u.id).etag
    check(ea == eb == u.etag, "etags differ: %r %r %r" % (u.etag, ea, eb))
    t = b.tasks.create(u.id, "et-task")
    check(a.tasks.get(t.id).etag == t.etag, "task etags differ")
    v = a.users.update(u.id, email="et2@x.test", etag=eb)
    check(b.users.get(u.id).etag == v.etag != eb,
          "the update's etag is not what the other server reads")
    try:
        b.users.update(u.id, email="et3@x.test", etag=eb)
        check(False, "a stale etag was accepted by the other server")
    except ozclient.OzError as e:
        check(e.code == Code.ABORTED, "stale etag: %r" % e)


TESTS = (keyed_create_retried_on_other_server_returns_first_outcome,
         keyed_failure_retried_on_other_server_returns_first_outcome,
         keyed_update_retried_on_other_server_returns_first_outcome,
         page_token_from_one_server_is_valid_on_the_other,
         etags_agree_and_are_checked_by_either_server)


def main():
    pg = cluster.Postgres(standby=False)
    servers = []
    try:
        url = pg.url()
        for i in range(2):
            s = cluster.Ozd(url, migrate=(i == 0))
            s.start()
            servers.append(s)
        with ozclient.connect(servers[0].url, retries=0) as a, \
                ozclient.connect(servers[1].url, retries=0) as b:
            for t in TESTS:
                t(a, b, url)
                print("%s: ok %s" % (NAME, t.__name__))
    finally:
        for s in servers:
            s.stop()
            s.cleanup()
        pg.close()


if __name__ == "__main__":
    main()
