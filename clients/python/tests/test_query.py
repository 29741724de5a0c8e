"""oz.v1.AdminService/Query through ozclient: the admin token's bearer
gets typed rows; anyone else is refused; writes are refused."""

import os
import tempfile

import pytest

from ozclient import Code, OzError
from ozclient.testing import OzdProcess, postgres_url


@pytest.fixture
def admin_server():
    d = tempfile.mkdtemp(prefix="ozclient-query.")
    path = os.path.join(d, "admins")
    with open(path, "w") as fh:
        fh.write("py-admin-token\n")
    srv = OzdProcess(extra_args=["--admin-token-file", path])
    try:
        srv.start()
        yield srv
    finally:
        srv.cleanup()
        os.unlink(path)
        os.rmdir(d)


@pytest.mark.skipif(postgres_url() is not None,
                    reason="SQLite's dialect (x'01', ?1); PostgreSQL's "
                    "typed rows: tests/rpc/query_server_test")
def test_query_returns_typed_rows(admin_server):
    with admin_server.client(token="py-admin-token") as oz:
        oz.users.create("q1", "q1@example.com")
        cols, rows, truncated = oz.admin.query(
            "SELECT id, username, 1.5, NULL, x'01' FROM users "
            "WHERE email = ?1", params=["q1@example.com"])
        assert cols == ["id", "username", "1.5", "NULL", "x'01'"]
        assert rows == [(1, "q1", 1.5, None, b"\x01")]
        assert truncated is False


def test_query_refuses_writes_and_other_callers(admin_server):
    with admin_server.client(token="py-admin-token") as oz:
        with pytest.raises(OzError) as e:
            oz.admin.query("DELETE FROM users")
        assert e.value.code == Code.INVALID_ARGUMENT
        assert e.value.details[0].field == "sql"
    with admin_server.client() as anon:
        with pytest.raises(OzError) as e:
            anon.admin.query("SELECT 1")
        assert e.value.code == Code.UNAUTHENTICATED
    with admin_server.client(token="not-the-admin") as other:
        with pytest.raises(OzError) as e:
            other.admin.query("SELECT 1")
        assert e.value.code == Code.PERMISSION_DENIED
