"""oz.v1.AdminService through ozclient: stats, optimize, online backup."""

import os
import sqlite3

import pytest

from ozclient import Code, OzError, pb
from ozclient.testing import postgres_url

pytestmark = pytest.mark.skipif(pb.admin is None,
                                reason="proto/ has no AdminService")


def test_stats_count_this_clients_calls(fresh_server):
    with fresh_server.client(timeout=10) as oz:
        for i in range(3):
            with pytest.raises(OzError):
                oz.users.get(10**9 + i)
        oz.users.create(username="s", email="s@example.com")
        st = oz.admin.stats()
        by = {m.method: m for m in st.methods}
        get = by["/oz.v1.UserService/GetUser"]
        assert get.calls == 3
        assert {c.code: c.count for c in get.errors} == {"NOT_FOUND": 3}
        assert by["/oz.v1.UserService/CreateUser"].calls == 1
        assert st.calls_total >= 4 and st.in_flight >= 1
        assert st.database_size_bytes > 0


def test_optimize(fresh_server):
    with fresh_server.client(timeout=30) as oz:
        assert oz.admin.optimize().duration_us >= 0


@pytest.mark.skipif(postgres_url() is not None,
                    reason="Backup writes SQLite files (PostgreSQL: pg_dump)")
def test_backup_is_a_consistent_database(fresh_server):
    srv = fresh_server
    with srv.client(timeout=30) as oz:
        oz.users.create(username="b", email="b@example.com")
        # A plain name: the server writes it into its backup directory.
        r = oz.admin.backup("backup.db")
        path = r.path
        assert os.path.basename(os.path.dirname(path)) == "backups"
        assert r.size_bytes > 0 and os.path.getsize(path) == r.size_bytes
        with pytest.raises(OzError) as ei:
            oz.admin.backup("backup.db")
        assert ei.value.code == Code.ALREADY_EXISTS
        assert oz.admin.backup("backup.db", overwrite=True).pages == r.pages
        with pytest.raises(OzError) as ei:
            oz.admin.backup(os.path.join(srv.dir, "elsewhere.db"))
        assert ei.value.code == Code.INVALID_ARGUMENT
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
