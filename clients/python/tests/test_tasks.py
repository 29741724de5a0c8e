"""oz.v1.TaskService through ozclient, against a real ozd."""

import pytest

from ozclient import Code, OzError, pb, task_status


@pytest.fixture
def user(oz, unique):
    name = unique("tasker")
    return oz.users.create(username=name, email=name + "@example.com")


def test_create_defaults_to_pending(oz, user):
    t = oz.tasks.create(user.id, "write docs", description="protocol.md")
    assert t.id > 0 and t.user_id == user.id
    assert t.title == "write docs" and t.description == "protocol.md"
    assert t.status == pb.resources.TASK_STATUS_PENDING
    assert t.create_time.seconds > 0 and t.etag


def test_create_with_status_name_or_number(oz, user):
    assert oz.tasks.create(user.id, "a", status="in_progress").status == 2
    assert oz.tasks.create(user.id, "b", status="TASK_STATUS_DONE").status \
        == 3
    assert oz.tasks.create(user.id, "c", status=3).status == 3


def test_status_names():
    assert task_status("done") == 3
    assert task_status(None) == 0
    with pytest.raises(ValueError):
        task_status("finished")


def test_get(oz, user):
    t = oz.tasks.create(user.id, "x")
    assert oz.tasks.get(t.id) == t


def test_create_for_missing_user_fails(oz):
    with pytest.raises(OzError) as ei:
        oz.tasks.create(2**40, "orphan")
    assert ei.value.code in (Code.NOT_FOUND, Code.FAILED_PRECONDITION)


def test_list_by_user_and_status(oz, user, unique):
    other = oz.users.create(username=unique("o"), email=unique("o") + "@e.io")
    mine = [oz.tasks.create(user.id, "t%d" % i, status=1 + i % 3).id
            for i in range(7)]
    oz.tasks.create(other.id, "not mine")
    got = [t.id for t in oz.tasks.list(user_id=user.id, page_size=3)]
    assert got == mine
    done = [t.id for t in oz.tasks.list(user_id=user.id, status="done")]
    assert done == [mine[i] for i in range(7) if 1 + i % 3 == 3]
    page = oz.tasks.list_page(user_id=user.id, page_size=2)
    assert page.total_size == 7 and len(page.tasks) == 2
    assert page.next_page_token
    desc = [t.id for t in oz.tasks.list(user_id=user.id, order_by="id desc")]
    assert desc == mine[::-1]


def test_update_fields_and_etag(oz, user):
    t = oz.tasks.create(user.id, "draft")
    u = oz.tasks.update(t.id, title="final", status="done")
    assert (u.title, u.status, u.description) == ("final", 3, "")
    assert u.etag != t.etag
    v = oz.tasks.update(u.id, description="now with text", etag=u.etag)
    assert v.title == "final" and v.description == "now with text"
    with pytest.raises(OzError) as ei:
        oz.tasks.update(t.id, title="stale", etag=t.etag)
    assert ei.value.code == Code.ABORTED
    assert oz.tasks.get(t.id) == v


def test_delete(oz, user):
    t = oz.tasks.create(user.id, "short-lived")
    assert oz.tasks.delete(t.id) is None
    with pytest.raises(OzError) as ei:
        oz.tasks.delete(t.id)
    assert ei.value.code == Code.NOT_FOUND


def test_delete_with_stale_etag_is_aborted(oz, user):
    t = oz.tasks.create(user.id, "guarded")
    oz.tasks.update(t.id, title="changed")
    with pytest.raises(OzError) as ei:
        oz.tasks.delete(t.id, etag=t.etag)
    assert ei.value.code == Code.ABORTED
    oz.tasks.delete(t.id, etag=oz.tasks.get(t.id).etag)
