"""oz.v1.BatchService/Execute through ozclient, against a real ozd: all or
nothing, references to earlier creates, the failing operation named, one
request_id for the whole batch."""

import pytest

from ozclient import Code, OzError, pb


def test_user_and_tasks_in_one_batch(oz, unique):
    name = unique("batcher")
    b = oz.batches.new()
    u = b.create_user(name, name + "@example.com")
    t1 = b.create_task(u, "one")
    b.create_task(u, "two", status="done")
    b.update_task(t1, title="one, renamed")
    user, one, two, renamed = b.execute()
    assert user.username == name
    assert one.user_id == user.id and two.user_id == user.id
    assert two.status == pb.resources.TASK_STATUS_DONE
    assert renamed.id == one.id and renamed.title == "one, renamed"
    got = oz.users.get(user.id, with_tasks=True)
    assert [t.title for t in got.tasks] == ["one, renamed", "two"]


def test_failing_batch_applies_nothing_and_names_the_operation(oz, unique):
    taken = unique("taken")
    oz.users.create(taken, taken + "@example.com")
    fresh = unique("fresh")
    b = oz.batches.new()
    b.create_user(fresh, fresh + "@example.com")
    b.create_user(unique("dup"), taken.upper() + "@example.com")
    with pytest.raises(OzError) as e:
        b.execute()
    assert e.value.code == Code.ALREADY_EXISTS
    assert e.value.message == "Email already registered"
    assert [d.field for d in e.value.details] == [
        "operations[1].create_user"]
    with pytest.raises(OzError) as e:
        oz.users.get_by_email(fresh + "@example.com")
    assert e.value.code == Code.NOT_FOUND


def test_invalid_field_is_prefixed(oz, unique):
    b = oz.batches.new()
    b.create_user(unique("ok"), unique("ok") + "@example.com")
    b.create_user(unique("bad"), "not an email")
    with pytest.raises(OzError) as e:
        b.execute()
    assert e.value.code == Code.INVALID_ARGUMENT
    assert [d.field for d in e.value.details] == [
        "operations[1].create_user.email"]


def test_one_request_id_covers_the_batch(oz, unique):
    name = unique("keyed")
    b = oz.batches.new()
    u = b.create_user(name, name + "@example.com")
    b.create_task(u, "t")
    key = unique("batch-key")
    first = b.execute(request_id=key)
    again = b.execute(request_id=key)
    assert [m.id for m in first] == [m.id for m in again]
    assert len(list(oz.tasks.list(user_id=first[0].id))) == 1
