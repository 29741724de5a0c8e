#!/usr/bin/python3
"""examples/quickstart.py -- the README's ozctl session, in Python.

Start a server first (`make run` serves on tcp://127.0.0.1:7878), then:

    /usr/bin/python3 clients/python/examples/quickstart.py [URL]

Like the shell session it creates a user and two tasks, lists them, prints
the user as JSON and shows how an error looks. The user's name carries a
tag of its own (ann-1a2b3c4d), so the example runs cleanly on a database
that has data already, as often as you like. Errors are caught and printed
as "CODE: message"; the exit status is 0 on success, 1 on an error of the
server or the connection, 2 for a malformed URL.
"""

import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))

from google.protobuf import json_format  # noqa: E402

import ozclient  # noqa: E402


def session(oz):
    print("health:", oz.health.check())

    # ozctl users create --username ann-TAG --email ann-TAG@example.com
    name = "ann-" + uuid.uuid4().hex[:8]
    ann = oz.users.create(username=name, email=name + "@example.com")
    print("created user %d %s <%s>" % (ann.id, ann.username, ann.email))

    # ozctl tasks create --user-id ID --title ... [--status ...]
    oz.tasks.create(ann.id, "Write the protocol doc")
    oz.tasks.create(ann.id, "Ship the Python client", status="done")

    # ozctl tasks list --user-id ID (the iterator follows page tokens)
    for t in oz.tasks.list(user_id=ann.id):
        print("task %d [%s] %s" % (
            t.id, ozclient.pb.resources.TaskStatus.Name(t.status), t.title))

    # ozctl users get ID --with-tasks --json   (proto3 JSON)
    user = oz.users.get(ann.id, with_tasks=True)
    doc = json_format.MessageToDict(user)
    print("as JSON: username %s, %d tasks" % (doc["username"],
                                             len(doc["tasks"])))

    # The same email again, in capitals: an error with its code.
    try:
        oz.users.create(username=name + "-2", email=ann.email.upper())
    except ozclient.OzError as e:
        print("second create: %s: %s" % (e.code.name, e.message))


def main(url):
    try:
        with ozclient.connect(url, timeout=5) as oz:
            session(oz)
    except ozclient.OzError as e:
        print("quickstart.py: %s" % e, file=sys.stderr)
        if e.local:
            print("quickstart.py: is ozd running on %s? (`make run` starts "
                  "it)" % url, file=sys.stderr)
        return 1
    except ValueError as e:
        print("quickstart.py: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  os.environ.get("OZ_URL", ozclient.DEFAULT_URL)))
