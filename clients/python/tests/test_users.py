"""oz.v1.UserService through ozclient, against a real ozd."""

import pytest

from ozclient import Code, OzError


def make_user(oz, unique, prefix="ann"):
    name = unique(prefix)
    return oz.users.create(username=name, email=name + "@example.com")


def test_create_returns_the_stored_user(oz, unique):
    name = unique("ann")
    u = oz.users.create(username=name, email=name + "@Example.com")
    assert u.id > 0
    assert u.username == name
    assert u.email == name + "@Example.com"
    assert u.is_active is True
    assert u.create_time.seconds > 1_600_000_000
    assert u.update_time.seconds >= u.create_time.seconds
    assert u.etag


def test_get_returns_what_create_returned(oz, unique):
    u = make_user(oz, unique)
    got = oz.users.get(u.id)
    assert got == u
    assert len(got.tasks) == 0


def test_get_with_tasks_embeds_the_users_tasks(oz, unique):
    u = make_user(oz, unique)
    t1 = oz.tasks.create(u.id, "first")
    t2 = oz.tasks.create(u.id, "second", status="done")
    assert len(oz.users.get(u.id).tasks) == 0
    got = oz.users.get(u.id, with_tasks=True)
    assert [t.id for t in got.tasks] == [t1.id, t2.id]
    assert got.tasks[1].status == 3


def test_get_by_email_ignores_case(oz, unique):
    u = make_user(oz, unique)
    assert oz.users.get_by_email(u.email).id == u.id
    assert oz.users.get_by_email(u.email.upper()).id == u.id
    oz.tasks.create(u.id, "t")
    assert len(oz.users.get_by_email(u.email, with_tasks=True).tasks) == 1


def test_update_changes_only_the_given_fields(oz, unique):
    u = make_user(oz, unique)
    new = unique("bob")
    v = oz.users.update(u.id, username=new)
    assert v.username == new and v.email == u.email and v.is_active
    assert v.etag != u.etag
    w = oz.users.update(u.id, is_active=False)
    assert w.is_active is False and w.username == new
    assert oz.users.get(u.id) == w


def test_update_with_current_etag_succeeds_and_stale_is_aborted(oz, unique):
    u = make_user(oz, unique)
    v = oz.users.update(u.id, is_active=False, etag=u.etag)
    with pytest.raises(OzError) as ei:
        oz.users.update(u.id, is_active=True, etag=u.etag)
    assert ei.value.code == Code.ABORTED
    assert oz.users.get(u.id).is_active is False
    oz.users.update(u.id, is_active=True, etag=v.etag)


def test_delete_removes_the_user(oz, unique):
    u = make_user(oz, unique)
    assert oz.users.delete(u.id) is None
    with pytest.raises(OzError) as ei:
        oz.users.get(u.id)
    assert ei.value.code == Code.NOT_FOUND


def test_delete_with_tasks_needs_force(oz, unique):
    u = make_user(oz, unique)
    t = oz.tasks.create(u.id, "keep me")
    with pytest.raises(OzError) as ei:
        oz.users.delete(u.id)
    assert ei.value.code == Code.FAILED_PRECONDITION
    oz.users.delete(u.id, force=True)
    with pytest.raises(OzError) as ei:
        oz.tasks.get(t.id)
    assert ei.value.code == Code.NOT_FOUND


def test_delete_with_stale_etag_is_aborted(oz, unique):
    u = make_user(oz, unique)
    oz.users.update(u.id, is_active=False)
    with pytest.raises(OzError) as ei:
        oz.users.delete(u.id, etag=u.etag)
    assert ei.value.code == Code.ABORTED
    oz.users.delete(u.id, etag=oz.users.get(u.id).etag)


def test_list_filters_on_is_active(oz, unique):
    u = make_user(oz, unique)
    oz.users.update(u.id, is_active=False)
    inactive = {x.id for x in oz.users.list(is_active=False, page_size=500)}
    active = {x.id for x in oz.users.list(is_active=True, page_size=500)}
    assert u.id in inactive and u.id not in active
