#!/usr/bin/python3
"""examples/quickstart.py -- the README's ozctl session, in Python.

Start a server first (`make run` serves on tcp://127.0.0.1:7878), then:

    /usr/bin/python3 clients/python/examples/quickstart.py [URL]

Like the shell session it creates a user and two tasks, lists them, prints
one as JSON, shows an error and exits 0. Run it on a fresh database: the
second run fails with ALREADY_EXISTS, as `ozctl users create` would.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))

from google.protobuf import json_format  # noqa: E402

import ozclient  # noqa: E402


def main(url):
    with ozclient.connect(url, timeout=5) as oz:
        print("health:", oz.health.check())

        # ozctl users create --username ann --email ann@example.com
        ann = oz.users.create(username="ann", email="ann@example.com")
        print("created user %d %s <%s>" % (ann.id, ann.username, ann.email))

        # ozctl tasks create --user-id ID --title ... [--status ...]
        oz.tasks.create(ann.id, "Write the protocol doc")
        oz.tasks.create(ann.id, "Ship the Python client", status="done")

        # ozctl tasks list --user-id ID
        for t in oz.tasks.list(user_id=ann.id):
            print("task %d [%s] %s" % (
                t.id, ozclient.pb.resources.TaskStatus.Name(t.status),
                t.title))

        # ozctl users list --all (the iterator follows page tokens)
        print("users:", [u.username for u in oz.users.list()])

        # ozctl --json users get ID --with-tasks   (proto3 JSON, like jq sees)
        user = oz.users.get(ann.id, with_tasks=True)
        print(json_format.MessageToJson(user, indent=None))

        # ozctl users create ... again: an error with its code and message
        try:
            oz.users.create(username="ann2", email="ANN@example.com")
        except ozclient.OzError as e:
            print("error: %s (code %d): %s" % (e.code.name, e.code,
                                               e.message))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  os.environ.get("OZ_URL", ozclient.DEFAULT_URL)))
